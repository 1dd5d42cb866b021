"""Rows of the emulated F&O environment: in memory, written through to SQLite when the sandbox has a state folder.

Writes happen in transactions (a request, or a `$batch` change set, is one); a transaction that raises leaves
nothing behind. Committed changes go to subscribers (business events), which is why events never announce a
rolled-back write. Number sequences live here too; like F&O's non-continuous sequences they leave gaps when a
transaction that drew a number rolls back.
"""

import itertools
import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ml_connector_dagster.sandbox.dynamics_fo.entities import ENTITIES, SALES_ORDER_HEADERS, SALES_ORDER_LINES, Entity

_DELETED = object()
Key = tuple
# Rows kept together by the folded values of these fields: a sales order's lines, which every line written reads
# (its next line number, the order's total), so that a write reads its order's lines, not every line of every order.
GROUPED = {SALES_ORDER_LINES.entity_set: SALES_ORDER_HEADERS.keys}


@dataclass(frozen=True)
class Change:
    entity: Entity
    row: dict  # the row after the change; for a delete, the row as it was
    kind: str  # Created | Updated | Deleted


@dataclass
class Actor:
    """Who made the change: the Entra object id of the app's F&O user or of a person in the client."""

    object_id: str


def fold(value: object) -> object:
    # Keys compare as SQL Server's default collation does: case-insensitively.
    return value.lower() if isinstance(value, str) else value


def key_of(entity: Entity, values: dict) -> Key:
    return tuple(fold(values[name]) for name in entity.keys)


class Transaction:
    def __init__(self, store: "Store", actor: Actor | None):
        self.store = store
        self.actor = actor
        self.staged: dict[tuple[str, Key], dict | object] = {}
        self.changes: list[Change] = []
        self._staged_at: dict[tuple[str, Key], int] = {}  # where each staged row stands in `staged`
        self._staged_groups: dict[tuple[str, Key], set[Key]] = defaultdict(set)  # GROUPED, of the staged rows

    def get(self, entity: Entity, key: Key) -> dict | None:
        staged = self.staged.get((entity.entity_set, key), None)
        if staged is _DELETED:
            return None
        row = staged if staged is not None else self.store.rows[entity.entity_set].get(key)
        return dict(row) if row is not None else None

    def rows(self, entity: Entity) -> list[dict]:
        merged = dict(self.store.rows[entity.entity_set])
        for (entity_set, key), row in self.staged.items():
            if entity_set == entity.entity_set:
                merged[key] = row
        return [dict(row) for row in merged.values() if row is not _DELETED]

    def grouped(self, entity: Entity, group: Key) -> list[dict]:
        """The rows `rows(entity)` holds that are, or were before this transaction, in `group` (GROUPED), in the same
        order: candidates, each to be tested by the caller, read without going through every row."""
        entity_set, stored = entity.entity_set, self.store.rows[entity.entity_set]
        keys = self.store.group(entity_set, group) | self._staged_groups.get((entity_set, group), set())
        old = sorted((key for key in keys if key in stored), key=self.store.position(entity_set).__getitem__)
        new = sorted((key for key in keys if key not in stored), key=lambda key: self._staged_at[(entity_set, key)])
        rows = (self.staged.get((entity_set, key), stored.get(key)) for key in [*old, *new])
        return [dict(row) for row in rows if row is not _DELETED]

    def put(self, entity: Entity, row: dict, kind: str) -> None:
        self._stage(entity, key_of(entity, row), row)
        self.changes.append(Change(entity, dict(row), kind))

    def delete(self, entity: Entity, row: dict) -> None:
        self._stage(entity, key_of(entity, row), _DELETED)
        self.changes.append(Change(entity, dict(row), "Deleted"))

    def _stage(self, entity: Entity, key: Key, row: dict | object) -> None:
        where = (entity.entity_set, key)
        self._staged_at.setdefault(where, len(self._staged_at))
        self.staged[where] = row
        fields = GROUPED.get(entity.entity_set)
        if fields and row is not _DELETED:
            self._staged_groups[(entity.entity_set, _group(fields, row))].add(key)


