"""A partition's data on disk, page by page, so no step holds more of it than a page (issue #15: memory bounded by
the batch, not the partition).

An asset writes its pages to a `SpoolWriter` and returns the `Spool` it closes to: a small picklable value naming a
directory, which the IO manager (spool_io.py) hands to the assets downstream by reference. Iterating a spool loads
one page at a time. A page is whatever the asset makes of part of its partition: a DataFrame of rows, a dict of
DataFrames (a snapshot of several tables), a MappingResult.

Where pages hold source rows, a row read twice (overlapping windows, offset paging over rows edited mid-read, a
parent read on demand that a later page reads again) is kept in its last page only: each page's keys go into a key
index on disk (SQLite, in the spool's directory) saying which page holds a key's last version, and a page is read back
without the rows a later page replaced. A whole partition's worth of rows is thus never held to de-duplicate it.
"""

import json
import pickle
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, Self, TypeVar

import pandas as pd

# Source rows per page: as many as a target takes in one batch (Dataverse 1,000), and a snapshot's by-key reads take
# in one call (EBS 1,000 keys).
PAGE_ROWS = 1000

_INDEX = "keys.sqlite"
_WHOLE = ""  # the part name of a page that is one table
T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One page of source records as the object's `map` takes them; `position` is where the next page starts, stored
    once this one is loaded; `count` is how many source records it holds."""

    rows: Any
    position: str
    count: int


def batched(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """`size` rows at a time from a stream, holding no more than that (itertools.batched is Python 3.12)."""
    stream = iter(rows)
    while page := list(islice(stream, size)):
        yield page


def together(pages: Iterator[Page], records: Callable[[], int]) -> Iterator[list[Page]]:
    """Consecutive pages holding together up to `records()` source records (asked again for each page: a target's
    degree is learned from its answers), at least one page. A group is handed on as soon as it is full, and the pages
    read before the source failed are handed on before its error: they are loaded, not read again."""
    group: list[Page] = []
    try:
        for page in pages:
            if group and sum(p.count for p in group) + page.count > records():
                yield group
                group = []
            group.append(page)
            if sum(p.count for p in group) >= records():
                yield group
                group = []
    except Exception:
        if group:
            yield group
        raise
    if group:
        yield group


def _page_file(path: Path, number: int) -> Path:
    return path / f"page-{number:06d}.pickle"


@dataclass
class Spool:
    """`pages` pages in the directory `path`; `keys` (part → key columns) where the pages hold source rows that
    are de-duplicated across pages (a DataFrame page's part is "")."""

    path: str
    pages: int
    keys: Mapping[str, tuple[str, ...]] | None = None

    def __iter__(self) -> Iterator[Any]:
        index = sqlite3.connect(Path(self.path) / _INDEX) if self.keys else None
        try:
            for number in range(self.pages):
                page = pickle.loads(_page_file(Path(self.path), number).read_bytes())
                yield page if index is None else self._latest(index, number, page)
        finally:
            if index is not None:
                index.close()

    def __len__(self) -> int:
        return self.pages

    def rows(self, part: str = _WHOLE) -> int:
        """How many rows of `part` the pages hold once de-duplicated (spools of source rows only)."""
        with sqlite3.connect(Path(self.path) / _INDEX) as index:
            return index.execute("SELECT COUNT(*) FROM latest WHERE part = ?", (part,)).fetchone()[0]

    def _latest(self, index: sqlite3.Connection, number: int, page: Any) -> Any:
        """`page` without the rows whose key a later page holds too."""

        def kept(part: str, frame: pd.DataFrame) -> pd.DataFrame:
            if frame.empty:
                return frame
            here = {
                key for (key,) in index.execute("SELECT key FROM latest WHERE part = ? AND page = ?", (part, number))
            }
            mask = [key in here for key in _row_keys(frame, self.keys[part])]
            return frame[mask].reset_index(drop=True)

        if isinstance(page, pd.DataFrame):
            return kept(_WHOLE, page)
        return {part: kept(part, frame) for part, frame in page.items()}

    def whole(self) -> Any:
        """Every page as one value (a DataFrame, a dict of them by part, a MappingResult joined), for a consumer
        that takes a partition whole: it holds the partition, as every consumer did before spools."""
        return _whole(list(self))

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def move(self, path: Path) -> None:
        """Moves this spool to `path`, replacing whatever spool was there (a partition's earlier materialization).
        In place: whoever holds this value (a run's captured outputs) finds the pages where they now are."""
        if path.exists():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(self.path, path)
        self.path = str(path)


def _whole(pages: list[Any]) -> Any:
    if not pages:
        return pd.DataFrame()
    if isinstance(pages[0], pd.DataFrame):
        return _joined(pages)
    if isinstance(pages[0], Mapping):
        return {part: _whole([page[part] for page in pages]) for part in pages[0]}
    return type(pages[0]).joined(pages)  # pages of mapping results


def _joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    filled = [frame for frame in frames if not frame.empty]
    if not filled:
        return frames[0] if frames else pd.DataFrame()
    return pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0]


