from ml_connector_dagster.sandbox.salesforce.emulator import SalesforceEmulator

__all__ = ["SalesforceEmulator"]
