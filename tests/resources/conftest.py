"""A Dataverse emulator with its Entra emulator over HTTP, and the connector's resource pointed at them."""

import pytest
from ml_connector_dagster.resources.dynamics_fo import DynamicsFoResource
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_fo import DynamicsFoEmulator
from ml_connector_dagster.sandbox.dynamics_sales import DynamicsSalesEmulator
from ml_connector_dagster.sandbox.entra import EntraEmulator
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
