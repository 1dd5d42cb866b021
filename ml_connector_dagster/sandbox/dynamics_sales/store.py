"""Rows of the emulated Dataverse environment: in memory for speed, written through to SQLite when the sandbox has a
state folder (so `ml-connector demo` finds yesterday's accounts). Writes happen in transactions: UpsertMultiple on a
standard table and a $batch change set are all-or-nothing, as in Dataverse."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ml_connector_dagster.sandbox.dynamics_sales.tables import TABLES, Table

_DELETED = object()


class Transaction:
    """Staged changes over the store; reads see them, nothing is visible outside until commit."""

    def __init__(self, store: "Store"):
        self.store = store
        self.staged: dict[tuple[str, str], dict | object] = {}
        # Where each staged row stands in `staged`, and (table, key column, folded value) → the ids of the rows
        # staged with that value: a key lookup in a bulk write of a thousand rows reads its few candidates, not
        # every row staged before it.
        self._position: dict[tuple[str, str], int] = {}
        self._staged_keys: dict[tuple[str, str, object], dict[str, None]] = {}

    def get(self, table: Table, row_id: str) -> dict | None:
        staged = self.staged.get((table.logical_name, row_id))
        if staged is _DELETED:
            return None
        return staged if staged is not None else self.store.rows[table.logical_name].get(row_id)

    def find(self, table: Table, key: str | dict | None) -> dict | None:
        """By primary id (a GUID string) or by alternate key values."""
        if key is None:
            return None
        return self.get(table, key) if isinstance(key, str) else self.find_by_key(table, key)

    def find_by_key(self, table: Table, key: dict[str, object]) -> dict | None:
        column, value = next(iter(key.items())) if len(key) == 1 else (None, None)
        indexed = column in table.alternate_keys and value is not None
        staged = self._staged_by_key(table, column, value) if indexed else self._staged_scan(table, key)
        if staged is not None:
            return staged
        if len(key) == 1:
            row_id = self.store.index[table.logical_name].get((column, _fold(value)))
            row = self.get(table, row_id) if row_id else None
            return row if row is not None and _matches(row, key) else None
        return next((row for row in self.store.rows[table.logical_name].values() if _matches(row, key)), None)

    def _staged_by_key(self, table: Table, column: str, value: object) -> dict | None:
        """The first staged row (in staging order) whose key column holds the value now."""
        logical, key = table.logical_name, {column: value}
        candidates = [
            (self._position[(logical, row_id)], row)
            for row_id in self._staged_keys.get((logical, column, _fold(value)), ())
            if (row := self.staged[(logical, row_id)]) is not _DELETED and _matches(row, key)
        ]
        return min(candidates, key=lambda candidate: candidate[0])[1] if candidates else None

    def _staged_scan(self, table: Table, key: dict[str, object]) -> dict | None:
        for (logical, _), row in self.staged.items():
            if logical == table.logical_name and row is not _DELETED and _matches(row, key):
                return row
        return None

    def put(self, table: Table, row: dict) -> None:
        row_id = row[table.primary_key]
        self._stage((table.logical_name, row_id), row)
        for column in table.alternate_keys:
            if row.get(column) is not None:
                self._staged_keys.setdefault((table.logical_name, column, _fold(row[column])), {})[row_id] = None

    def delete(self, table: Table, row_id: str) -> None:
        self._stage((table.logical_name, row_id), _DELETED)

    def _stage(self, where: tuple[str, str], row: dict | object) -> None:
        self._position.setdefault(where, len(self._position))
        self.staged[where] = row


class Store:
    def __init__(self, path: Path | None):
        self._lock = threading.RLock()
        self.rows: dict[str, dict[str, dict]] = {name: {} for name in TABLES}
        self.index: dict[str, dict[tuple[str, object], str]] = {name: {} for name in TABLES}
        # Without a state folder nothing would ever read the rows back: they live in memory only.
        self._db = sqlite3.connect(str(path), check_same_thread=False) if path else None
        if self._db is None:
            return
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS rows (logical TEXT, id TEXT, data TEXT, PRIMARY KEY (logical, id))"
        )
        for logical, _row_id, data in self._db.execute("SELECT logical, id, data FROM rows"):
            if logical in self.rows:
                self._place(TABLES[logical], json.loads(data))

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Serialises writers; commits when the block ends without an exception, else discards everything."""
        with self._lock:
            tx = Transaction(self)
            yield tx
            self._commit(tx)

    def _commit(self, tx: Transaction) -> None:
        for (logical, row_id), row in tx.staged.items():
            table = TABLES[logical]
            old = self.rows[logical].pop(row_id, None)
            if old is not None:
                self._unindex(table, old)
            if row is not _DELETED:
                self._place(table, row)
        if self._db is not None:
            self._write_through(tx)

    def _write_through(self, tx: Transaction) -> None:
        for (logical, row_id), row in tx.staged.items():
            if row is _DELETED:
                self._db.execute("DELETE FROM rows WHERE logical = ? AND id = ?", (logical, row_id))
            else:
                self._db.execute("INSERT OR REPLACE INTO rows VALUES (?, ?, ?)", (logical, row_id, json.dumps(row)))
        self._db.commit()

    def _place(self, table: Table, row: dict) -> None:
        self.rows[table.logical_name][row[table.primary_key]] = row
        for column in table.alternate_keys:
            if row.get(column) is not None:
                self.index[table.logical_name][(column, _fold(row[column]))] = row[table.primary_key]

    def _unindex(self, table: Table, row: dict) -> None:
        for column in table.alternate_keys:
            if row.get(column) is not None:
                self.index[table.logical_name].pop((column, _fold(row[column])), None)

    def snapshot(self, logical: str) -> list[dict]:
        """Copies of a table's rows, for callers that may change them."""
        return [dict(row) for row in self.current(logical)]

    def current(self, logical: str) -> list[dict]:
        """A table's rows as committed now, not copied: a commit replaces a row's dict, never changes it, so a reader
        that only reads them needs no copy."""
        with self._lock:
            return list(self.rows[logical].values())

    def clear(self) -> None:
        with self._lock:
            for logical in self.rows:
                self.rows[logical].clear()
                self.index[logical].clear()
            if self._db is not None:
                self._db.execute("DELETE FROM rows")
                self._db.commit()


def _fold(value: object) -> object:
    # Key lookups follow the database collation: case-insensitive for text.
    return value.lower() if isinstance(value, str) else value


def _matches(row: dict, key: dict[str, object]) -> bool:
    return all(_fold(row.get(column)) == _fold(value) for column, value in key.items())
