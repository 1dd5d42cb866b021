"""A partition's mapping results synced page group by page group (issue #15: memory bounded by the batch, not the
partition): what the load asset does with a spool of payload pages, and with a result held whole, as the one page
it is.

Consecutive pages go to `sync` together, as many as fill the batches the target takes at once (initial_load.together,
as the initial load groups them), each group then accounted for (`account_and_heal`). What crosses pages is kept on
disk, never as the partition's records:

- an index of the partition's source keys (SQLite in a scratch directory): how many entries each has and the last
  page holding it. Keys with more than one entry are key conflicts (key_conflicts.py) whichever pages hold them:
  their entries are gathered (they are few), made conflict dead letters once, and left out of every group;
- a record referring to a record of the same target object that a later page holds (a child account before its
  parent) waits in a spool of its own, and so does a record referring to one that waits: they are synced after the
  last group, once their parents are in.

The agreement check and its heal then work per group: a share of the group is read back, and drift found in it has
the group (not the whole partition) read and judged against the drift limit.
"""

import dataclasses
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ml_connector_dagster.key_conflicts import KeyConflict, key_conflicts
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import LoadSummary
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import DriftLimit, ReadBack, Tally
from ml_connector_dagster.spool import Page, SpoolWriter, together
from ml_connector_dagster.sync import Accounted, SyncTarget, account_and_heal, sync


@dataclass
class PagedSync:
    summary: LoadSummary = field(default_factory=LoadSummary)
    tally: Tally = field(default_factory=Tally)  # where the partition's records are, every group's accounting added
    drifted: int = 0
    heal_command: str | None = None
    check_calls: int = 0
    conflicts: list[KeyConflict] = field(default_factory=list)
    records: int = 0  # distinct source keys of the partition

    def add(self, accounted: Accounted) -> None:
        self.tally.add(accounted.accounting)
        self.drifted += accounted.drifted
        self.heal_command = self.heal_command or accounted.heal_command
        self.check_calls += accounted.check_calls


def entries(result: MappingResult) -> Iterator:
    yield from result.records
    yield from result.rejected
    yield from result.excluded


def _count(result: MappingResult) -> int:
    return len(result.records) + len(result.rejected) + len(result.excluded)


def without(result: MappingResult, keys: set[str]) -> MappingResult:
    """`result` (of whatever kind) less the entries of `keys`."""
    if not keys:
        return result
    return dataclasses.replace(
        result,
        records=[r for r in result.records if r.source_key not in keys],
        rejected=[r for r in result.rejected if r.source_key not in keys],
        excluded=[e for e in result.excluded if e.source_key not in keys],
    )


class _KeyIndex:
    """The partition's source keys on disk: entries per key and the last page holding it."""

    def __init__(self, directory: Path):
        self._db = sqlite3.connect(directory / "keys.sqlite")
        self._db.execute("CREATE TABLE keys (key TEXT PRIMARY KEY, entries INTEGER, page INTEGER) WITHOUT ROWID")

    def add(self, number: int, result: MappingResult) -> None:
        self._db.executemany(
            "INSERT INTO keys VALUES (?, 1, ?) "
            "ON CONFLICT (key) DO UPDATE SET entries = entries + 1, page = excluded.page",
            ((entry.source_key, number) for entry in entries(result)),
        )

    def conflicting(self) -> set[str]:
        return {key for (key,) in self._db.execute("SELECT key FROM keys WHERE entries > 1")}

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM keys").fetchone()[0]

    def after(self, keys: set[str], page: int) -> set[str]:
        """Which of `keys` a page after `page` holds."""
        if not keys:
            return set()
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS asked (key TEXT PRIMARY KEY)")
        self._db.execute("DELETE FROM asked")
        self._db.executemany("INSERT OR IGNORE INTO asked VALUES (?)", ((key,) for key in keys))
        rows = self._db.execute("SELECT keys.key FROM keys JOIN asked USING (key) WHERE keys.page > ?", (page,))
        return {key for (key,) in rows}

    def close(self) -> None:
        self._db.close()


def _waiting_for_later(result: MappingResult, target_object: str, later: Callable[[set[str]], set[str]]) -> set[str]:
    """The records of `result` referring to a record of their own object that a later page holds, and those referring
    to one of them."""
    refs = {r.source_key: {key for obj, key in r.refs if obj == target_object} for r in result.records}
    waiting: set[str] = set()
    ahead = later(set().union(*refs.values())) if refs else set()
    grew = True
    while grew:
        more = {key for key, parents in refs.items() if key not in waiting and parents & (ahead | waiting)}
        waiting |= more
        grew = bool(more)
    return waiting


def sync_pages(
    pages: Callable[[], Iterator[MappingResult]],
    target: SyncTarget,
    ledger: Ledger,
    *,
    at_once: Callable[[], int],
    run_id: str | None,
    partition: str | None,
    limit: DriftLimit,
    read_back: ReadBack,
    log: Callable[[str], None],
    settle: Callable[[MappingResult], object] | None = None,
) -> PagedSync:
    """`pages()` gives the partition's results page by page (it is called twice: once for the key index, once to
    sync); `at_once()` how many source records a group holds; `settle` what a two-way pair records after each
    group."""
    done = PagedSync()
    with tempfile.TemporaryDirectory(prefix="paged-sync-") as scratch:
        index = _KeyIndex(Path(scratch))
        waiting = SpoolWriter(Path(scratch))
        try:
            for number, result in enumerate(pages()):
                index.add(number, result)
            done.records = len(index)
            conflicting = index.conflicting()

            def one(result: MappingResult, count: int) -> None:
                summary = sync(result, target, ledger, run_id=run_id, partition=partition, source_rows=count)
                done.add(
                    account_and_heal(
                        result,
                        target,
                        ledger,
                        summary,
                        limit=limit,
                        run_id=run_id,
                        partition=partition,
                        log=log,
                        read_back=read_back,
                    )
                )
                done.summary.include(summary)  # with what a heal sent again
                if settle is not None:
                    settle(result)

            if conflicting:
                # Their entries, whichever pages hold them: one sync makes each key one conflict dead letter.
                entries = MappingResult()
                for result in pages():
                    for part in ("records", "rejected", "excluded"):
                        getattr(entries, part).extend(e for e in getattr(result, part) if e.source_key in conflicting)
                done.conflicts = key_conflicts(entries)
                one(entries, _count(entries))
            numbered = (Page(result, str(number), _count(result)) for number, result in enumerate(pages()))
            for group in together(numbered, at_once):
                joined = without(type(group[0].rows).joined([page.rows for page in group]), conflicting)
                last = int(group[-1].position)
                later = _waiting_for_later(
                    joined, target.target_object, lambda keys, last=last: index.after(keys, last)
                )
                if later:
                    waiting.add(
                        dataclasses.replace(
                            joined,
                            records=[r for r in joined.records if r.source_key in later],
                            rejected=[],
                            excluded=[],
                        )
                    )
                    joined = without(joined, later)
                    # a record that waits is counted where it is synced
                one(joined, _count(joined))
            deferred = waiting.close()
            for group in together((Page(r, "", _count(r)) for r in deferred), at_once):
                joined = type(group[0].rows).joined([page.rows for page in group])
                one(joined, _count(joined))
        finally:
            index.close()
    return done
