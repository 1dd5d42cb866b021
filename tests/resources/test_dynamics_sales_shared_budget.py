"""Runs against one Dataverse environment share its service-protection limit, and each sends its batches in parallel
as far as the environment's x-ms-dop-hint recommends; through the real load loop, client and emulator."""

import httpx

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, load
from tests.resources.loads_at_once import loads_at_once


def accounts(prefix: str, count: int) -> list[TargetRecord]:
    return [TargetRecord(f"{prefix}-{n}", {"name": f"Account {prefix} {n}"}) for n in range(count)]


def test_two_loads_at_once_stay_under_the_environments_limit_together(dataverse, tmp_path):
    emulator, resource = dataverse
    # 60 requests per 2 s for the application user; each run would keep 50 per 2 s by itself.
    emulator.update_settings({"requests_per_window": 60, "window_seconds": 2})
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    shared = resource.model_copy(
        update={"budget_url": url, "requests_per_window": 50, "window_seconds": 2, "bulk_mode": "upsert_multiple"}
    )
    summaries, errors = loads_at_once(
        shared, url, {"a": accounts("a", 60), "b": accounts("b", 60)}, target_object="account", batch_size=1
    )
    assert not errors
    assert emulator.requests_throttled == 0
    assert {prefix: summary.created for prefix, summary in summaries.items()} == {"a": 60, "b": 60}
    assert emulator.count("account") == 120


def test_batches_overlap_up_to_the_environments_hint_and_never_more(dataverse, tmp_path):
    emulator, resource = dataverse
    emulator.update_settings({"dop_hint": 3})
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with resource.model_copy(update={"bulk_mode": "upsert_multiple"}).open() as client:
        summary = load(
            accounts("a", 4000), writer=client, ledger=ledger, pair="p", target_object="account", batch_size=250
        )
        assert client.parallelism == 3
    ledger.dispose()
    assert summary.created == 4000 and summary.batches == 16
    assert 2 <= emulator.peak_in_flight <= 3


def test_the_hint_is_capped_by_the_resources_setting(dataverse, tmp_path):
    emulator, resource = dataverse
    emulator.update_settings({"dop_hint": 40})
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with resource.model_copy(update={"bulk_mode": "upsert_multiple", "max_parallel_batches": 2}).open() as client:
        load(accounts("a", 2000), writer=client, ledger=ledger, pair="p", target_object="account", batch_size=250)
        assert client.parallelism == 2
    ledger.dispose()
    assert emulator.peak_in_flight <= 2


def test_every_sender_holds_when_the_service_says_the_users_window_is_spent(dataverse):
    _, resource = dataverse
    spent = httpx.Response(200, headers={"x-ms-ratelimit-burst-remaining-xrm-requests": "0"})
    room = httpx.Response(200, headers={"x-ms-ratelimit-burst-remaining-xrm-requests": "3"})
    assert resource._hold(spent) == 30 and resource._hold(room) is None
