from ml_connector_dagster.resources.jde.client import JdeClient
from ml_connector_dagster.resources.jde.query import Condition
from ml_connector_dagster.resources.jde.resource import JdeResource
from ml_connector_dagster.resources.jde.targets import JdeWriter

__all__ = ["Condition", "JdeClient", "JdeResource", "JdeWriter"]
