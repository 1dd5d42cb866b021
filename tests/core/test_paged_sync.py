"""A partition synced page group by page group (paged_sync.py): groups never hold more than the target takes at once,
a child before its parent's page waits for it without a dead letter, a key conflict across pages is found, and memory
does not grow with the partition."""

import gc
import json
import tracemalloc
from datetime import date

import pandas as pd

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import DriftLimit, ReadBack
from ml_connector_dagster.paged_sync import sync_pages
from ml_connector_dagster.spool import _row_keys, spooled
from ml_connector_dagster.sync import SyncTarget

PAIR, OBJ = "a__b", "account"


class Writer:
    """Keeps only the keys it was sent and the largest batch; answers every record written."""

    def __init__(self):
        self.counter = CallCounter()
        self.keys: set[str] = set()
        self.order: list[str] = []

    def upsert(self, target_object, records):
        self.counter.add("POST")
        self.keys.update(r.source_key for r in records)
        self.order.extend(r.source_key for r in records)
        return [WriteResult(r.source_key, True, f"id-{r.source_key}") for r in records]

    def existing_keys(self, target_object, known):
        return set(known) & self.keys


def run(pages, ledger, writer, *, at_once=4, run_id="r1", held=None):
    spool = spooled(pages)

    def counted(result):
        if held is not None:
            held.append(len(result.records) + len(result.rejected) + len(result.excluded))

    done = sync_pages(
        lambda: iter(spool),
        SyncTarget(PAIR, OBJ, writer, batch_size=2),
        ledger,
        at_once=lambda: at_once,
        run_id=run_id,
        partition="2026-10-01",
        limit=DriftLimit(),
        read_back=ReadBack(),
        log=lambda message: None,
        settle=counted,
    )
    spool.remove()
    return done


def page(*keys, parent=None):
    refs = ((OBJ, parent),) if parent else ()
    return MappingResult(records=[TargetRecord(key, {"name": key}, refs if key == "child" else ()) for key in keys])


def test_groups_hold_at_most_what_the_target_takes_at_once_and_every_record_is_accounted_for(ledger):
    writer, held = Writer(), []
    done = run([page(*(f"k{p}.{n}" for n in range(3))) for p in range(5)], ledger, writer, held=held)
    assert held and max(held) <= 4 and sum(held) == 15
    assert (done.summary.created, done.summary.failed, done.records) == (15, 0, 15)
    assert (done.tally.expected, done.tally.present, done.tally.missing) == (15, 15, 0)


def test_a_child_whose_parent_a_later_page_holds_waits_for_it_without_a_dead_letter(ledger):
    writer = Writer()
    done = run([page("child", "a", parent="parent"), page("b", "c"), page("parent", "d")], ledger, writer)
    assert writer.order.index("parent") < writer.order.index("child")
    assert (done.summary.created, done.summary.failed) == (6, 0)
    assert ledger.open_dead_letters(PAIR, OBJ) == []


def test_records_of_one_key_in_two_pages_are_one_conflict_and_neither_is_written(ledger):
    writer = Writer()
    done = run([page("k1", "same"), page("k2"), page("same", "k3")], ledger, writer, at_once=2)
    assert [conflict.source_key for conflict in done.conflicts] == ["same"]
    assert "same" not in writer.keys and {"k1", "k2", "k3"} <= writer.keys
    [letter] = ledger.open_dead_letters(PAIR, OBJ)
    assert (letter.source_key, letter.error_class) == ("same", "conflict")


class Answering(Writer):
    """Keeps nothing of what it is sent (a first sync reads nothing back: every write answered)."""

    def upsert(self, target_object, records):
        self.counter.add("POST")
        return [WriteResult(r.source_key, True, f"id-{r.source_key}") for r in records]


def _pages(count: int, per_page: int = 100):
    for start in range(0, count, per_page):
        yield MappingResult(
            records=[
                TargetRecord(f"k{n:07d}", {"name": f"{n}", "notes": "x" * 1000}) for n in range(start, start + per_page)
            ]
        )


def _peak(count: int, ledger) -> int:
    spool = spooled(_pages(count))
    writer = Answering()
    gc.collect()
    tracemalloc.start()
    try:
        sync_pages(
            lambda: iter(spool),
            SyncTarget(PAIR, OBJ, writer, batch_size=100),
            ledger,
            at_once=lambda: 200,
            run_id=f"r{count}",
            partition=f"p{count}",
            limit=DriftLimit(),
            read_back=ReadBack(),
            log=lambda message: None,
        )
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        spool.remove()


def test_peak_memory_does_not_grow_with_the_partition(ledger):
    """Four times the records (1 KB payloads each) in pages of 100: the peak stays within 1.3 times the smaller one's,
    where a partition held whole peaks at about four times."""
    _peak(200, ledger)  # the ledger's first statements compile and cache once
    small, large = _peak(500, ledger), _peak(2000, ledger)
    assert large < 1.3 * small, (small, large)


def test_a_consumer_taking_a_spool_whole_gets_one_value_of_its_pages():
    frames = spooled([pd.DataFrame([{"id": 1}]), pd.DataFrame([{"id": 2}])])
    assert frames.whole().to_dict("records") == [{"id": 1}, {"id": 2}]
    results = spooled([{"document": page("a")}, {"document": page("b", "c")}])
    assert [r.source_key for r in results.whole()["document"].records] == ["a", "b", "c"]
    for spool in (frames, results):
        spool.remove()


def test_a_row_read_again_by_a_later_page_is_kept_in_that_page_only():
    spool = spooled(
        [pd.DataFrame([{"id": "1", "v": "old"}, {"id": "2", "v": "x"}]), pd.DataFrame([{"id": "1", "v": "new"}])],
        keys={"": ("id",)},
    )
    assert [page.to_dict("records") for page in spool] == [[{"id": "2", "v": "x"}], [{"id": "1", "v": "new"}]]
    assert spool.rows() == 2
    spool.remove()


def test_a_spools_row_keys_are_the_json_text_a_spool_written_before_holds():
    # A spool already on disk indexes its rows by json.dumps(list(key), default=str): a reader makes the same text.
    rows = [
        {"id": "1", "site": 7},
        {"id": 'é "q" \\ \u2028 😀', "site": None},
        {"id": "\x01", "site": 10**20},
        {"id": None, "site": 1.5},
        {"id": True, "site": date(2026, 10, 1)},
    ]
    frame = pd.DataFrame(rows, dtype=object)
    assert _row_keys(frame, ("id", "site")) == [json.dumps([row["id"], row["site"]], default=str) for row in rows]


def test_records_a_heal_sends_again_are_counted_in_the_partitions_summary(ledger):
    writer = Writer()
    pages = [page(*(f"k{p}.{n}" for n in range(3))) for p in range(3)]
    run(pages, ledger, writer)
    writer.keys.discard("k1.1")  # deleted in the target by someone
    again = sync_pages(
        lambda: iter(pages),
        SyncTarget(PAIR, OBJ, writer, batch_size=2),
        ledger,
        at_once=lambda: 4,
        run_id="r2",
        partition="2026-10-01",
        limit=DriftLimit(),
        read_back=ReadBack(runs=1),
        log=lambda message: None,
    )
    assert (again.drifted, again.summary.created, again.summary.unchanged) == (1, 1, 9)
    assert "k1.1" in writer.keys
