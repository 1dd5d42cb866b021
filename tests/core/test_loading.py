import threading

import pytest

from ml_connector_dagster.ledger import Action, Outcome, payload_hash
from ml_connector_dagster.loading import TargetRecord, WriteResult, load
from ml_connector_dagster.sync import SyncTarget, remove

PAIR, OBJ = "a__b", "account"


class FakeWriter:
    """Upserts into a dict; rejects payloads whose name starts with 'BAD'."""

    def __init__(self):
        self.rows: dict[str, dict] = {}
        self.batches: list[list[str]] = []

    def upsert(self, target_object, records):
        self.batches.append([r.source_key for r in records])
        results = []
        for record in records:
            if str(record.payload.get("name", "")).startswith("BAD"):
                results.append(
                    WriteResult(
                        record.source_key, False, error_class="validation", error_code="0x1", error_message="bad name"
                    )
                )
            else:
                self.rows[record.source_key] = record.payload
                results.append(WriteResult(record.source_key, True, f"id-{record.source_key}"))
        return results

    def delete(self, target_object, source_keys):
        self.batches.append(list(source_keys))
        for key in source_keys:
            self.rows.pop(key, None)
        return [WriteResult(key, True) for key in source_keys]


def run(records, writer, ledger, **kw):
    return load(records, writer=writer, ledger=ledger, pair=PAIR, target_object=OBJ, batch_size=2, **kw)


def test_second_run_writes_nothing_and_changes_are_updates(ledger):
    writer = FakeWriter()
    records = [TargetRecord(f"k{i}", {"name": f"N{i}"}) for i in range(5)]
    first = run(records, writer, ledger)
    assert (first.created, first.batches) == (5, 3)
    second = run(records, writer, ledger)
    assert (second.unchanged, second.batches) == (5, 0)
    records[0] = TargetRecord("k0", {"name": "changed"})
    third = run(records, writer, ledger)
    assert (third.updated, third.unchanged, third.batches) == (1, 4, 1)


def test_the_hash_a_load_records_is_the_payloads_and_a_ledger_recorded_without_the_loads_hash_is_unchanged(ledger):
    writer = FakeWriter()
    records = [TargetRecord(f"k{i}", {"name": f"N{i}", "city": "Köln"}) for i in range(3)]
    run(records, writer, ledger)
    held = ledger.synced(PAIR, OBJ, ["k0", "k1", "k2"])
    assert {key: state.payload_hash for key, state in held.items()} == {
        r.source_key: payload_hash(r.payload) for r in records
    }
    # As a ledger recorded them before a load handed the ledger its hashes: the ledger hashed each payload itself.
    more = [TargetRecord(f"m{i}", {"name": f"M{i}"}) for i in range(3)]
    ledger.record(
        pair=PAIR,
        target_object=OBJ,
        outcomes=[Outcome(r.source_key, Action.CREATED, r.payload, f"id-{r.source_key}") for r in more],
        run_id="old",
        partition=None,
    )
    again = run([*records, *more], writer, ledger)
    assert (again.unchanged, again.batches) == (6, 0)


def test_rejected_record_goes_to_dead_letters_and_is_not_resent_unchanged(ledger):
    writer = FakeWriter()
    records = [TargetRecord("k1", {"name": "ok"}), TargetRecord("k2", {"name": "BAD"})]
    summary = run(records, writer, ledger)
    assert (summary.created, summary.failed) == (1, 1)
    [letter] = ledger.open_dead_letters(PAIR)
    assert letter.source_key == "k2" and letter.error_message == "bad name"
    rerun = run(records, writer, ledger)
    assert (rerun.skipped, rerun.batches) == (1, 0)
    fixed = run([TargetRecord("k2", {"name": "fixed"})], writer, ledger)
    assert fixed.created == 1 and ledger.open_dead_letters(PAIR) == []


