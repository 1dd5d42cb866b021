from ml_connector_dagster.resources.sap_ecc.resource import SapEccResource, SapReader

__all__ = ["SapEccResource", "SapReader"]
