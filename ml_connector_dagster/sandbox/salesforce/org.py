"""One org's state as the API handlers see it: the schema under the current settings, the records, the clock, the
change events its commits make."""

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC
from functools import partial

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.salesforce.change_events import ChangeLog
from ml_connector_dagster.sandbox.salesforce.records import Writes
from ml_connector_dagster.sandbox.salesforce.schema import SObject, build_objects
from ml_connector_dagster.sandbox.salesforce.settings import SalesforceSettings
from ml_connector_dagster.sandbox.salesforce.store import Store

# The changeOrigin of what the current API request writes; "" outside one (a user's edit in Lightning). A context
# variable follows each request's task, so every handler's writes carry it without being handed it.
_ORIGIN: ContextVar[str] = ContextVar("salesforce_change_origin", default="")


class Org:
    def __init__(self, store: Store, clock: Clock, settings: Callable[[], SalesforceSettings], seed: int):
        self.store = store
        self.clock = clock
        self.settings = settings
        self._random = random.Random(seed)
        self._objects: tuple[tuple, dict[str, SObject]] = ((), {})
        self.changes = ChangeLog(
            clock,
            lambda: settings().event_retention_hours,
            lambda name: name not in settings().change_data_capture_unselected,
        )

    @property
    def objects(self) -> dict[str, SObject]:
        """Rebuilt when the External ID settings change, so an administrator can add a field to a running org."""
        settings = self.settings()
        key = (
            tuple((k, tuple(v)) for k, v in sorted(settings.external_id_fields.items())),
            settings.unique_external_ids,
        )
        if self._objects[0] != key:
            self._objects = (key, build_objects(settings.external_id_fields, settings.unique_external_ids))
        return self._objects[1]

    def sobject(self, name: str) -> SObject | None:
        return next((o for o in self.objects.values() if o.name.lower() == name.lower()), None)

    def writes(self) -> Writes:
        return Writes(
            self.store, self.objects, self.stamp, self._row_locked, partial(self.changes.record, origin=_ORIGIN.get())
        )

    @contextmanager
    def origin(self, change_origin: str) -> Iterator[None]:
        """Writes begun inside carry this changeOrigin in their change events."""
        token = _ORIGIN.set(change_origin)
        try:
            yield
        finally:
            _ORIGIN.reset(token)

    def stamp(self) -> str:
        """Now as Salesforce writes datetimes: UTC, milliseconds, an offset without a colon."""
        now = self.clock.now().astimezone(UTC)
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"

    def _row_locked(self) -> bool:
        fraction = self.settings().lock_row_fraction
        return fraction > 0 and self._random.random() < fraction
