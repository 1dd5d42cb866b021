from ml_connector_dagster.resources.salesforce.resource import SalesforceResource

__all__ = ["SalesforceResource"]
