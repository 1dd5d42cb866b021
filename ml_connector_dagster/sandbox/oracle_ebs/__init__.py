"""The Oracle EBS Integrated SOA Gateway emulator with the connector's read service deployed."""

from ml_connector_dagster.sandbox.oracle_ebs.emulator import OracleEbsEmulator

__all__ = ["OracleEbsEmulator"]
