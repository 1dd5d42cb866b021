"""The ledger costs per batch, not per record, on SQLite and PostgreSQL alike: the statements a load sends do not grow
with its batch, a rerun that changes nothing adds counts rather than an audit row per record, and the diff reads no
stored payload of a record it does not send."""

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from ml_connector_dagster.ledger import Ledger, Outcome, Truncated
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from tests.conftest import started_on_an_older_ledger

PAIR, OBJ = "a__b", "account"


class Writer:
    """Accepts every record but those named BAD."""

    def upsert(self, target_object, records):
        return [
            WriteResult(r.source_key, True, f"id-{r.source_key}")
            if not r.payload["name"].startswith("BAD")
            else WriteResult(r.source_key, False, error_class="validation", error_message="bad name")
            for r in records
        ]


@pytest.fixture
def ledger(ledger_url):
    store = Ledger(ledger_url)
    yield store
    store.dispose()


@contextmanager
def statements(ledger: Ledger):
    """Every statement the ledger sends meanwhile, as sent (a multi-row INSERT counts once), with its parameters."""
    sent: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    sa.event.listen(ledger.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        sa.event.remove(ledger.engine, "before_cursor_execute", note)


def run(ledger, records, run_id, *, partition="2026-10-01", batch_size=1000):
    return load(
        records,
        writer=Writer(),
        ledger=ledger,
        pair=PAIR,
        target_object=OBJ,
        batch_size=batch_size,
        run_id=run_id,
        partition=partition,
    )


def accounts(n: int, name: str = "N", fixed: bool = False) -> list[TargetRecord]:
    """Every fifth one refused by the writer; `fixed`: all but the first of those renamed to be accepted."""
    refused = [f"fixed {i}" if fixed and i else f"BAD{name}{i}" for i in range(n)]
    return [TargetRecord(f"k{i}", {"name": refused[i] if i % 5 == 0 else f"{name}{i}"}) for i in range(n)]


def test_a_batch_costs_the_same_statements_whatever_its_size(ledger_url):
    counts = []
    for n in (10, 1000):
        ledger = Ledger(ledger_url)
        try:
            with ledger.engine.begin() as conn:  # one database for both sizes, emptied between
                for table in ("sync_state", "dead_letters", "audit_log", "audit_counts"):
                    conn.execute(sa.text(f"DELETE FROM {table}"))
            per_run = []
            # created and refused; updated and refused again (changed); the refused ones fixed (resolved) but the
            # first, the rest unchanged
            for run_id, records in (("r1", accounts(n)), ("r2", accounts(n, "M")), ("r3", accounts(n, "M", True))):
                with statements(ledger) as sent:
                    summary = run(ledger, records, run_id, batch_size=n)
                assert summary.batches == 1 and summary.records == n
                per_run.append(len(sent))
            counts.append(per_run)
            [letter] = ledger.open_dead_letters(PAIR)
            assert (letter.source_key, letter.attempts, letter.partition) == ("k0", 2, "2026-10-01")
            assert len(ledger.audit(action="failed")) == 2 * (n // 5)
        finally:
            ledger.dispose()
    assert counts[0] == counts[1], f"statements per run, for a batch of 10 and of 1,000: {counts}"


def test_a_rerun_that_changes_nothing_adds_counts_not_an_audit_row_per_record(ledger):
    records = [TargetRecord(f"k{i}", {"name": f"N{i}"}) for i in range(50)]
    assert run(ledger, records, "r1").created == 50
    with ledger.engine.connect() as conn:
        before = conn.execute(sa.select(sa.text("source_key, synced_at, partition FROM sync_state"))).all()
    assert run(ledger, records, "r2").unchanged == 50
    assert ledger.audit(run_id="r2") == [], "nothing new to say of any record"
    [counted] = ledger.audit_counts(run_id="r2")
    assert (counted["action"], counted["records"], counted["pair"], counted["target_object"]) == (
        "unchanged",
        50,
        PAIR,
        OBJ,
    )
    assert counted["partition"] == "2026-10-01"
    assert [(c["action"], c["records"]) for c in ledger.audit_counts(run_id="r1")] == [("created", 50)]
    with ledger.engine.connect() as conn:
        after = conn.execute(sa.select(sa.text("source_key, synced_at, partition FROM sync_state"))).all()
    assert sorted(after) == sorted(before), "no sync state written either"


def test_changes_and_failures_keep_their_audit_rows_and_an_unchanged_record_with_news_its_own(ledger):
    cut = Truncated("name", "x" * 300, 300, 100)
    run(ledger, [TargetRecord("k1", {"name": "A"}), TargetRecord("k2", {"name": "B"})], "r1")
    ledger.record(
        pair=PAIR,
        target_object=OBJ,
        run_id="r1",
        partition="2026-10-01",
        outcomes=[Outcome("k2", "failed", {"payload": None}, error_class="dependency", error_message="waits")],
    )
    run(
        ledger,
        [
            TargetRecord("k1", {"name": "A2"}),  # updated: its row shows the payload the ledger held before
            TargetRecord("k2", {"name": "B"}),  # unchanged, and so resolves its open dead letter
            TargetRecord("k3", {"name": "BAD"}),  # failed
            TargetRecord("k4", {"name": "D"}, update_only="inactive at the source"),  # skipped
        ],
        "r2",
    )
    run(ledger, [TargetRecord("k1", {"name": "A2"}, truncated=(cut,)), TargetRecord("k2", {"name": "B"})], "r3")
    rows = {row["source_key"]: row for row in ledger.audit(run_id="r2")}
    assert {key: row["action"] for key, row in rows.items()} == {
        "k1": "updated",
        "k2": "unchanged",
        "k3": "failed",
        "k4": "skipped",
    }
    assert rows["k1"]["changes"] == {"name": ["A", "A2"]}
    assert not ledger.open_dead_letters(PAIR, source_keys=["k2"]), "resolved by the unchanged record"
    [truncated] = ledger.audit(run_id="r3")
    assert truncated["source_key"] == "k1" and truncated["changes"] == {"truncated": [cut.audited()]}
    assert {c["action"]: c["records"] for c in ledger.audit_counts(run_id="r3")} == {"unchanged": 2}


def test_an_unchanged_record_read_in_another_partition_is_audited_there_once(ledger):
    records = [TargetRecord("k1", {"name": "A"})]
    run(ledger, records, "r1", partition="2026-10-01")
    run(ledger, records, "r2", partition=None)  # an initial load: no partition to note
    run(ledger, records, "r3", partition="2026-10-02")
    run(ledger, records, "r4", partition="2026-10-02")
    assert [(row["run_id"], row["action"]) for row in ledger.audit(source_key="k1")] == [
        ("r1", "created"),
        ("r3", "unchanged"),
    ]
    assert ledger.partitions_of(PAIR, OBJ, ["k1"]) == {"k1": "2026-10-02"}, "heal reruns the day that reads it now"


def payload_reads(sent: list[tuple[str, object]]) -> list[object]:
    """The parameters (keys) of each statement that selects stored payloads."""
    return [
        parameters
        for statement, parameters in sent
        if statement.lstrip().upper().startswith("SELECT") and re.search(r"sync_state\.payload\b", statement)
    ]


def test_the_diff_reads_no_stored_payload_of_a_record_it_does_not_send(ledger):
    records = [TargetRecord(f"k{i}", {"name": f"N{i}", "notes": "x" * 1000}) for i in range(20)]
    run(ledger, records, "r1")
    with statements(ledger) as sent:
        run(ledger, records, "r2")
    assert payload_reads(sent) == []
    records[3] = TargetRecord("k3", {"name": "changed", "notes": "x" * 1000})
    with statements(ledger) as sent:
        run(ledger, records, "r3")
    [keys] = payload_reads(sent)
    assert "k3" in str(keys) and "k4" not in str(keys), "only the sent record's payload"
    [updated] = ledger.audit(run_id="r3")
    assert updated["changes"] == {"name": ["N3", "changed"]}


def test_an_unchanged_record_the_ledger_holds_nothing_of_keeps_its_row_each_run(ledger):
    # a two-way record the other direction wrote: this one finds the target agreeing, without an id to record
    agreeing = [TargetRecord("k1", {"name": "A"}, current={"name": "A"})]
    for run_id in ("r1", "r2"):
        assert run(ledger, agreeing, run_id).unchanged == 1
    assert [(row["run_id"], row["action"]) for row in ledger.audit(source_key="k1")] == [
        ("r1", "unchanged"),
        ("r2", "unchanged"),
    ]
    assert ledger.synced(PAIR, OBJ) == {}, "no state without the target's id"


def test_a_ledger_made_before_the_read_partition_gains_it_and_notes_each_record_where_it_is_read_once(ledger_url):
    before = Ledger(ledger_url)
    try:
        run(before, [TargetRecord("k1", {"name": "A"})], "r1")
    finally:
        before.dispose()
    with started_on_an_older_ledger(ledger_url, "ALTER TABLE sync_state DROP COLUMN partition") as upgraded:
        for run_id in ("r2", "r3"):
            assert run(upgraded, [TargetRecord("k1", {"name": "A"})], run_id).unchanged == 1
        assert [row["run_id"] for row in upgraded.audit(source_key="k1")] == ["r1", "r2"], "where it is read: once"
        counted = [(c["run_id"], c["action"], c["records"]) for c in upgraded.audit_counts(pair=PAIR)]
        assert counted == [("r1", "created", 1), ("r2", "unchanged", 1), ("r3", "unchanged", 1)]
