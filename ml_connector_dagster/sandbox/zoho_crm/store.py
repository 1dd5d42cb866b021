"""Each org's state in memory, written through to SQLite when the sandbox has a state folder (else an in-memory
database), as the Salesforce emulator keeps its org: records by module, deleted records, watch channels and the id
counters, each under its data centre."""

import json
import sqlite3
import threading
from pathlib import Path


class Store:
    def __init__(self, path: Path | None):
        self.lock = threading.RLock()
        self._items: dict[tuple[str, str], dict[str, dict]] = {}
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS items (kind TEXT, dc TEXT, key TEXT, data TEXT, PRIMARY KEY (kind, dc, key))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER)")
        for kind, dc, key, data in self._db.execute("SELECT kind, dc, key, data FROM items"):
            self._items.setdefault((kind, dc), {})[key] = json.loads(data)

    def items(self, kind: str, dc: str) -> dict[str, dict]:
        """The live map of one kind (a module name, `deleted:<module>`, `channels`) in one org; read under `lock`."""
        with self.lock:
            return self._items.setdefault((kind, dc), {})

    def put(self, kind: str, dc: str, entries: dict[str, dict]) -> None:
        with self.lock:
            self.items(kind, dc).update(entries)
            self._db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)",
                [(kind, dc, key, json.dumps(data)) for key, data in entries.items()],
            )
            self._db.commit()

    def remove(self, kind: str, dc: str, keys: list[str]) -> None:
        with self.lock:
            for key in keys:
                self.items(kind, dc).pop(key, None)
            self._db.executemany(
                "DELETE FROM items WHERE kind = ? AND dc = ? AND key = ?", [(kind, dc, k) for k in keys]
            )
            self._db.commit()

    def next_number(self, name: str) -> int:
        with self.lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = (row[0] if row else 0) + 1
            self._db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (name, value))
            self._db.commit()
            return value
