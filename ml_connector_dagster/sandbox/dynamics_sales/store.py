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
        for (logical, _), row in self.staged.items():
            if logical == table.logical_name and row is not _DELETED and _matches(row, key):
                return row
        if len(key) == 1:
            [(column, value)] = key.items()
            row_id = self.store.index[table.logical_name].get((column, _fold(value)))
            row = self.get(table, row_id) if row_id else None
            return row if row is not None and _matches(row, key) else None
        return next((row for row in self.store.rows[table.logical_name].values() if _matches(row, key)), None)

    def put(self, table: Table, row: dict) -> None:
        self.staged[(table.logical_name, row[table.primary_key])] = row

    def delete(self, table: Table, row_id: str) -> None:
        self.staged[(table.logical_name, row_id)] = _DELETED


class Store:
    def __init__(self, path: Path | None):
        self._lock = threading.RLock()
        self.rows: dict[str, dict[str, dict]] = {name: {} for name in TABLES}
        self.index: dict[str, dict[tuple[str, object], str]] = {name: {} for name in TABLES}
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
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
            if row is _DELETED:
                self._db.execute("DELETE FROM rows WHERE logical = ? AND id = ?", (logical, row_id))
            else:
                self._place(table, row)
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
        with self._lock:
            return [dict(row) for row in self.rows[logical].values()]

    def clear(self) -> None:
        with self._lock:
            for logical in self.rows:
                self.rows[logical].clear()
                self.index[logical].clear()
            self._db.execute("DELETE FROM rows")
            self._db.commit()


def _fold(value: object) -> object:
    # Key lookups follow the database collation: case-insensitive for text.
    return value.lower() if isinstance(value, str) else value


def _matches(row: dict, key: dict[str, object]) -> bool:
    return all(_fold(row.get(column)) == _fold(value) for column, value in key.items())
