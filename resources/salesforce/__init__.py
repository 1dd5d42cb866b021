from resources.salesforce.resource import SalesforceResource

__all__ = ["SalesforceResource"]
