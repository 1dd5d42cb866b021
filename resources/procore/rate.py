"""Procore's hourly request limit (crm_targets.md §3.4) as a transport that keeps a run under it instead of being
throttled: every answer says how many requests of the window remain (`X-Rate-Limit-Remaining`, shared with every
other integration of the company) and when the window resets (`X-Rate-Limit-Reset`, epoch seconds). While plenty
remain, requests go at once (a run of a few hundred calls should not take an hour); once no more than a tenth of the
limit (`X-Rate-Limit-Limit`) remains above `reserve`, what remains is spread evenly over the time to the reset, so a
long run never meets a 429 storm and leaves others their share; at the reserve the next request waits for the reset,
or, when the reset is further away than the run may wait, is not sent: RateLimitReached, whose records not sent are
QUOTA results for the next run. A 429 is retried by http.RetryTransport after its Retry-After; one without Retry-
After is held here until its X-Rate-Limit-Reset."""

import logging
import threading
import time
from collections.abc import Callable

import httpx

from ml_connector_dagster.http import ApiError

log = logging.getLogger("ml_connector_dagster.procore")

# The documented 60-minute window: a reset further away than this is a clock that disagrees with Procore's (a
# sandbox's frozen clock), not a longer window, so the wait is capped at it.
WINDOW_SECONDS = 3600.0
# Below this share of the limit left (above the reserve), requests are spread to the reset; above it they go freely.
LOW_WATER = 0.1


class RateLimitReached(ApiError):
    """Raised instead of sending: the run ends cleanly, records not sent stay pending, the next run resumes."""

    def __init__(self, remaining: int, reserve: int, wait: float):
        super().__init__(
            "procore",
            f"stopped before the hourly request limit: {remaining} requests remain and {reserve} are kept for the "
            f"company's other integrations; the limit resets in {wait:.0f} s, longer than this run may wait "
            "(max_retry_wait_seconds). The next run resumes where this one stopped",
            code="RATE_LIMIT",
        )


class RateLimitPacing(httpx.BaseTransport):
    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        reserve: int,
        max_wait: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.inner = inner
        self.reserve = reserve
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock  # epoch seconds, as X-Rate-Limit-Reset is
        self.remaining: int | None = None  # unknown until an answer says
        self.limit: int | None = None
        self.reset_at: float | None = None
        self._last_sent: float | None = None
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:  # held while waiting: requests leave one by one, each at its time
            self._pace()
            self._last_sent = self.clock()
            if self.remaining is not None:
                self.remaining -= 1  # this request counts before its answer says so
        response = self.inner.handle_request(request)
        self._learn(response)
        return response

    def _pace(self) -> None:
        if self.remaining is None or self.reset_at is None:
            return
        now = self.clock()
        until_reset = self.reset_at - now
        if until_reset <= 0:
            self.remaining = None  # a new window: what remains is known again from the next answer
            return
        if self.remaining <= self.reserve:
            if until_reset > self.max_wait:
                raise RateLimitReached(self.remaining, self.reserve, until_reset)
            log.info(
                "procore: %d requests left of the hour's limit; waiting %.0f s for its reset",
                self.remaining,
                until_reset,
            )
            self.sleep(until_reset)
            self.remaining = None
            return
        spare = self.remaining - self.reserve
        if self.limit is not None and spare > self.limit * LOW_WATER:
            return
        interval = until_reset / spare
        wait = (self._last_sent or now) + interval - now
        if wait > 0:
            self.sleep(wait)

    def _learn(self, response: httpx.Response) -> None:
        remaining = _number(response.headers.get("x-rate-limit-remaining"))
        limit = _number(response.headers.get("x-rate-limit-limit"))
        reset = _number(response.headers.get("x-rate-limit-reset"))
        with self._lock:
            if remaining is not None:
                self.remaining = int(remaining)
            elif response.status_code == 429:
                self.remaining = 0
            if limit is not None:
                self.limit = int(limit)
            if reset is not None:
                self.reset_at = min(reset, self.clock() + WINDOW_SECONDS)

    def close(self) -> None:
        self.inner.close()


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
