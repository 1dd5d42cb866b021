"""The `salesforce` resource against the Salesforce emulator over HTTP, through the real load loop: upserts by
External ID through sObject Collections and Bulk API 2.0, each record's own answer, a new token after a 401, SOQL
paging, and a run that stops cleanly before the daily request limit and resumes on the next run without loss."""

import threading

import pytest
from ml_connector_dagster.resources.salesforce import SalesforceResource
from ml_connector_dagster.resources.salesforce.limits import DailyLimitReached

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, load
from ml_connector_dagster.sandbox.salesforce import SalesforceEmulator
from ml_connector_dagster.sandbox.salesforce.emulator import CLIENT_ID, CLIENT_SECRET
from ml_connector_dagster.sandbox.server import SandboxServer


@pytest.fixture
def org(tmp_path):
    emulator = SalesforceEmulator()
    emulator.update_settings({"query_batch_size": 100})
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("salesforce"), Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")


def resource(url: str, **overrides) -> SalesforceResource:
    return SalesforceResource(
        **{
            "my_domain_url": url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "bulk_threshold": 250,
            "daily_limit_reserve": 0,
            **overrides,
        }
    )


def accounts(count: int, start: int = 0) -> list[TargetRecord]:
    return [
        TargetRecord(f"usmf/C-{n:04d}", {"Name": "" if n == 7 else f"Customer {n}", "Type": "Customer"})
        for n in range(start, start + count)
    ]


def run(client, ledger, records, batch_size):
    return load(
        records,
        writer=client,
        ledger=ledger,
        pair="dynamics_fo__salesforce",
        target_object="Account",
        batch_size=batch_size,
    )


def test_collections_and_bulk_upserts_answer_per_record_and_reruns_write_nothing(org):
    emulator, url, ledger = org
    with resource(url).open() as client:
        small = run(client, ledger, accounts(120), batch_size=120)
        assert (small.created, small.failed, client.counter.writes) == (119, 1, 1), "one collections call"
        [letter] = ledger.open_dead_letters("dynamics_fo__salesforce")
        assert letter.error_code == "REQUIRED_FIELD_MISSING" and letter.source_key == "usmf/C-0007"
        writes = client.counter.writes
        big = run(client, ledger, accounts(300, start=120), batch_size=300)
        assert big.created == 300 and client.counter.writes - writes == 3, "job, upload, close: one bulk job"
        again = run(client, ledger, accounts(420), batch_size=300)
        assert again.unchanged == 419 and again.batches == 0
        queried = list(client.query("SELECT Id, ERP_Account_Number__c FROM Account"))
    assert len(queried) == 419 and len({row["ERP_Account_Number__c"] for row in queried}) == 419
    assert len(emulator.rows("Account")) == 419


def test_an_expired_session_gets_a_new_token_once(org):
    emulator, url, ledger = org
    with resource(url).open() as client:
        run(client, ledger, accounts(5, start=10), batch_size=5)
        emulator.expire_tokens()
        summary = run(client, ledger, [TargetRecord("usmf/C-0010", {"Name": "Renamed", "Type": "Customer"})], 5)
        assert summary.updated == 1
    assert emulator.rows("Account", ERP_Account_Number__c="usmf/C-0010")[0]["Name"] == "Renamed"


def test_a_run_stops_before_the_daily_limit_and_the_next_run_resumes_without_loss(org):
    emulator, url, ledger = org
    emulator.update_settings({"daily_api_requests": 6})
    records = accounts(200, start=1000)
    with resource(url, daily_limit_reserve=2).open() as client, pytest.raises(DailyLimitReached) as stopped:
        run(client, ledger, records, batch_size=20)
    assert "next scheduled run resumes" in str(stopped.value)
    assert emulator.api_used == 4, "stopped with the reserve left, not at the wall"
    written = len(emulator.rows("Account"))
    assert (
        written == 80
        and len(ledger.synced_keys("dynamics_fo__salesforce", "Account", [r.source_key for r in records])) == 80
    )
    emulator.new_day()
    with resource(url, daily_limit_reserve=2).open() as client:
        resumed = run(client, ledger, records, batch_size=200)
    assert (resumed.unchanged, resumed.created) == (80, 120)
    assert len(emulator.rows("Account")) == 200


def test_batches_of_a_large_load_go_several_at_once_and_each_record_gets_its_own_answer(org):
    emulator, url, ledger = org
    with resource(url, max_parallel_batches=3).open() as client:
        assert client.parallelism == 3 and client.by_id().parallelism == 3
        summary = run(client, ledger, accounts(1000), batch_size=200)
        assert client.counter.writes == 5
    assert (summary.created, summary.failed, summary.batches) == (999, 1, 5)
    assert len(emulator.rows("Account")) == 999 and len(ledger.synced("dynamics_fo__salesforce", "Account")) == 999


def test_two_runs_at_once_stop_together_at_the_reserve_of_the_orgs_daily_limit(org, tmp_path):
    emulator, url, _ = org
    emulator.update_settings({"daily_api_requests": 40})
    emulator.faults.latency_ms = 30  # each run has its batches in flight side by side
    budget_url = f"sqlite:///{tmp_path / 'budget.sqlite'}"
    shared = resource(url, daily_limit_reserve=10, max_parallel_batches=4, budget_url=budget_url)
    stopped = []

    def one(start: int) -> None:
        ledger = Ledger(budget_url)
        try:
            with shared.open() as client:
                run(client, ledger, accounts(400, start=start), batch_size=10)
        except DailyLimitReached as error:
            stopped.append(error)
        finally:
            ledger.dispose()

    runs = [threading.Thread(target=one, args=(start,)) for start in (2000, 3000)]
    for each in runs:
        each.start()
    for each in runs:
        each.join(timeout=120)
    assert len(stopped) == 2
    # Requests sent before the first answer are counted as in flight until theirs come: a few may be left unspent.
    assert 24 <= emulator.api_used <= 30, "both stopped with the reserve left: not one request past it"
