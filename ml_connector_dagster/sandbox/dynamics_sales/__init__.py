"""The Dataverse Web API (Dynamics 365 Sales) emulator."""

from ml_connector_dagster.sandbox.dynamics_sales.emulator import DynamicsSalesEmulator

__all__ = ["DynamicsSalesEmulator"]
