"""Salesforce's daily API request allocation (crm_targets.md §1.9) as a transport: every answer's
`Sforce-Limit-Info: api-usage=USED/MAX` says what is left of the org's allocation, which every run against the org
shares (rate_budget.SharedAllowance: what the last answer said, less each request sent since, including those in
flight whose answers have not come); a request that would leave fewer than `reserve` requests is not sent, by any
run, so a run stops cleanly between batches instead of failing halfway through one, and the org keeps requests for
its other integrations and users."""

import re

import httpx

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.rate_budget import SharedAllowance

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class DailyLimitReached(ApiError):
    """Raised instead of sending: the run ends, records not sent stay pending, the next run resumes."""

    def __init__(self, used: int | None, maximum: int | None, reserve: int, *, remaining: int = 0):
        usage = f"{remaining} left, as the org's last answer said," if maximum is None else f"{used} of {maximum} used"
        super().__init__(
            "salesforce",
            f"stopped before the daily API request limit: {usage} and {reserve} kept in reserve. Salesforce frees "
            "requests over a rolling 24 hours; the next scheduled run resumes where this one stopped",
            code="REQUEST_LIMIT_EXCEEDED",
        )
        self.used, self.maximum = used, maximum


class DailyLimitTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, *, allowance: SharedAllowance, reserve: int):
        self.inner = inner
        self.allowance = allowance
        self.reserve = reserve
        self.maximum: int | None = None  # the org's allocation, once an answer says

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        leave = self.allowance.take(self.reserve)
        if not leave.granted:
            self._stop(leave.remaining or 0)
        response = self.inner.handle_request(request)
        usage = _USAGE.search(response.headers.get("sforce-limit-info", ""))
        if usage:
            used, self.maximum = int(usage.group(1)), int(usage.group(2))
            self.allowance.hear(max(0, self.maximum - used))
        elif response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.read():
            self.allowance.hear(0)
            self._stop(0)
        else:
            self.allowance.unsaid()
        if response.status_code == 403 and usage and int(usage.group(1)) >= int(usage.group(2)):
            self._stop(0)
        return response

    def _stop(self, remaining: int) -> None:
        if self.maximum is None:  # another run's answers said so; this run has heard none yet
            raise DailyLimitReached(None, None, self.reserve, remaining=remaining)
        raise DailyLimitReached(max(0, self.maximum - remaining), self.maximum, self.reserve)

    def close(self) -> None:
        self.inner.close()
