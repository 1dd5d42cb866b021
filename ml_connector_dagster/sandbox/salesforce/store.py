"""The org's records: in memory, written through to SQLite when the sandbox has a state folder (else an in-memory
database), with an index of External ID values so upserts stay fast on orgs of thousands of records. Deleted
records stay (IsDeleted, as in the Recycle Bin) so queryAll finds them."""

import json
import sqlite3
import threading
from collections import defaultdict
from pathlib import Path


class Store:
    def __init__(self, path: Path | None, objects: list[str]):
        self.lock = threading.RLock()
        self.rows: dict[str, dict[str, dict]] = {name: {} for name in objects}
        # (object, field) → lower-cased value → ids of live records; built on first use of a field
        self._index: dict[tuple[str, str], dict[str, set[str]]] = {}
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS rows (object TEXT, id TEXT, data TEXT, PRIMARY KEY (object, id))")
        self._db.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER)")
        for name, row_id, data in self._db.execute("SELECT object, id, data FROM rows"):
            self.rows.setdefault(name, {})[row_id] = json.loads(data)

    def next_number(self, name: str) -> int:
        with self.lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = (row[0] if row else 0) + 1
            self._db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (name, value))
            self._db.commit()
            return value

    def matching(self, name: str, field: str, value: str) -> set[str]:
        """Ids of live records whose `field` equals `value`, ignoring case as External ID matching does."""
        with self.lock:
            return set(self._field_index(name, field).get(value.lower(), ()))

    def save(self, changes: dict[tuple[str, str], dict]) -> list[tuple[str, dict | None, dict]]:
        """Writes staged rows at once: what one request, one allOrNone collection or one bulk row commits.
        Answers (object, row before or None, row after) for each."""
        saved = []
        with self.lock:
            for (name, row_id), row in changes.items():
                old = self.rows[name].get(row_id)
                saved.append((name, old, row))
                for (indexed, field), values in self._index.items():
                    if indexed == name:
                        _unindex(values, old, field)
                        _reindex(values, row, field)
                self.rows[name][row_id] = row
                self._db.execute("INSERT OR REPLACE INTO rows VALUES (?, ?, ?)", (name, row_id, json.dumps(row)))
            self._db.commit()
        return saved

    def _field_index(self, name: str, field: str) -> dict[str, set[str]]:
        key = (name, field)
        if key not in self._index:
            values: dict[str, set[str]] = defaultdict(set)
            for row in self.rows[name].values():
                _reindex(values, row, field)
            self._index[key] = values
        return self._index[key]


def _unindex(values: dict[str, set[str]], row: dict | None, field: str) -> None:
    if row is not None and row.get(field) is not None:
        values[str(row[field]).lower()].discard(row["Id"])


def _reindex(values: dict[str, set[str]], row: dict, field: str) -> None:
    if row.get(field) is not None and not row.get("IsDeleted"):
        values[str(row[field]).lower()].add(row["Id"])
