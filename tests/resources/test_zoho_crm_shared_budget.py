"""Runs against one Zoho CRM org share its concurrency cap and what Zoho said of its credits, and each sends its
batches, and a batch's calls, side by side up to max_parallel_batches; through the real load loop, client and
emulator over HTTP."""

import pytest
from ml_connector_dagster.resources.zoho_crm import ZohoCrmResource

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, load
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.zoho_crm import ZohoCrmEmulator
from tests.resources.loads_at_once import loads_at_once


@pytest.fixture
def zoho():
    emulator = ZohoCrmEmulator(prospects=0)
    with SandboxServer([emulator]) as server:
        yield emulator, ZohoCrmResource.sandbox({"zoho_crm": server.url("zoho_crm")})


def accounts(prefix: int, count: int) -> list[TargetRecord]:
    return [TargetRecord(str(prefix + n), {"Account_Name": f"Customer {prefix + n}"}) for n in range(count)]


def refusals(emulator) -> list[int]:
    return [entry["status"] for entry in emulator.requests if "/crm/" in entry["path"] and entry["status"] >= 400]


def two_runs(shared: ZohoCrmResource, url: str, count: int, batch_size: int) -> tuple[dict, list]:
    records = {prefix: accounts(prefix, count) for prefix in (10_000, 20_000)}
    return loads_at_once(shared, url, records, target_object="Accounts", batch_size=batch_size)


def loaded_three_at_once(zoho, tmp_path, records: int, batch_size: int):
    """`records` accounts loaded in batches of `batch_size` with max_parallel_batches 3, each call taking long enough
    to overlap the others: the load's summary."""
    emulator, resource = zoho
    emulator.update_settings({"request_seconds": 0.1})
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with resource.model_copy(update={"max_parallel_batches": 3}).open() as client:
        summary = load(accounts(1000, records), writer=client, ledger=ledger, pair="p", target_object="Accounts",
                       batch_size=batch_size)  # fmt: skip
    ledger.dispose()
    return summary


def test_batches_overlap_up_to_the_setting_and_never_more(zoho, tmp_path):
    summary = loaded_three_at_once(zoho, tmp_path, 300, batch_size=25)
    assert summary.created == 300 and summary.batches == 12
    assert 2 <= zoho[0].peak_requests_in_flight <= 3


def test_a_batchs_calls_go_side_by_side_and_every_write_of_the_load_keeps_to_the_setting(zoho, tmp_path):
    summary = loaded_three_at_once(zoho, tmp_path, 600, batch_size=300)
    # two batches of three calls of 100: three calls in flight, not one a batch, nor three a batch
    assert summary.created == 600 and summary.batches == 2
    assert zoho[0].peak_requests_in_flight == 3


def test_two_loads_at_once_keep_to_the_apps_concurrency_cap_together_and_meet_no_429(zoho, tmp_path):
    emulator, resource = zoho
    # A cap of 3 calls in flight for the app; each run would have 2 batches in flight by itself.
    emulator.update_settings({"concurrency_limit": 3, "request_seconds": 0.04})
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    shared = resource.model_copy(update={"budget_url": url, "max_concurrent_requests": 3, "max_parallel_batches": 2})
    summaries, errors = two_runs(shared, url, count=100, batch_size=10)
    assert not errors
    assert refusals(emulator) == [], "no 429"
    assert {prefix: summary.created for prefix, summary in summaries.items()} == {10_000: 100, 20_000: 100}
    assert emulator.peak_requests_in_flight == 3


def test_once_zoho_says_the_orgs_credits_are_spent_no_run_asks_again_until_the_recheck(zoho, tmp_path):
    emulator, resource = zoho
    emulator.update_settings({"daily_credits": 6})
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    shared = resource.model_copy(update={"budget_url": url, "max_parallel_batches": 1, "credit_reserve": 0})
    ledger = Ledger(url)
    with shared.open() as client:
        first = load(accounts(1000, 100), writer=client, ledger=ledger, pair="a", target_object="Accounts",
                     batch_size=10)  # fmt: skip
    with shared.open() as client:
        second = load(accounts(2000, 100), writer=client, ledger=ledger, pair="b", target_object="Accounts",
                      batch_size=10)  # fmt: skip
    ledger.dispose()
    assert first.created == 60 and second.created == 0
    assert len(refusals(emulator)) == 1, "the one answer that said so; the second run did not ask"