_KEY_FORM = json.JSONEncoder(default=str)


def _row_keys(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[str]:
    values = frame[list(columns)].astype(object).where(frame[list(columns)].notna(), None)
    return [_key_text(row) for row in values.itertuples(index=False, name=None)]


def _key_text(row: tuple) -> str:
    """`json.dumps(list(row), default=str)`, the text a row's key is indexed by (a spool written earlier holds it),
    written here for the values keys hold (text, whole numbers, null) as JSON writes them: a key per row of every page
    made an encoder each, most of a spool's cost. Any other value is left to JSON."""
    parts = []
    for value in row:
        if isinstance(value, str):
            parts.append(encode_basestring_ascii(value))
        elif value is None:
            parts.append("null")
        elif type(value) is int:
            parts.append(int.__repr__(value))
        else:
            return _KEY_FORM.encode(list(row))
    return "[" + ", ".join(parts) + "]"


class SpoolWriter:
    """Pages into a new directory under `base` (the system's temporary directory by default); `keys` as Spool's.
    `close()` gives the Spool; a writer left without closing removes its directory (`discard`)."""

    def __init__(self, base: Path | None = None, keys: Mapping[str, tuple[str, ...]] | None = None):
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix="spool-", dir=base))
        self.keys = dict(keys) if keys else None
        self.pages = 0
        self._index = None
        if self.keys:
            self._index = sqlite3.connect(self.path / _INDEX)
            self._index.execute("CREATE TABLE latest (part TEXT, key TEXT, page INTEGER, PRIMARY KEY (part, key))")

    def add(self, page: Any) -> None:
        if self._index is not None:
            parts = {_WHOLE: page} if isinstance(page, pd.DataFrame) else page
            for part, frame in parts.items():
                if frame.empty:
                    continue
                self._index.executemany(
                    "INSERT INTO latest VALUES (?, ?, ?) ON CONFLICT (part, key) DO UPDATE SET page = excluded.page",
                    ((part, key, self.pages) for key in _row_keys(frame, self.keys[part])),
                )
        _page_file(self.path, self.pages).write_bytes(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))
        self.pages += 1

    def close(self) -> Spool:
        if self._index is not None:
            # each page is read back by its keys' latest page: built once, after the writes
            self._index.execute("CREATE INDEX latest_page ON latest (page, part)")
            self._index.commit()
            self._index.close()
        return Spool(str(self.path), self.pages, self.keys)

    def discard(self) -> None:
        if self._index is not None:
            self._index.close()
        shutil.rmtree(self.path, ignore_errors=True)


def spooled(pages: Iterable[Any], base: Path | None = None, keys: Mapping[str, tuple[str, ...]] | None = None) -> Spool:
    """`pages` written to a new spool, one at a time."""
    writer = SpoolWriter(base, keys)
    try:
        for page in pages:
            writer.add(page)
    except BaseException:
        writer.discard()
        raise
    return writer.close()


def pages_of(value: Any, pick: Callable[[Any], Any] = lambda page: page) -> Iterator[Any]:
    """A spool's pages, pages already on their way (an iterator: several inputs' pages chained), or a value held
    whole as the one page it is; `pick` takes each page's part."""
    for page in value if isinstance(value, Spool | Iterator) else [value]:
        yield pick(page)


class _OnDisk:
    """A scratch SQLite database of its own directory (`table`: its one table's columns), removed on close."""

    def __init__(self, base: Path | None, prefix: str, table: str, *, threads: bool = False):
        self._dir = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
        # `threads`: used from several threads, each call under the subclass's lock
        self._db = sqlite3.connect(self._dir / _INDEX, check_same_thread=not threads)
        self._db.execute(table)

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_) -> None:
        self.close()


