"""The org's records: in memory, written through to SQLite when the sandbox has a state folder. Ids are real-shaped:
15 characters (key prefix + a counter) plus Salesforce's 3-character case-safety suffix."""

import json
import sqlite3
import string
import threading
from pathlib import Path

from ml_connector_dagster.sandbox.salesforce.schema import OBJECTS, SObject

_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX = string.ascii_uppercase + "012345"


def record_id(prefix: str, number: int) -> str:
    body = ""
    while number:
        number, digit = divmod(number, 62)
        body = _ALPHABET[digit] + body
    short = prefix + "Sb" + body.rjust(10, "0")
    suffix = ""
    for chunk in (short[0:5], short[5:10], short[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix += _SUFFIX[bits]
    return short + suffix


class Store:
    def __init__(self, path: Path | None):
        self.lock = threading.RLock()
        self.rows: dict[str, dict[str, dict]] = {name: {} for name in OBJECTS}
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS rows (object TEXT, id TEXT, data TEXT, PRIMARY KEY (object, id))")
        self._db.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER)")
        for name, row_id, data in self._db.execute("SELECT object, id, data FROM rows"):
            self.rows[name][row_id] = json.loads(data)

    def next_number(self, name: str) -> int:
        with self.lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            value = (row[0] if row else 0) + 1
            self._db.execute("INSERT OR REPLACE INTO counters VALUES (?, ?)", (name, value))
            return value

    def new_id(self, sobject: SObject) -> str:
        return record_id(sobject.prefix, self.next_number(sobject.name))

    def save(self, changes: dict[tuple[str, str], dict | None]) -> None:
        """Applies staged rows (None deletes) at once: what a transaction or an allOrNone request commits."""
        with self.lock:
            for (name, row_id), row in changes.items():
                if row is None:
                    self.rows[name].pop(row_id, None)
                    self._db.execute("DELETE FROM rows WHERE object = ? AND id = ?", (name, row_id))
                else:
                    self.rows[name][row_id] = row
                    self._db.execute("INSERT OR REPLACE INTO rows VALUES (?, ?, ?)", (name, row_id, json.dumps(row)))
            self._db.commit()

    def by_external_id(self, sobject: SObject, field: str, value: str, staged: dict) -> list[dict]:
        """Matches are case-insensitive, as External ID fields are."""
        rows = {**self.rows[sobject.name], **{rid: row for (name, rid), row in staged.items()
                                               if name == sobject.name and row is not None}}
        deleted = {rid for (name, rid), row in staged.items() if name == sobject.name and row is None}
        return [row for rid, row in rows.items() if rid not in deleted and row.get(field) is not None
                and str(row[field]).lower() == value.lower()]
