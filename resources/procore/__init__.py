from ml_connector_dagster.resources.procore.resource import ProcoreResource

__all__ = ["ProcoreResource"]
