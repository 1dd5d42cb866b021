"""What the sandbox's EBS tests share: a small seeded emulator served over HTTP, one per test module."""

from datetime import UTC, date, datetime

import pytest

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.oracle_ebs import OracleEbsEmulator
from ml_connector_dagster.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def ebs():
    emulator = OracleEbsEmulator(
        clock=Clock(frozen_at=datetime(2026, 10, 3, 12, tzinfo=UTC)),
        parties=360,
        vendors=60,
        start_date=date(2026, 10, 1),
        days=3,
    )
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("oracle_ebs")
