"""Runs against one Procore company share its hourly limit and its spike budget, and each sends its sync calls side
by side up to max_parallel_batches; through the real load loop, client and emulator over HTTP, on a clock that moves
with real time as Procore's windows do."""

import pytest
from ml_connector_dagster.resources.procore import ProcoreResource

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetRecord, load
from ml_connector_dagster.sandbox.procore import ProcoreEmulator
from ml_connector_dagster.sandbox.server import SandboxServer
from tests.resources.loads_at_once import loads_at_once


@pytest.fixture
def procore():
    emulator = ProcoreEmulator()
    emulator.update_settings({"spike_limit": False})
    with SandboxServer([emulator]) as server:
        yield emulator, ProcoreResource.sandbox({"procore": server.url("procore")})


def vendors(prefix: str, count: int) -> list[TargetRecord]:
    return [TargetRecord(f"{prefix}-{n}", {"name": f"Vendor {prefix} {n}"}) for n in range(count)]


def api_statuses(emulator) -> list[int]:
    return [entry["status"] for entry in emulator.requests if entry["path"].startswith("/rest/")]


def test_batches_overlap_up_to_the_setting_and_never_more(procore, tmp_path):
    emulator, resource = procore
    emulator.faults.latency_ms = 40  # calls take long enough to overlap
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with resource.model_copy(update={"max_parallel_batches": 3}).open() as client:
        summary = load(
            vendors("a", 120), writer=client, ledger=ledger, pair="p", target_object="vendors", batch_size=10
        )
    ledger.dispose()
    assert summary.created == 120 and summary.batches == 12
    assert 2 <= emulator.peak_requests_in_flight <= 3


def two_runs(shared: ProcoreResource, url: str) -> tuple[dict, list]:
    return loads_at_once(
        shared, url, {prefix: vendors(prefix, 40) for prefix in ("a", "b")}, target_object="vendors", batch_size=1
    )


def test_two_loads_at_once_keep_to_the_spike_limit_together(procore, tmp_path):
    emulator, resource = procore
    # At most 12 requests a second for the app; each run would send 9 a second by itself.
    emulator.update_settings({"spike_limit": True, "spike_requests": 12, "spike_seconds": 1})
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    shared = resource.model_copy(
        update={"budget_url": url, "rate_reserve": 0, "spike_requests": 9, "spike_window_seconds": 1}
    )
    summaries, errors = two_runs(shared, url)
    assert not errors
    assert [status for status in api_statuses(emulator) if status >= 400] == [], "no 429, nor any other refusal"
    assert {prefix: summary.created for prefix, summary in summaries.items()} == {"a": 40, "b": 40}


def test_two_loads_at_once_share_the_hourly_and_the_spike_limit_and_meet_no_429(procore, tmp_path):
    emulator, resource = procore
    # An "hour" of 3 s allowing 30 requests, and at most 12 a second: the two runs' 80 calls need three windows, and
    # each run alone would send faster than both limits allow.
    emulator.update_settings(
        {"hourly_limit": 30, "rate_window_seconds": 3, "spike_limit": True, "spike_requests": 12, "spike_seconds": 1}
    )
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    shared = resource.model_copy(
        update={
            "budget_url": url,
            "rate_reserve": 4,  # above the requests in flight: their answers are not heard yet
            "spike_requests": 9,
            "spike_window_seconds": 1,
            "max_retry_wait_seconds": 10,
            "max_parallel_batches": 3,
        }
    )
    summaries, errors = two_runs(shared, url)
    assert not errors
    assert [status for status in api_statuses(emulator) if status >= 400] == [], "no 429, nor any other refusal"
    assert {prefix: summary.created for prefix, summary in summaries.items()} == {"a": 40, "b": 40}
    assert emulator.peak_requests_in_flight <= 3
