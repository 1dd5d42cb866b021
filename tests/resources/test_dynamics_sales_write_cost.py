"""What the vendor limits: Dataverse write calls per 1,000 changed accounts, through the real load loop and client
against the emulator (parents before children, one record the target refuses)."""

import math

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, load

ACCOUNTS = 3000


def accounts() -> list[TargetRecord]:
    records = []
    for n in range(ACCOUNTS):
        payload = {"name": "BLOCKED Ltd" if n == 1234 else f"Account {n}", "customertypecode": 3}
        refs = ()
        if n % 10 == 5:  # a subsidiary of an earlier account
            parent = f"acct-{n - 5}"
            payload["parentaccountid@odata.bind"] = f"/accounts(mlc_externalid='{parent}')"
            refs = (("account", parent),)
        records.append(TargetRecord(f"acct-{n}", payload, refs))
    return records


def test_at_most_two_write_calls_per_thousand_changed_accounts_and_none_on_a_rerun(dataverse, tmp_path):
    emulator, resource = dataverse
    emulator.update_settings(
        {
            "reject_rules": [
                {"table": "account", "column": "name", "pattern": "^BLOCKED", "message": "needs credit approval"}
            ]
        }
    )
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