def test_parents_load_before_children_and_missing_parents_wait(ledger):
    writer = FakeWriter()
    records = [
        TargetRecord("child", {"name": "c"}, ((OBJ, "parent"),)),
        TargetRecord("parent", {"name": "p"}),
        TargetRecord("orphan", {"name": "o"}, ((OBJ, "later"),)),
    ]
    summary = run(records, writer, ledger)
    assert writer.batches[0] == ["parent"] and writer.batches[1] == ["child"]
    assert summary.created == 2 and summary.failed == 1
    [letter] = ledger.open_dead_letters(PAIR)
    assert letter.error_class == "dependency" and "later" in letter.error_message
    # a run of another partition retries it, but while it still waits that is not that run's failure
    unrelated = run([TargetRecord("other", {"name": "x"})], writer, ledger)
    assert (unrelated.created, unrelated.failed) == (1, 0) and len(ledger.open_dead_letters(PAIR)) == 1
    # once the parent arrives in a later run, the waiting child is sent without being extracted again
    follow_up = run([TargetRecord("later", {"name": "l"})], writer, ledger)
    assert follow_up.created == 2 and "orphan" in writer.rows
    assert ledger.open_dead_letters(PAIR) == []


def test_an_update_only_record_never_written_costs_no_call_and_one_written_earlier_is_updated(ledger):
    writer = FakeWriter()
    run([TargetRecord("known", {"name": "k", "state": "active"})], writer, ledger)
    retired = "inactive at the source and never synced"
    records = [
        TargetRecord("known", {"name": "k", "state": "inactive"}, update_only=retired),
        TargetRecord("never", {"name": "n", "state": "inactive"}, update_only=retired),
    ]
    summary = run(records, writer, ledger)
    assert (summary.updated, summary.skipped) == (1, 1)
    assert writer.batches[-1] == ["known"] and "never" not in writer.rows
    assert writer.rows["known"]["state"] == "inactive"
    assert ledger.synced(PAIR, OBJ, ["never"]) == {}


def test_force_resends_unchanged_records(ledger):
    writer = FakeWriter()
    records = [TargetRecord("k1", {"name": "x"})]
    run(records, writer, ledger)
    assert run(records, writer, ledger, force=True).updated == 1


def test_remove_deletes_only_what_was_written_and_forgets_it(ledger):
    writer = FakeWriter()
    run([TargetRecord("k1", {"name": "one"}), TargetRecord("k2", {"name": "two"})], writer, ledger)
    target = SyncTarget(PAIR, OBJ, writer, batch_size=10)
    summary = remove(["k1", "never-written"], target, ledger, run_id="r1")
    assert (summary.deleted, summary.batches) == (1, 1) and set(writer.rows) == {"k2"}
    assert writer.batches[-1] == ["k1"], "a key the connector never wrote costs no call"
    assert ledger.synced_keys(PAIR, OBJ, ["k1", "k2"]) == {"k2"}
    [audit] = ledger.audit(run_id="r1")
    assert audit["action"] == "deleted" and audit["changes"] == {"name": ["one", None]}
    again = remove(["k1"], target, ledger)
    assert (again.deleted, again.batches) == (0, 0)
    assert run([TargetRecord("k1", {"name": "one"})], writer, ledger).created == 1, "restored: written again"


