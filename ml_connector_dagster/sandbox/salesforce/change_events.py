"""The org's Change Data Capture log: every committed write appends one event per saved record, numbered by a replay
id, and keeps it for `event_retention_hours` of the emulator's clock. Subscribers wait on `condition` and are woken
by each commit. The log lives in memory: after a restart of a persistent sandbox the records are there but the
events are not, and earlier replay ids are unknown (their subscribers start again from EARLIEST or LATEST)."""

import itertools
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.salesforce.auth import USER_ID
from ml_connector_dagster.sandbox.salesforce.event_schema import EventSchema
from ml_connector_dagster.sandbox.salesforce.schema import SObject


@dataclass(frozen=True)
class ChangeEvent:
    replay: int
    entity: str
    schema_id: str
    payload: bytes
    event_id: str
    committed: datetime


class ChangeLog:
    def __init__(
        self, clock: Clock, retention_hours: Callable[[], float], selected: Callable[[str], bool] = lambda name: True
    ):
        self.clock = clock
        self.retention_hours = retention_hours
        # Whether an object is selected for Change Data Capture: changes of others publish no event.
        self.selected = selected
        self.condition = threading.Condition()
        self.schemas: dict[str, EventSchema] = {}  # by schema id: every schema an event or a topic ever named
        self._by_object: dict[tuple, EventSchema] = {}
        self._events: deque[ChangeEvent] = deque()
        self._last = 0
        self._commits = 0

    def schema(self, sobject: SObject) -> EventSchema:
        key = (sobject.name, tuple(sobject.fields.items()))
        with self.condition:
            if key not in self._by_object:
                schema = EventSchema(sobject)
                self._by_object[key] = self.schemas[schema.id] = schema
            return self._by_object[key]

    def record(self, saved: list[tuple[SObject, dict | None, dict]], origin: str) -> None:
        """The events of one commit, in the order its records were saved (of the objects selected for CDC)."""
        saved = [change for change in saved if self.selected(change[0].name)]
        if not saved:
            return
        now = self.clock.now()
        with self.condition:
            self._commits += 1
            header = {
                "transactionKey": str(uuid.uuid4()),
                "commitTimestamp": int(now.timestamp() * 1000),
                "commitNumber": self._commits,
                "commitUser": USER_ID,
                "changeOrigin": origin,
            }
            for sequence, (sobject, old, new) in enumerate(saved, start=1):
                schema = self.schema(sobject)
                payload = schema.payload(
                    {**header, "entityName": sobject.name, "recordIds": [new["Id"]], "sequenceNumber": sequence},
                    _change_type(old, new),
                    old,
                    new,
                )
                self._last += 1
                self._events.append(ChangeEvent(self._last, sobject.name, schema.id, payload, str(uuid.uuid4()), now))
            self._purge()
            self.condition.notify_all()

    # reads: callers hold `condition` --------------------------------------------------------------------------
    @property
    def latest(self) -> int:
        return self._last

    def oldest(self) -> int:
        """The replay id after which the oldest retained event comes."""
        self._purge()
        return self._events[0].replay - 1 if self._events else self._last

    def resumable(self, replay: int) -> bool:
        """Whether a subscription can start after this replay id: a retained event's, or the newest one issued
        (nothing is missed from there even when that event is past retention)."""
        return replay == self._last or self.oldest() < replay <= self._last

    def after(self, replay: int) -> Iterator[ChangeEvent]:
        self._purge()
        start = max(0, replay - self._events[0].replay + 1) if self._events else 0
        return itertools.islice(self._events, start, None)

    def __len__(self) -> int:
        with self.condition:
            self._purge()
            return len(self._events)

    def _purge(self) -> None:
        cutoff = self.clock.now() - timedelta(hours=self.retention_hours())
        while self._events and self._events[0].committed < cutoff:
            self._events.popleft()


def _change_type(old: dict | None, new: dict) -> str:
    if old is None:
        return "CREATE"
    if new["IsDeleted"] != old["IsDeleted"]:
        return "DELETE" if new["IsDeleted"] else "UNDELETE"
    return "UPDATE"
