"""Duplicate matches of a two-way pair across a partition's pages (issue #15: a partition mapped a page at a time).

A source record never linked is matched to the other side's record by its duplicate keys (e-mail, tax id:
mapping/two_way.unique_matches), and whether that match stands depends on the whole partition: a record two source
records alone match is ambiguous for both, wherever their pages are, and an unreadable record found by any of them
makes every such match a guess. So a payload asset matches in two passes: the first reads each page's counterparts
(its calls made once) and keeps them on disk beside the page, noting here what they claim; the second maps each page
with its counterparts settled against the whole partition (`PartitionMatches.settled`). What crosses pages is kept in
SQLite, never as the partition's records."""

import json
import sqlite3
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from ml_connector_dagster.mapping.two_way import Counterparts, settled
from ml_connector_dagster.spool import pages_of, spooled


class PartitionMatches:
    """What a partition's pages matched, on disk: which source keys alone match each record of the other side, in
    page order, and the other side's records found that cannot be read."""

    def __init__(self, directory: Path):
        self._db = sqlite3.connect(directory / "matches.sqlite")
        self._db.execute("CREATE TABLE alone (record TEXT, key TEXT)")
        self._db.execute("CREATE INDEX alone_record ON alone (record)")
        self._db.execute("CREATE TABLE unreadable (key TEXT PRIMARY KEY, why TEXT) WITHOUT ROWID")

    def add(self, counterparts: Counterparts) -> None:
        self._db.executemany("INSERT INTO alone VALUES (?, ?)", ((r, k) for k, r in counterparts.alone.items()))
        self._db.executemany("INSERT OR IGNORE INTO unreadable VALUES (?, ?)", counterparts.unreadable.items())

    def claimants(self, records: set[str]) -> dict[str, list[str]]:
        """Record id → the source keys of the partition that alone match it, in the order the pages hold them."""
        claims: dict[str, list[str]] = {}
        rows = self._db.execute(
            "SELECT record, key FROM alone WHERE record IN (SELECT value FROM json_each(?)) ORDER BY rowid",
            (json.dumps(sorted(records)),),
        )
        for record, key in rows:
            claims.setdefault(record, []).append(key)
        return claims

    def settled(self, counterparts: Counterparts, *, other: str = "record") -> Counterparts:
        # numeric keys by their number (an address number), as the whole partition's were sorted
        why = [why for (why,) in self._db.execute("SELECT why FROM unreadable ORDER BY length(key), key")]
        return settled(counterparts, self.claimants, why, other=other)

    def close(self) -> None:
        self._db.close()


@contextmanager
def matched_pages(
    pages: Any, read: Callable[[Any], tuple[Any, Counterparts]], *, held: int = 0
) -> Iterator[tuple[Iterable[tuple[Any, Counterparts]], PartitionMatches]]:
    """The first pass over `pages` (a spool, pages on their way, or a value held whole as its one page): `read` gives
    each page's input to the mapping and its counterparts, kept in a spool of (input, counterparts) pages; with the
    partition's matches to settle them by. Both are removed on leaving. The first `held` pages stay in memory
    instead, handed on first and let go as they are (for a caller that holds as many pages at once anyway: a load
    of a few pages then never pickles its pages to disk and back)."""
    with tempfile.TemporaryDirectory(prefix="matches-") as scratch:
        matches = PartitionMatches(Path(scratch))
        try:

            def first() -> Iterator[tuple[Any, Counterparts]]:
                for page in pages_of(pages):
                    given, counterparts = read(page)
                    matches.add(counterparts)
                    yield given, counterparts

            stream = first()
            kept = deque(islice(stream, held))
            spool = spooled(stream, Path(scratch))

            def second() -> Iterator[tuple[Any, Counterparts]]:
                while kept:
                    yield kept.popleft()
                yield from spool

            yield (second() if held else spool), matches
        finally:
            matches.close()
