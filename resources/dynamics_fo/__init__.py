from ml_connector_dagster.resources.dynamics_fo.resource import DynamicsFoResource

__all__ = ["DynamicsFoResource"]
