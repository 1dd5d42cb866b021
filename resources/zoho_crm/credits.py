"""Zoho CRM's API credits (crm_targets.md §2.6) as a transport: an org has a number of credits per rolling 24 hours,
shared by every integration and user. Once Zoho says they are spent, or its answers say that no more than
`reserve` remain, no further request is sent, by this run or any other against the org (what Zoho said is kept in
the allowance every run shares, rate_budget.SharedAllowance, until it is `fresh_seconds` old: then one run asks
again): the writer turns the records it has not sent into QUOTA results, which a later run sends, and a read fails
with a message saying so.

Guesses, since the docs are silent: (1) what Zoho answers when credits run out. The v1 API had a distinct error
("Number of API calls exceeded"); v2+ document only `TOO_MANY_REQUESTS` (429, concurrency, retried with backoff) and
`LIMIT_EXCEEDED` (a count limit), and Zoho's own SDKs know a `LIMIT_REACHED` code. Taken as spent credits: either code
on any status (the connector never sends more than 100 records a call, the other limit `LIMIT_EXCEEDED` names), or
any error answer whose message speaks of credits.
(2) Whether answers say how many credits remain: not documented for CRM; `X-RATELIMIT-REMAINING` is read where an
answer carries it, so `reserve` applies only then."""

import threading

import httpx
from ml_connector_dagster.resources.zoho_crm.errors import error_of

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.rate_budget import SharedAllowance

REMAINING_HEADER = "x-ratelimit-remaining"  # guess (2)
SPENT_CODES = frozenset({"LIMIT_EXCEEDED", "LIMIT_REACHED"})  # guess (1)


class CreditsExhausted(ApiError):
    """Raised instead of sending: the records not sent stay pending, the next run resumes."""

    def __init__(self, reason: str):
        super().__init__(
            "zoho_crm",
            f"stopped: {reason}. Zoho frees credits over a rolling 24 hours; the next run resumes where this one "
            "stopped",
            code="CREDITS_EXHAUSTED",
        )


class CreditsTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, *, allowance: SharedAllowance, reserve: int):
        self.inner = inner
        self.allowance = allowance
        self.reserve = reserve
        self.stopped: str | None = None  # why this run sends no more
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.stopped:
            raise CreditsExhausted(self.stopped)
        leave = self.allowance.take(self.reserve)
        if not leave.granted:
            with self._lock:
                self.stopped = (
                    f"{leave.remaining} API credits remain, as Zoho last said, and {self.reserve} are kept in reserve "
                    "for others"
                    if leave.remaining
                    else "the org's API credits are spent, as Zoho last said"
                )
            raise CreditsExhausted(self.stopped)
        response = self.inner.handle_request(request)
        remaining, reason = _spent(response, self.reserve)
        if remaining is not None:
            self.allowance.hear(remaining)
        else:
            self.allowance.unsaid()
        if reason:
            with self._lock:
                self.stopped = reason
            # An answer that says the credits are spent is not a result; one that says few remain still is.
            if response.status_code >= 400:
                raise CreditsExhausted(reason)
        return response

    def close(self) -> None:
        self.inner.close()


def _spent(response: httpx.Response, reserve: int) -> tuple[int | None, str | None]:
    """The credits the answer says remain (None: it does not say), and why no more may be sent (None: they may)."""
    remaining = response.headers.get(REMAINING_HEADER, "")
    if remaining.isdigit():
        left = int(remaining)
        return left, (
            f"{left} API credits remain and {reserve} are kept in reserve for others" if left <= reserve else None
        )
    if response.status_code < 400:
        return None, None
    response.read()
    try:
        code, message = error_of(response.json())
    except ValueError:
        return None, None
    if code in SPENT_CODES or "credit" in (message or "").lower():
        return 0, f"the org's API credits are spent ({code}: {message})"
    return None, None