def test_a_record_waiting_for_a_parent_says_why_the_parent_is_not_in_the_target(ledger):
    ledger.record(
        pair=PAIR,
        target_object=OBJ,
        outcomes=[
            Outcome("gone", Action.NOT_IN_SOURCE, error_message="read by key: not found"),
            Outcome("inactive", Action.SKIPPED, error_message="party status I"),
        ],
        run_id="r0",
        partition=None,
    )
    writer = FakeWriter()
    records = [
        TargetRecord("refused", {"name": "BAD parent"}),
        *(
            TargetRecord(f"child-of-{parent}", {"name": "c"}, ((OBJ, parent),))
            for parent in ("refused", "gone", "inactive", "unknown")
        ),
    ]
    run(records, writer, ledger)
    letters = {letter.source_key: letter for letter in ledger.open_dead_letters(PAIR, error_class="dependency")}
    expected = {
        "refused": ("parent_refused", "account refused (refused by the target (validation 0x1: bad name))"),
        "gone": ("parent_not_in_source", "account gone (the source does not have it: read by key, not found)"),
        "inactive": ("parent_excluded", "account inactive (left out by the mapping rules: party status I)"),
        "unknown": ("parent_not_loaded", "account unknown (not in the target yet)"),
    }
    for parent, (code, reason) in expected.items():
        letter = letters[f"child-of-{parent}"]
        assert letter.error_code == code and letter.error_message == f"waiting for {reason}"


def test_a_record_given_the_targets_current_values_is_written_only_where_the_target_differs(ledger):
    """Two-way pairs: a person may have changed the target since the last write, so the target's values decide,
    not the hash of what was sent; the audit row shows the target's values before → after, and the notes."""
    writer = FakeWriter()
    agrees = TargetRecord("k1", {"id": "t1", "name": "same"}, current={"id": "t1", "name": "same"})
    differs = TargetRecord(
        "k2", {"id": "t2", "name": "ours"}, current={"id": "t2", "name": "theirs"}, notes={"conflicts": [{"f": 1}]}
    )
    summary = run([agrees, differs], writer, ledger, run_id="r1")
    assert (summary.unchanged, summary.created, summary.batches) == (1, 1, 1)
    assert list(writer.rows) == ["k2"]
    [row] = [row for row in ledger.audit(run_id="r1") if row["source_key"] == "k2"]
    assert row["changes"]["name"] == ["theirs", "ours"] and row["changes"]["conflicts"] == [{"f": 1}]
    # the same payload again, the target edited back meanwhile: written again, whatever was sent before
    again = run(
        [TargetRecord("k2", {"id": "t2", "name": "ours"}, current={"id": "t2", "name": "edited"})], writer, ledger
    )
    assert again.updated == 1


def test_a_record_found_agreeing_in_the_target_that_the_ledger_lacked_is_recorded_where_it_is(ledger):
    """A write that landed in a run that died before recording it: the next run's mapping finds it in the target as
    it should be, nothing is written, and the ledger learns where it is; a record the ledger holds stays as it is."""
    writer = FakeWriter()
    summary = run([TargetRecord("k1", {"sum": "10"}, current={"sum": "10"}, target_id="t1")], writer, ledger)
    assert summary.unchanged == 1 and writer.batches == []
    assert ledger.synced(PAIR, OBJ)["k1"].target_id == "t1" and ledger.synced_keys(PAIR, OBJ, ["k1"]) == {"k1"}
    run([TargetRecord("k1", {"sum": "10"}, current={"sum": "10"}, target_id="t2")], writer, ledger)
    assert ledger.synced(PAIR, OBJ)["k1"].target_id == "t1"


def test_a_record_a_quota_stopped_is_sent_by_the_next_run_of_any_partition(ledger):
    class Quota(FakeWriter):
        stopped = True

        def upsert(self, target_object, records):
            if self.stopped:
                return [
                    WriteResult(r.source_key, False, error_class="quota", error_message="no credits") for r in records
                ]
            return super().upsert(target_object, records)

    writer = Quota()
    first = run([TargetRecord("k1", {"name": "a"})], writer, ledger, partition="2026-10-01")
    assert first.failed == 1
    writer.stopped = False
    later = run([TargetRecord("k9", {"name": "b"})], writer, ledger, partition="2026-10-02")
    assert later.created == 2 and set(writer.rows) == {"k1", "k9"}
    assert ledger.open_dead_letters(PAIR) == []


