"""API credits per org over a rolling 24-hour window, and the concurrency caps per access token
(crm_targets.md §2.6): a call spends its credits when admitted; a call over a cap is refused and spends none."""

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

WINDOW_SECONDS = 86400


class Credits:
    def __init__(self, now: Callable[[], datetime], limit: Callable[[], int]):
        self.now = now
        self.limit = limit
        self._lock = threading.Lock()
        self._spent: dict[str, deque[tuple[datetime, int]]] = {}

    def spend(self, dc: str, cost: int) -> bool:
        """Counts the call's credits; False, without counting them, when the window has not that many left."""
        with self._lock:
            if self._used(dc) + cost > self.limit():
                return False
            self._spent.setdefault(dc, deque()).append((self.now(), cost))
            return True

    def used(self, dc: str) -> int:
        with self._lock:
            return self._used(dc)

    def _used(self, dc: str) -> int:
        spent, now = self._spent.setdefault(dc, deque()), self.now()
        while spent and (now - spent[0][0]).total_seconds() >= WINDOW_SECONDS:
            spent.popleft()
        return sum(cost for _, cost in spent)

    def reset(self) -> None:
        with self._lock:
            self._spent.clear()


class Concurrency:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[str, str], int] = {}

    @contextmanager
    def slot(self, token: str, kind: str, cap: int) -> Iterator[bool]:
        """Yields whether the call got a slot of `kind` (all, heavy) under `cap`; the slot is freed on exit."""
        key = (token, kind)
        with self._lock:
            admitted = self._in_flight.get(key, 0) < cap
            if admitted:
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
        try:
            yield admitted
        finally:
            if admitted:
                with self._lock:
                    self._in_flight[key] -= 1
