from ml_connector_dagster.resources.dynamics_sales.client import DataverseClient
from ml_connector_dagster.resources.dynamics_sales.resource import DynamicsSalesResource

__all__ = ["DataverseClient", "DynamicsSalesResource"]
