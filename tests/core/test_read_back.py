"""What the agreement check reads back from the target (materialize.ReadBack): nothing a write of the run answered
for, one share of the records earlier runs wrote per run in turn, every record whose last write answered nothing
clear, and the whole partition once a share finds drift, which is then healed. Calls are counted as a target that
reads 100 external ids a request (Dataverse) would make them."""

import math
from datetime import UTC, datetime, timedelta

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import DriftLimit, ReadBack
from ml_connector_dagster.sync import Accounted, SyncTarget, account_and_heal, sync

PAIR, OBJ = "a__b", "account"
PER_READ = 100


class Target:
    """Upserts into `rows`; answers in doubt for the keys in `doubtful` and nothing at all for those in `unanswered`;
    reads back PER_READ keys a request and remembers which keys it was asked."""

    def __init__(self):
        self.counter = CallCounter()
        self.rows: dict[str, dict] = {}
        self.asked: list[str] = []
        self.doubtful: set[str] = set()
        self.unanswered: set[str] = set()

    def upsert(self, target_object, records):
        self.counter.add("POST")
        results = []
        for record in records:
            if record.source_key in self.doubtful:
                after = datetime.now(UTC) + timedelta(minutes=5)
                answer = WriteResult(record.source_key, False, error_class=ErrorClass.IN_DOUBT, resolve_after=after)
                results.append(answer)
            elif record.source_key not in self.unanswered:
                self.rows[record.source_key] = record.payload
                results.append(WriteResult(record.source_key, True, f"id-{record.source_key}"))
        return results

    def existing_keys(self, target_object, known):
        keys = sorted(known)
        for _ in range(0, len(keys), PER_READ):
            self.counter.add("GET")
        self.asked += keys
        return {key for key in keys if key in self.rows}


def records(n: int, version: str = "v1") -> MappingResult:
    return MappingResult(records=[TargetRecord(f"k{i:05}", {"name": f"{version} {i}"}) for i in range(n)])


def run(target: Target, ledger, result: MappingResult, run_id: str, read_back: ReadBack) -> Accounted:
    writer = SyncTarget(PAIR, OBJ, target, batch_size=1000)
    summary = sync(result, writer, ledger, run_id=run_id, partition="p")
    target.asked.clear()
    return account_and_heal(
        result,
        writer,
        ledger,
        summary,
        limit=DriftLimit(),
        run_id=run_id,
        partition="p",
        log=lambda message: None,
        read_back=read_back,
    )


def test_records_a_write_of_the_run_answered_for_are_not_read_back(ledger):
    target = Target()
    accounted = run(target, ledger, records(1000), "r1", ReadBack(runs=1))
    assert target.asked == [] and accounted.check_calls == 0, "the write's answers are the evidence"
    assert accounted.accounting.vouched == 1000 and not accounted.accounting.missing


def test_a_rerun_with_nothing_changed_reads_back_one_share_of_the_partition_in_few_calls(ledger):
    target = Target()
    run(target, ledger, records(1000), "r1", ReadBack())
    writes = target.counter.writes
    accounted = run(target, ledger, records(1000), "r2", ReadBack(runs=10, turn=1))
    share = [key for key in sorted(target.rows) if ReadBack(runs=10, turn=1).samples(key)]
    assert target.counter.writes == writes, "nothing written"
    assert target.asked == share and 50 < len(share) < 150, "about a tenth of the partition"
    assert accounted.check_calls == math.ceil(len(share) / PER_READ) <= 2, "not ceil(1000 / 100) = 10"
    assert (accounted.accounting.read, accounted.accounting.unread) == (len(share), 1000 - len(share))
    assert len(accounted.accounting.present) == 1000 and not accounted.accounting.missing


def test_every_written_record_is_read_back_within_read_back_runs_runs_of_its_partition(ledger):
    target = Target()
    run(target, ledger, records(300), "r1", ReadBack())
    read: set[str] = set()
    for turn in range(7):
        run(target, ledger, records(300), f"r{turn + 2}", ReadBack(runs=7, turn=turn))
        read.update(target.asked)
    assert read == set(target.rows)


def test_a_record_deleted_in_the_target_is_found_within_read_back_runs_runs_then_the_whole_partition_is_read(ledger):
    target = Target()
    run(target, ledger, records(500), "r1", ReadBack())
    deleted = "k00123"
    del target.rows[deleted]
    turns = [turn for turn in range(5) if ReadBack(runs=5, turn=turn).samples(deleted)]
    for turn in range(5):
        accounted = run(target, ledger, records(500), f"r{turn + 2}", ReadBack(runs=5, turn=turn))
        if accounted.drifted:
            break
    assert turn == turns[0], "found by the first run whose share holds it"
    assert sorted(target.asked) == [f"k{i:05}" for i in range(500)], "each record read once"
    assert accounted.drifted == 1 and deleted in target.rows, "sent again"
    assert not accounted.accounting.missing and accounted.accounting.vouched == 1


def test_reading_everything_every_run_finds_a_deletion_on_the_next_run(ledger):
    target = Target()
    run(target, ledger, records(250), "r1", ReadBack(runs=1))
    del target.rows["k00007"]
    accounted = run(target, ledger, records(250), "r2", ReadBack(runs=1))
    assert len(target.asked) == 250 and accounted.check_calls == 3
    assert accounted.drifted == 1 and "k00007" in target.rows


def test_records_whose_write_answered_nothing_clear_are_read_back_whatever_the_share(ledger):
    target = Target()
    run(target, ledger, records(400), "r1", ReadBack())
    skipped = ReadBack(runs=10, turn=3)
    doubtful, unanswered = [key for key in sorted(target.rows) if not skipped.samples(key)][:2]
    target.doubtful.add(doubtful)
    target.unanswered.add(unanswered)
    accounted = run(target, ledger, records(400, "v2"), "r2", skipped)
    assert set(target.asked) == {doubtful, unanswered}, "the rest was written and answered for"
    assert accounted.accounting.present >= {doubtful, unanswered}, "the earlier versions are still there"
    assert set(accounted.accounting.dead) == {doubtful, unanswered} and not accounted.accounting.missing
