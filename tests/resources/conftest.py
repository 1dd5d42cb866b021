"""Emulators over HTTP (Dataverse and F&O with their Entra, JDE AIS), and the connector's resources pointed at them."""

from datetime import UTC, date, datetime

import pytest
from ml_connector_dagster.resources.dynamics_fo import DynamicsFoResource
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.jde import JdeResource

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_fo import DynamicsFoEmulator
from ml_connector_dagster.sandbox.dynamics_sales import DynamicsSalesEmulator
from ml_connector_dagster.sandbox.entra import EntraEmulator
from ml_connector_dagster.sandbox.jde import JdeEmulator
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.tokens import TokenSigner


@pytest.fixture
def dataverse():
    signer = TokenSigner()
    emulator = DynamicsSalesEmulator(signer=signer)
    with SandboxServer([EntraEmulator(signer=signer), emulator]) as server:
        yield (
            emulator,
            DynamicsSalesResource(
                environment_url=server.url("dynamics_sales"),
                authority_url=server.url("entra"),
                tenant_id=SANDBOX.tenant_id,
                client_id=SANDBOX.client_id,
                client_secret=SANDBOX.client_secret,
            ),
        )


@pytest.fixture
def fo():
    """An F&O emulator (90 customers over usmf, usrt, demf) with its Entra, and the `dynamics_fo` resource."""
    signer = TokenSigner()
    emulator = DynamicsFoEmulator(signer=signer, customers=90)
    with SandboxServer([EntraEmulator(signer=signer), emulator]) as server:
        yield (
            emulator,
            DynamicsFoResource(
                environment_url=server.url("dynamics_fo"),
                authority_url=server.url("entra"),
                tenant_id=SANDBOX.tenant_id,
                client_id=SANDBOX.client_id,
                client_secret=SANDBOX.client_secret,
                page_size=25,
                max_retry_wait_seconds=2,
            ),
        )


@pytest.fixture
def jde():
    """A JDE AIS emulator (30 customers, 6 suppliers changed 2026-10-01..03, 4 dormant) on a frozen clock, and a
    factory of the `jde` resource pointed at it."""
    emulator = JdeEmulator(
        clock=Clock(frozen_at=datetime(2026, 10, 4, 9, tzinfo=UTC)),
        customers=30,
        vendors=6,
        start_date=date(2026, 10, 1),
        days=3,
        dormant=4,
    )
    with SandboxServer([emulator]) as server:
        yield (
            emulator,
            lambda **overrides: JdeResource.sandbox(
                {"jde": server.url("jde")}, **{"max_retry_wait_seconds": 1, **overrides}
            ),
        )
