"""The SAP ECC emulator: SAP Gateway OData v2 over the vendor, customer and purchasing tables."""

from ml_connector_dagster.sandbox.sap_ecc.emulator import SapEccEmulator

__all__ = ["SapEccEmulator"]
