import threading
from dataclasses import dataclass, field

import pytest
from ml_connector_dagster.assets.load import LoadTarget

from ml_connector_dagster import cli
from ml_connector_dagster.initial_load import MasterObject, SourceRead, load_object, read_ahead
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.spool import Page, batched
from tests.core.test_sync import UpsertOnlyWriter

PAIR = "src__dst"
SOURCE = [f"{n:04d}" for n in range(1, 24)]  # 23 records: 5 pages of 5, the last short


class Target:
    """A target resource: one session (its writer), a batch size."""

    batch_size = 4

    def __init__(self):
        self.writer = UpsertOnlyWriter()

    def session(self):
        return self.writer


class Source:
    """Keys in order after a position; `fail_after` pages into a run, the source stops answering (a killed run)."""

    def __init__(self, fail_after: int | None = None):
        self.fail_after = fail_after
        self.pages_read = 0
        self.mapped_sizes: list[int] = []

    def pages(self, read: SourceRead):
        remaining = [key for key in SOURCE if read.after is None or key > read.after]
        for page in batched(remaining, read.page_size):
            if self.fail_after is not None and self.pages_read == self.fail_after:
                raise ConnectionError("the source went away")
            self.pages_read += 1
            yield Page(page, page[-1], len(page))

    def map(self, keys, _given) -> MappingResult:
        self.mapped_sizes.append(len(keys))
        return MappingResult(records=[TargetRecord(key, {"name": f"record {key}"}) for key in keys])

    def master(self) -> MasterObject:
        return MasterObject("records", LoadTarget(PAIR, "thing", "dst"), self.pages, self.map, "test records")


def run(source: Source, target: Target, ledger, *, restart: bool = False, run_id: str = "r1"):
    return load_object(
        source.master(),
        source=SourceRead(None, None, None, page_size=5),
        target=target,
        ledger=ledger,
        run_id=run_id,
        restart=restart,
        log=lambda _message: None,
        warn=lambda _message: None,
    )


def test_a_load_interrupted_after_some_pages_goes_on_after_the_last_complete_page(ledger):
    target = Target()
    with pytest.raises(ConnectionError):
        run(Source(fail_after=2), target, ledger)
    checkpoint = ledger.checkpoint(PAIR, "records")
    assert (checkpoint.pages, checkpoint.records, checkpoint.position) == (2, 10, "0010")
    assert checkpoint.finished_at is None

    resumed = Source()
    progress = run(resumed, target, ledger, run_id="r2")
    assert resumed.pages_read == 3, "pages 3 to 5 only"
    assert (progress.resumed_after, progress.pages, progress.read) == (2, 3, 13)
    assert progress.summary.created == 13 and progress.summary.unchanged == 0
    assert sorted(target.writer.rows) == SOURCE
    assert ledger.checkpoint(PAIR, "records").finished_at is not None


def test_the_mapping_never_sees_more_than_a_page(ledger):
    source = Source()
    run(source, Target(), ledger)
    assert source.mapped_sizes == [5, 5, 5, 5, 3]


def test_a_finished_load_run_again_reads_everything_and_writes_nothing(ledger):
    target = Target()
    run(Source(), target, ledger)
    writes = target.writer.counter.total
    again = Source()
    progress = run(again, target, ledger, run_id="r2")
    assert again.pages_read == 5 and progress.resumed_after == 0
    assert progress.summary.unchanged == len(SOURCE) and progress.summary.created == 0
    assert target.writer.counter.total == writes


def test_a_restart_reads_from_the_first_record_even_when_an_interrupted_load_could_go_on(ledger):
    target = Target()
    with pytest.raises(ConnectionError):
        run(Source(fail_after=3), target, ledger)
    restarted = Source()
    progress = run(restarted, target, ledger, restart=True, run_id="r2")
    assert restarted.pages_read == 5 and progress.resumed_after == 0
    assert progress.summary.unchanged == 15 and progress.summary.created == 8


class SideBySide(UpsertOnlyWriter):
    """A target taking three batches at once, which notes the size of each batch it is sent."""

    parallelism = 3

    def __init__(self):
        super().__init__()
        self.batches: list[int] = []
        self.lock = threading.Lock()

    def upsert(self, target_object, records):
        with self.lock:
            self.batches.append(len(records))
            return super().upsert(target_object, records)


def test_pages_go_together_to_fill_the_batches_the_target_takes_at_once(ledger):
    target = Target()
    target.writer = SideBySide()
    source = Source()
    progress = run(source, target, ledger)
    # 3 batches of 4 at once: two pages of 5 go together (a third would make 15); one page alone makes 4 + 1.
    assert sorted(target.writer.batches) == sorted([4, 4, 2, 4, 4, 2, 3])
    assert source.mapped_sizes == [5, 5, 5, 5, 3], "the mapping still takes a page at a time"
    assert (progress.pages, progress.read, progress.summary.created) == (5, 23, 23)
    assert ledger.checkpoint(PAIR, "records").pages == 5


class Watched(Source):
    """A source that says when it has read its third page."""

    def __init__(self):
        super().__init__()
        self.third_page_read = threading.Event()

    def pages(self, read):
        for page in super().pages(read):
            if self.pages_read == 3:
                self.third_page_read.set()
            yield page


def test_the_next_pages_are_read_while_the_target_writes(ledger):
    source = Watched()

    class Waiting(UpsertOnlyWriter):
        read_meanwhile: list[bool] = []

        def upsert(self, target_object, records):
            # Without reading ahead the source reads nothing while this waits, and the wait runs out.
            self.read_meanwhile.append(source.third_page_read.wait(timeout=10))
            return super().upsert(target_object, records)

    target = Target()
    target.writer = Waiting()
    run(source, target, ledger)
    assert Waiting.read_meanwhile[0], "page 3 was read while page 1 was written"
    assert sorted(target.writer.rows) == SOURCE


def test_reading_ahead_hands_on_the_readers_error_in_its_place_and_stops_when_left():
    def failing():
        yield 1
        yield 2
        raise ConnectionError("the source went away")

    got = []
    with pytest.raises(ConnectionError):
        for item in read_ahead(failing(), depth=1):
            got.append(item)
    assert got == [1, 2]

    produced = []

    def endless():
        n = 0
        while True:
            n += 1
            produced.append(n)
            yield n

    stream = read_ahead(endless(), depth=2)
    assert next(stream) == 1
    stream.close()
    assert len(produced) <= 5, "the reader stopped once the caller left"
    assert not [t for t in threading.enumerate() if t.name == "initial-load-read-ahead"]


def test_the_cli_refuses_a_pair_without_an_initial_load_and_says_where_to_read_why(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert cli.main(["initial-load", "--pair", "salesforce__dynamics_fo"]) == 2
    assert "docs/operators/go_live.md" in capsys.readouterr().err


@dataclass
class WithExtras(MappingResult):
    """A pair's own result: more than records, rejections and exclusions (as the two-way pairs' results)."""

    agreed: dict[str, str] = field(default_factory=dict)
    put_back: list[str] = field(default_factory=list)


def test_pages_mapped_apart_are_synced_as_one_result_with_whatever_the_pairs_result_adds():
    first = WithExtras([TargetRecord("1", {})], agreed={"1": "a"}, put_back=["1"])
    second = WithExtras([TargetRecord("2", {})], agreed={"2": "b"})
    joined = WithExtras.joined([first, second])
    assert type(joined) is WithExtras
    assert [r.source_key for r in joined.records] == ["1", "2"]
    assert (joined.agreed, joined.put_back) == ({"1": "a", "2": "b"}, ["1"])
    assert MappingResult.joined([first]) is first
