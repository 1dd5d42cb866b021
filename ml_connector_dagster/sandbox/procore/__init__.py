from ml_connector_dagster.sandbox.procore.emulator import ProcoreEmulator, ProcoreSettings

__all__ = ["ProcoreEmulator", "ProcoreSettings"]
