from resources.dynamics_sales.client import DataverseClient
from resources.dynamics_sales.resource import DynamicsSalesResource

__all__ = ["DataverseClient", "DynamicsSalesResource"]
