"""What the vendor limits: Dataverse write calls per 1,000 changed accounts, through the real load loop and client
against the emulator (parents before children, one record the target refuses)."""

import math

import pytest

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, load
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_sales import DynamicsSalesEmulator
from ml_connector_dagster.sandbox.entra import EntraEmulator
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.tokens import TokenSigner
from resources.dynamics_sales import DynamicsSalesResource

ACCOUNTS = 3000


def accounts() -> list[TargetRecord]:
    records = []
    for n in range(ACCOUNTS):
        payload = {"name": "BLOCKED Ltd" if n == 1234 else f"Account {n}", "customertypecode": 3}
        refs = ()
        if n % 10 == 5:  # a subsidiary of an earlier account
            parent = f"acct:{n - 5}"
            payload["parentaccountid@odata.bind"] = f"/accounts(mlc_externalid='{parent}')"
            refs = (("account", parent),)
        records.append(TargetRecord(f"acct:{n}", payload, refs))
    return records


@pytest.fixture
def dataverse():
    signer = TokenSigner()
    emulator = DynamicsSalesEmulator(signer=signer)
    emulator.update_settings({"reject_rules": [{"table": "account", "column": "name", "pattern": "^BLOCKED",
                                                "message": "needs credit approval"}]})
    with SandboxServer([EntraEmulator(signer=signer), emulator]) as server:
        yield emulator, DynamicsSalesResource(environment_url=server.url("dynamics_sales"),
                                              authority_url=server.url("entra"), tenant_id=SANDBOX.tenant_id,
                                              client_id=SANDBOX.client_id, client_secret=SANDBOX.client_secret)


def test_at_most_two_write_calls_per_thousand_changed_accounts_and_none_on_a_rerun(dataverse, tmp_path):
    emulator, resource = dataverse
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with resource.open() as client:
        summary = load(accounts(), writer=client, ledger=ledger, pair="p", target_object="account", batch_size=1000)
        first = client.counter.writes
        rerun = load(accounts(), writer=client, ledger=ledger, pair="p", target_object="account", batch_size=1000)
        second = client.counter.writes - first
    ledger.dispose()
    changed = summary.created + summary.updated
    assert changed == ACCOUNTS - 1 and summary.failed == 1
    assert first <= 2 * math.ceil(changed / 1000), f"{first} write calls for {changed} changed accounts"
    assert second == 0 and rerun.unchanged == ACCOUNTS - 1
    assert emulator.count("account") == ACCOUNTS - 1
