"""The company's records by kind (vendors, projects, cost_codes, contracts, line_items, requisitions, ...), keyed by
their integer ids: in memory, written through to SQLite when the sandbox has a state folder (else an in-memory
database), with the id counters, so a restarted sandbox keeps what the connector and the users did."""

import json
import sqlite3
import threading
from pathlib import Path

# Procore ids are integers of a few million per kind; each kind counts from its own base so ids never collide.
_ID_BASES = {
    "projects": 100,
    "vendors": 5_300_000,
    "cost_codes": 8_100_000,
    "contracts": 640_000,
    "line_items": 4_890_000,
    "requisitions": 58_800,
    "requisition_items": 910_000,
    "change_orders": 458_600,
    "change_order_items": 3_120_000,
    "hooks": 43_593_000,
    "triggers": 231_346_000,
    "events": 11_301_387_000,
    "deliveries": 7_700_000,
}


class Store:
    def __init__(self, path: Path | None):
        self.lock = threading.RLock()
        self._rows: dict[str, dict[int, dict]] = {}
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS rows (kind TEXT, id INTEGER, data TEXT, PRIMARY KEY (kind, id))")
        self._db.execute("CREATE TABLE IF NOT EXISTS counters (kind TEXT PRIMARY KEY, value INTEGER)")
        for kind, row_id, data in self._db.execute("SELECT kind, id, data FROM rows"):
            self._rows.setdefault(kind, {})[row_id] = json.loads(data)

    def rows(self, kind: str) -> dict[int, dict]:
        """The live map of one kind; read under `lock`."""
        with self.lock:
            return self._rows.setdefault(kind, {})

    def get(self, kind: str, row_id) -> dict | None:
        try:
            key = int(row_id)
        except (TypeError, ValueError):
            return None
        with self.lock:
            return self.rows(kind).get(key)

    def put(self, kind: str, row: dict) -> None:
        with self.lock:
            self.rows(kind)[row["id"]] = row
            self._db.execute("INSERT OR REPLACE INTO rows VALUES (?, ?, ?)", (kind, row["id"], json.dumps(row)))
            self._db.commit()

    def remove(self, kind: str, row_id: int) -> None:
        with self.lock:
            self.rows(kind).pop(row_id, None)
            self._db.execute("DELETE FROM rows WHERE kind = ? AND id = ?", (kind, row_id))
            self._db.commit()

    def new_id(self, kind: str) -> int:
        with self.lock:
            row = self._db.execute("SELECT value FROM counters WHERE kind = ?", (kind,)).fetchone()
            value = (row[0] if row else 0) + 1
            self._db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (kind, value))
            self._db.commit()
            return _ID_BASES.get(kind, 1) + value