def test_a_load_reads_only_the_open_dead_letters_of_its_records_and_those_that_come_back(ledger, monkeypatch):
    """An initial load meets bad records page after page: reading every open letter of the object for each page made
    each page cost more than the one before."""
    writer = FakeWriter()
    run([TargetRecord(f"bad{i}", {"name": "BAD"}) for i in range(3)], writer, ledger)
    run([TargetRecord("waits", {"name": "w"}, ((OBJ, "parent"),))], writer, ledger)
    read: list[str] = []
    letters = ledger.open_dead_letters

    def open_dead_letters(*args, **kwargs):
        found = letters(*args, **kwargs)
        read.extend(letter.source_key for letter in found)
        return found

    monkeypatch.setattr(ledger, "open_dead_letters", open_dead_letters)
    summary = run([TargetRecord("bad1", {"name": "BAD"}), TargetRecord("new", {"name": "n"})], writer, ledger)
    assert sorted(set(read)) == ["bad1", "waits"]
    assert (summary.skipped, summary.created) == (1, 1)


class ParallelWriter(FakeWriter):
    """Says it takes `parallelism` batches at once; each upsert waits until that many are in flight (or a while), so
    the most in flight at once is what the load allowed, whatever the machine's speed."""

    def __init__(self, parallelism: int, fail_on: str | None = None):
        super().__init__()
        self.parallelism = self.waits_for = parallelism
        self.fail_on = fail_on
        self.in_flight = 0
        self.most_in_flight = 0
        self.threads: set[str] = set()
        self._changed = threading.Condition()

    def upsert(self, target_object, records):
        with self._changed:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.threads.add(threading.current_thread().name)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.in_flight >= self.waits_for, timeout=0.5)
        try:
            if self.fail_on in (r.source_key for r in records):
                raise RuntimeError("the target is down")
            with self._changed:
                return super().upsert(target_object, records)
        finally:
            with self._changed:
                self.in_flight -= 1


def test_batches_go_in_parallel_up_to_the_writers_degree_and_never_more(ledger):
    writer = ParallelWriter(parallelism=3)
    summary = run([TargetRecord(f"k{n}", {"name": f"N{n}"}) for n in range(20)], writer, ledger)
    assert writer.most_in_flight == 3
    assert summary.batches == 10 and summary.created == 20
    assert len(ledger.synced(PAIR, OBJ)) == 20


def test_a_writer_that_does_not_say_is_called_one_batch_at_a_time_from_the_loading_thread(ledger):
    writer = ParallelWriter(parallelism=2)
    del writer.parallelism
    run([TargetRecord(f"k{n}", {"name": f"N{n}"}) for n in range(4)], writer, ledger)
    assert writer.most_in_flight == 1 and writer.threads == {threading.current_thread().name}


def test_parents_are_written_before_children_even_in_parallel(ledger):
    writer = ParallelWriter(parallelism=4)
    parents = [TargetRecord(f"p{n}", {"name": f"P{n}"}) for n in range(6)]
    children = [TargetRecord(f"c{n}", {"name": f"C{n}"}, ((OBJ, f"p{n}"),)) for n in range(6)]
    summary = run(children + parents, writer, ledger)
    assert summary.created == 12 and summary.failed == 0
    sent = [key for batch in writer.batches for key in batch]
    assert max(sent.index(f"p{n}") for n in range(6)) < min(sent.index(f"c{n}") for n in range(6))


def test_a_batch_that_fails_stops_further_sends_and_what_was_in_flight_is_recorded(ledger):
    writer = ParallelWriter(parallelism=3, fail_on="k4")
    with pytest.raises(RuntimeError, match="the target is down"):
        run([TargetRecord(f"k{n}", {"name": f"N{n}"}) for n in range(20)], writer, ledger)
    written = {key for batch in writer.batches for key in batch}
    assert written and set(ledger.synced(PAIR, OBJ)) == written
    assert len(writer.batches) < 9  # not all the other batches were sent after the failure
