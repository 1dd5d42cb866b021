"""An injectable clock: emulators read time only through it, so tests can freeze or move time."""

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    """Follows real UTC time, shifted by an offset; `freeze` pins it, `advance` moves it."""

    def __init__(self, frozen_at: datetime | None = None):
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at = frozen_at

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime) -> None:
        with self._lock:
            self._frozen_at = at if at.tzinfo else at.replace(tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)
