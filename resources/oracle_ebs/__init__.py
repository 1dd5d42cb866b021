from ml_connector_dagster.resources.oracle_ebs.journals import JournalWriter
from ml_connector_dagster.resources.oracle_ebs.resource import OracleEbsResource
from ml_connector_dagster.resources.oracle_ebs.service import EbsService

__all__ = ["EbsService", "JournalWriter", "OracleEbsResource"]