class KeySet(_OnDisk):
    """A set of keys (source ids) on disk, for what a partition's pages read by key: added to a page at a time, read
    back in chunks in order (numeric ids by their number), asked which of some keys it holds."""

    def __init__(self, base: Path | None = None):
        super().__init__(base, "keys-", "CREATE TABLE keys (key TEXT PRIMARY KEY) WITHOUT ROWID")

    def add(self, keys: Iterable[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO keys VALUES (?)", ((key,) for key in keys if key))

    def among(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` the set holds."""
        asked = json.dumps([key for key in keys if key])
        return {
            key
            for (key,) in self._db.execute(
                "SELECT key FROM keys WHERE key IN (SELECT value FROM json_each(?))", (asked,)
            )
        }

    def chunks(self, size: int) -> Iterator[list[str]]:
        cursor = self._db.execute("SELECT key FROM keys ORDER BY length(key), key")
        while chunk := [key for (key,) in cursor.fetchmany(size)]:
            yield chunk

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM keys").fetchone()[0]


class KeyMap(_OnDisk):
    """A mapping on disk of keys (any JSON value) to the source id that claimed each first, for what a partition's
    pages claim in turn (e.g. a code two records would both make): `setdefault` as a dict's."""

    def __init__(self, base: Path | None = None):
        super().__init__(base, "claims-", "CREATE TABLE claims (key TEXT PRIMARY KEY, owner TEXT) WITHOUT ROWID")

    def setdefault(self, key: Any, owner: str) -> str:
        name = json.dumps(key)
        self._db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?)", (name, owner))
        return self._db.execute("SELECT owner FROM claims WHERE key = ?", (name,)).fetchone()[0]


class IdMap(_OnDisk):
    """A mapping on disk of keys (any JSON value) to a target's integer ids, safe to use from several threads: what a
    writer's session learns of the target's ids over a partition (a page's references, the records it wrote), held
    on disk so the session's memory does not grow with the partition. A key set again takes the later id."""

    def __init__(self, base: Path | None = None):
        table = "CREATE TABLE ids (key TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID"
        super().__init__(base, "ids-", table, threads=True)
        self._lock = threading.Lock()

    def update(self, pairs: Iterable[tuple[Any, int]]) -> None:
        rows = [(json.dumps(key), id) for key, id in pairs]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO ids VALUES (?, ?)", rows)

    def __setitem__(self, key: Any, id: int) -> None:
        self.update([(key, id)])

    def found(self, keys: Iterable[Any]) -> dict[Any, int]:
        """The ids of those of `keys` the map holds, in one query."""
        names = {json.dumps(key): key for key in keys}
        with self._lock:
            rows = self._db.execute(
                "SELECT key, id FROM ids WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(list(names)),)
            ).fetchall()
        return {names[name]: id for name, id in rows}


class RowsBy(_OnDisk):
    """The rows of a table's pages kept on disk by one column's value, read back for a few values at a time: what a
    page of one input needs of another (a page of orders, their lines), without holding the other whole."""

    def __init__(self, pages: Iterable[pd.DataFrame], column: str, base: Path | None = None):
        super().__init__(base, "rows-", "CREATE TABLE rows (value TEXT, row BLOB)")
        self.columns: list[str] | None = None
        try:
            for page in pages:
                self.columns = self.columns or list(page.columns)
                if page.empty:
                    continue
                self._db.executemany(
                    "INSERT INTO rows VALUES (?, ?)",
                    (
                        (str(value), pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL))
                        for value, row in zip(page[column], page.to_dict("records"), strict=True)
                        if value is not None and not pd.isna(value)
                    ),
                )
            self._db.execute("CREATE INDEX rows_value ON rows (value)")
        except BaseException:
            self.close()
            raise

    def frame(self, values: Iterable[Any]) -> pd.DataFrame:
        """The rows whose column holds one of `values`, in the order they were added."""
        asked = json.dumps(sorted({str(value) for value in values}))
        found = self._db.execute(
            "SELECT row FROM rows WHERE value IN (SELECT value FROM json_each(?)) ORDER BY rowid", (asked,)
        )
        return pd.DataFrame([pickle.loads(row) for (row,) in found], columns=self.columns, dtype=object)
