from ml_connector_dagster.sandbox.zoho_crm.emulator import ZohoCrmEmulator, ZohoCrmSettings

__all__ = ["ZohoCrmEmulator", "ZohoCrmSettings"]
