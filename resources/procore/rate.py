"""Procore's rate limits (crm_targets.md §3.4) as the budget (http.Budget) that keeps every run under them instead
of being throttled. Every answer's `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` (epoch seconds) report one of two
limits, the one the company's app is closer to: the hourly one, or the spike one of a few seconds (Procore's "Rate
Limiting" page: the spike limit is reported until the hourly one is nearly spent). An answer whose window resets
within the spike window reports the spike limit: at 0 remaining, every sender holds until its reset (`hear`, the
budget transport's `hold`); the spike limit itself is kept by the `spike` budget every run shares (spike_requests).
An answer with a longer window reports the hourly limit, kept in the allowance every run against the company shares
(rate_budget.SharedAllowance): while plenty remain, requests go at once (a run of a few hundred calls should not take
an hour); once no more than a tenth of the limit remains above `reserve`, what remains is spread evenly over the time
to the reset, so a long run never meets a 429 storm and leaves others their share; at the reserve the next request
waits for the reset, or, when the reset is further away than the run may wait, is not sent: RateLimitReached, whose
records not sent are QUOTA results for the next run. Requests in flight are counted only when their answers come, so
the reserve must exceed them (max_parallel_batches). A 429 is retried by http.RetryTransport after its Retry-After;
one without Retry-After is held here until its X-Rate-Limit-Reset."""

import logging
import threading
import time
from collections.abc import Callable

import httpx

from ml_connector_dagster.http import ApiError, Budget
from ml_connector_dagster.rate_budget import SharedAllowance

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


class ProcoreBudget:
    """Waits for the hourly limit, then for the spike budget: a request leaves when both allow it, and nothing after
    them holds it back (a wait after the spike budget's slot would let requests bunch up past it)."""

    def __init__(
        self,
        *,
        spike: Budget,
        allowance: SharedAllowance,
        reserve: int,
        max_wait: float,
        spike_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.spike = spike
        self.allowance = allowance
        self.reserve = reserve
        self.max_wait = max_wait
        self.spike_seconds = spike_seconds
        self.sleep = sleep
        self.clock = clock  # epoch seconds, as X-Rate-Limit-Reset is
        self.limit: int | None = None  # the hourly limit, once an answer reports it
        self._last_sent: float | None = None
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:  # held while waiting: a run's requests leave one by one, each at its time
            self._pace()
            self._last_sent = self.clock()
        self.spike.acquire()

    def pause(self, seconds: float) -> None:
        self.spike.pause(seconds)

    def hear(self, response: httpx.Response) -> float | None:
        """Learns the hourly limit from an answer; the seconds every sender holds for the spike limit, or None."""
        self._learn(response)
        return self._hold(response)

    def _pace(self) -> None:
        leave = self.allowance.take(self.reserve)
        while not leave.granted:
            until_reset = (leave.window_ends or self.clock()) - self.clock()
            if until_reset > self.max_wait:
                raise RateLimitReached(leave.remaining or 0, self.reserve, until_reset)
            log.info(
                "procore: %d requests left of the hour's limit; waiting %.0f s for its reset",
                leave.remaining or 0,
                until_reset,
            )
            self.sleep(max(until_reset, 0))
            leave = self.allowance.take(self.reserve)
        if leave.remaining is None or leave.window_ends is None:
            return
        now = self.clock()
        spare = leave.remaining + 1 - self.reserve  # this request's own among them
        if self.limit is not None and spare > self.limit * LOW_WATER:
            return
        wait = (self._last_sent or now) + (leave.window_ends - now) / spare - now
        if wait > 0:
            self.sleep(wait)

    def _learn(self, response: httpx.Response) -> None:
        remaining = _number(response.headers.get("x-rate-limit-remaining"))
        limit = _number(response.headers.get("x-rate-limit-limit"))
        reset = _number(response.headers.get("x-rate-limit-reset"))
        now = self.clock()
        # X-Rate-Limit-Reset is a whole epoch second, rounded up: a spike window's reset is up to a second further
        # than the window itself, and a reset that near cannot be told from the hour's last second anyway.
        if reset is None or reset - now <= self.spike_seconds + 1:
            # The spike limit's window (`_hold` reads it), or a count without its window, which could never go stale:
            # only the window's reset frees it.
            self.allowance.unsaid()
            return
        reset = min(reset, now + WINDOW_SECONDS)
        if remaining is not None:
            self.allowance.hear(int(remaining), reset)
        elif response.status_code == 429:
            self.allowance.hear(0, reset)
        else:
            self.allowance.unsaid()
        if limit is not None:
            self.limit = int(limit)

    def _hold(self, response: httpx.Response) -> float | None:
        """Until the spike window's reset when an answer says none of it remains."""
        remaining = _number(response.headers.get("x-rate-limit-remaining"))
        reset = _number(response.headers.get("x-rate-limit-reset"))
        if remaining != 0 or reset is None:
            return None
        until = reset - self.clock()
        return until if 0 < until <= self.spike_seconds else None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
