"""The Dynamics 365 Finance & Operations OData emulator, with its business events."""

from ml_connector_dagster.sandbox.dynamics_fo.emulator import DynamicsFoEmulator

__all__ = ["DynamicsFoEmulator"]
