"""Runs against one F&O environment share its request budget (and a 429's Retry-After), and each sends its $batch
calls side by side up to max_parallel_batches; through the real load loop, client and emulator."""

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import load
from tests.resources.loads_at_once import loads_at_once
from tests.resources.test_dynamics_fo_targets import order


def deals(emulator, prefix: str, count: int):
    return [order(emulator, f"006Sb{prefix}{n:09d}AAA") for n in range(count)]


def test_batches_overlap_up_to_the_setting_and_never_more(fo, tmp_path):
    emulator, resource = fo
    emulator.faults.latency_ms = 40  # calls take long enough to overlap
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with resource.model_copy(update={"max_parallel_batches": 3}).open() as client:
        summary = load(
            deals(emulator, "a", 24),
            writer=client,
            ledger=ledger,
            pair="p",
            target_object="SalesOrderHeadersV2",
            batch_size=2,
        )
    ledger.dispose()
    assert summary.created == 24 and summary.batches == 12
    assert 2 <= emulator.peak_requests_in_flight <= 3


def test_two_loads_at_once_stay_under_the_environments_limit_together(fo, tmp_path):
    emulator, resource = fo
    # 30 requests per 2 s for the application; each run would keep 24 per 2 s by itself.
    emulator.update_settings({"request_budget": 30, "budget_window_seconds": 2})
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    shared = resource.model_copy(
        update={"budget_url": url, "requests_per_window": 24, "window_seconds": 2, "max_parallel_batches": 4}
    )
    summaries, errors = loads_at_once(
        shared,
        url,
        {prefix: deals(emulator, prefix, 20) for prefix in ("a", "b")},
        target_object="SalesOrderHeadersV2",
        batch_size=1,
    )
    assert not errors
    assert emulator.requests_throttled == 0
    assert {prefix: summary.created for prefix, summary in summaries.items()} == {"a": 20, "b": 20}
