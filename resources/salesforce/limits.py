"""Salesforce's daily API request allocation (crm_targets.md §1.9) as a transport: every answer's
`Sforce-Limit-Info: api-usage=USED/MAX` updates what is known; a request that would leave fewer than `reserve`
requests is not sent, so a run stops cleanly between batches instead of failing halfway through one, and the
org keeps requests for its other integrations and users."""

import re
import threading

import httpx

from ml_connector_dagster.http import ApiError

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class DailyLimitReached(ApiError):
    """Raised instead of sending: the run ends, records not sent stay pending, the next run resumes."""

    def __init__(self, used: int, maximum: int, reserve: int):
        super().__init__(
            "salesforce",
            f"stopped before the daily API request limit: {used} of {maximum} used "
            f"and {reserve} kept in reserve. Salesforce frees requests over a rolling "
            "24 hours; the next scheduled run resumes where this one stopped",
            code="REQUEST_LIMIT_EXCEEDED",
        )
        self.used, self.maximum = used, maximum


class DailyLimitTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, *, reserve: int):
        self.inner = inner
        self.reserve = reserve
        self.used: int | None = None
        self.maximum: int | None = None
        self._lock = threading.Lock()
        # Requests sent and not yet answered: batches go side by side, and each of them spends one of the day's
        # requests before its answer says so.
        self._in_flight = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self.maximum is not None and self.maximum - self.used - self._in_flight <= self.reserve:
                raise DailyLimitReached(self.used, self.maximum, self.reserve)
            self._in_flight += 1
        try:
            response = self.inner.handle_request(request)
        finally:
            with self._lock:
                self._in_flight -= 1
        usage = _USAGE.search(response.headers.get("sforce-limit-info", ""))
        with self._lock:
            if usage:
                self.used, self.maximum = int(usage.group(1)), int(usage.group(2))
            elif response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.read():
                self.used = self.maximum = self.maximum or 0
        if response.status_code == 403 and self.maximum is not None and self.used >= self.maximum:
            raise DailyLimitReached(self.used, self.maximum, self.reserve)
        return response

    def close(self) -> None:
        self.inner.close()
