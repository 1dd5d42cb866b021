from resources.dynamics_fo.resource import DynamicsFoResource

__all__ = ["DynamicsFoResource"]
