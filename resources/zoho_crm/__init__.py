from ml_connector_dagster.resources.zoho_crm.resource import ZohoCrmResource

__all__ = ["ZohoCrmResource"]