class Store:
    def __init__(self, path: Path | None):
        self._lock = threading.RLock()
        self.rows: dict[str, dict[Key, dict]] = {name: {} for name in ENTITIES}
        # A row's place in `rows` (the order a dict keeps), and the keys of each group (GROUPED)
        self._positions: dict[str, dict[Key, int]] = {name: {} for name in ENTITIES}
        self._placed = itertools.count()
        self._groups: dict[tuple[str, Key], set[Key]] = defaultdict(set)
        self._subscribers: list[Callable[[list[Change], Actor | None], None]] = []
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS rows (entity TEXT, key TEXT, data TEXT, PRIMARY KEY (entity, key))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, next INTEGER)")
        for entity_set, data in self._db.execute("SELECT entity, data FROM rows"):
            row = json.loads(data)
            self._place(entity_set, key_of(ENTITIES[entity_set], row), row)

    @property
    def empty(self) -> bool:
        return not any(self.rows.values())

    def subscribe(self, subscriber: Callable[[list[Change], Actor | None], None]) -> None:
        self._subscribers.append(subscriber)

    @contextmanager
    def transaction(self, actor: Actor | None = None) -> Iterator[Transaction]:
        with self._lock:
            tx = Transaction(self, actor)
            yield tx
            self._commit(tx)
            # Still under the lock, so subscribers see commits in commit order (ControlNumber order).
            for subscriber in self._subscribers:
                subscriber(tx.changes, tx.actor)

    def _commit(self, tx: Transaction) -> None:
        for (entity_set, key), row in tx.staged.items():
            stored_key = json.dumps(key)
            if row is _DELETED:
                self._remove(entity_set, key)
                self._db.execute("DELETE FROM rows WHERE entity = ? AND key = ?", (entity_set, stored_key))
            else:
                self._place(entity_set, key, row)
                self._db.execute(
                    "INSERT OR REPLACE INTO rows VALUES (?, ?, ?)", (entity_set, stored_key, json.dumps(row))
                )
        self._db.commit()

    def _place(self, entity_set: str, key: Key, row: dict) -> None:
        old = self.rows[entity_set].get(key)
        if old is None:
            self._positions[entity_set][key] = next(self._placed)
        else:
            self._ungroup(entity_set, key, old)
        self.rows[entity_set][key] = row
        fields = GROUPED.get(entity_set)
        if fields:
            self._groups[(entity_set, _group(fields, row))].add(key)

    def _remove(self, entity_set: str, key: Key) -> None:
        old = self.rows[entity_set].pop(key, None)
        if old is not None:
            del self._positions[entity_set][key]
            self._ungroup(entity_set, key, old)

    def _ungroup(self, entity_set: str, key: Key, row: dict) -> None:
        fields = GROUPED.get(entity_set)
        if fields:
            self._groups[(entity_set, _group(fields, row))].discard(key)

    def group(self, entity_set: str, group: Key) -> set[Key]:
        return set(self._groups.get((entity_set, group), ()))

    def position(self, entity_set: str) -> dict[Key, int]:
        return self._positions[entity_set]

    def snapshot(self, entity: Entity) -> list[dict]:
        with self._lock:
            return [dict(row) for row in self.rows[entity.entity_set].values()]

    def next_number(self, sequence: str, first: int = 1) -> int:
        with self._lock:
            found = self._db.execute("SELECT next FROM sequences WHERE name = ?", (sequence,)).fetchone()
            number = found[0] if found else first
            # Committed with the next transaction: a number drawn by one that rolls back is simply skipped.
            self._db.execute("INSERT OR REPLACE INTO sequences VALUES (?, ?)", (sequence, number + 1))
            return number


def _group(fields: tuple[str, ...], row: dict) -> Key:
    return tuple(fold(row.get(name)) for name in fields)
