"""What a two-way pair made but has not yet written back (`Ledger.target_ids_without`), on SQLite and PostgreSQL: the
records whose target id no record of the other objects under the same key shows, read in one streamed query whose
memory holds the answer, not the pair's records (issue #15)."""

import tracemalloc
from datetime import UTC, datetime

import pytest

from ml_connector_dagster.ledger import Ledger, sync_state

PAIR = "dynamics_fo__salesforce"


@pytest.fixture
def ledger(ledger_url):
    store = Ledger(ledger_url)
    yield store
    store.dispose()


def _write(ledger: Ledger, target_object: str, rows: list[tuple[str, str | None, dict]]) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(
            sync_state.insert(),
            [
                {
                    "pair": PAIR,
                    "target_object": target_object,
                    "source_key": key,
                    "target_id": target_id,
                    "payload_hash": "h",
                    "payload": payload,
                    "synced_at": datetime(2026, 12, 1, tzinfo=UTC),
                }
                for key, target_id, payload in rows
            ],
        )


def test_a_record_is_pending_until_a_record_of_another_object_under_its_key_shows_its_id(ledger):
    _write(
        ledger,
        "customer",
        [("shown", "T1", {}), ("elsewhere", "T2", {}), ("alone", "T3", {}), ("no id", None, {}), ("other", "T5", {})],
    )
    _write(
        ledger,
        "Account",
        [("shown", "a1", {"ErpId__c": "T1"}), ("elsewhere", "a2", {"ErpId__c": "T9", "n": 2}), ("other", "a5", {})],
    )
    _write(ledger, "Contact", [("other", "c5", {"Id": "T5"})])  # shown, but by an object not asked about
    _write(ledger, "Opportunity", [("alone", "o3", {"X": "T3"})])
    assert ledger.target_ids_without(PAIR, "customer", ["Account", "Opportunity"]) == {
        "elsewhere": "T2",
        "other": "T5",
    }
    assert ledger.target_ids_without(PAIR, "customer", ["Account", "Contact"]) == {"elsewhere": "T2", "alone": "T3"}


def _written(ledger: Ledger, numbers: range) -> None:
    _write(ledger, "customer", [(f"k{n:06}", f"T{n}", {}) for n in numbers])
    _write(ledger, "Account", [(f"k{n:06}", f"a{n}", {"ErpId__c": f"T{n}", "Name": "x" * 200}) for n in numbers])


def _peak_bytes(ledger: Ledger) -> int:
    tracemalloc.start()
    try:
        assert ledger.target_ids_without(PAIR, "customer", ["Account"]) == {}
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_records_the_pair_wrote(ledger):
    _written(ledger, range(2_000))
    small = _peak_bytes(ledger)
    _written(ledger, range(2_000, 20_000))
    large = _peak_bytes(ledger)
    # holding every record's id and payload values, as before, grows about tenfold here
    assert large < 2 * small, (small, large)
