"""The JD Edwards EnterpriseOne AIS server emulator with the connector's orchestrations."""

from ml_connector_dagster.sandbox.jde.emulator import JdeEmulator

__all__ = ["JdeEmulator"]
