from resources.oracle_ebs.resource import OracleEbsResource
from resources.oracle_ebs.service import EbsService

__all__ = ["EbsService", "OracleEbsResource"]
