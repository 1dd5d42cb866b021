"""The http layer every resource uses: timeouts, retry with backoff, a rate budget, call counting, redaction.

Each concern is its own piece and none reaches into another: auth is an `httpx.Auth` flow owned by the resource
(so token refresh on 401 lives there), retry and budget are transports stacked under the client, counting is a
transport too, so every request on the wire (retries included) is counted, which is what vendors limit. What a
vendor's error reply means is stated per system (`VendorErrors`) and turned into ApiError/AuthError in one place.
"""

import email.utils
import logging
import random
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.redaction import redact

log = logging.getLogger("ml_connector_dagster.http")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# What a request that must not be applied twice may still be retried on: the request was never sent, or the service
# says it did not process it. A gateway's 502/504 or a dropped answer may follow a write that happened.
UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
NOT_PROCESSED_STATUSES = frozenset({429, 503})
# Request extension a client sets on a write that is not idempotent (a create without a key the service dedupes on).
NOT_IDEMPOTENT = {"ml_connector_not_idempotent": True}
# Request extension a client sets on a POST that only reads (JD Edwards' data service, a sign-in): counted as a call,
# not as a write.
READ_ONLY = {"ml_connector_read_only": True}


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter; a vendor's Retry-After wins when it is longer."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    statuses: frozenset[int] = RETRY_STATUSES

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        backoff = random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))
        hinted = retry_after_seconds(response) if response is not None else None
        if hinted is None:
            return backoff
        return min(max(hinted, backoff), self.max_retry_after)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as delta-seconds or an HTTP date (RFC 9110 allows both)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryTransport(httpx.BaseTransport):
    """Retries transient failures: 429/502/503/504 and connection errors, timeouts, dropped connections. A request
    marked NOT_IDEMPOTENT is retried only where it cannot have been applied; otherwise the error reaches the caller,
    which must find out whether the write happened before it writes again."""

    def __init__(self, inner: httpx.BaseTransport, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep):
        self.inner = inner
        self.policy = policy
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        once = bool(request.extensions.get("ml_connector_not_idempotent"))
        statuses = self.policy.statuses & NOT_PROCESSED_STATUSES if once else self.policy.statuses
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.inner.handle_request(request)
                # Read the body here: a connection dropped mid-body is as retryable as one dropped before it.
                response.read()
            except httpx.TransportError as exc:
                if attempt >= self.policy.max_attempts or (once and not isinstance(exc, UNSENT_ERRORS)):
                    raise
                wait = self.policy.delay(attempt, None)
                log.warning(
                    "%s %s failed (%s); retry %d in %.1fs",
                    request.method,
                    redact(str(request.url)),
                    type(exc).__name__,
                    attempt,
                    wait,
                )
                self.sleep(wait)
                continue
            if response.status_code not in statuses or attempt >= self.policy.max_attempts:
                return response
            wait = self.policy.delay(attempt, response)
            response.close()
            log.warning(
                "%s %s answered %d; retry %d in %.1fs",
                request.method,
                redact(str(request.url)),
                response.status_code,
                attempt,
                wait,
            )
            self.sleep(wait)

    def close(self) -> None:
        self.inner.close()


@dataclass
class CallCounter:
    """Counts requests sent on the wire, by method; shared by every client of one resource instance."""

    calls: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, method: str, *, read_only: bool = False) -> None:
        key = f"{method} (read)" if read_only and method != "GET" else method
        with self._lock:
            self.calls[key] = self.calls.get(key, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for method, n in self.calls.items() if method != "GET" and not method.endswith(" (read)"))


class CountingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, counter: CallCounter):
        self.inner = inner
        self.counter = counter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.counter.add(request.method, read_only=bool(request.extensions.get("ml_connector_read_only")))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class RateBudget:
    """At most `max_requests` in any sliding `window_seconds`; callers wait for room instead of being throttled.

    Vendors enforce their limits server-side too (429 + Retry-After, handled by RetryTransport); the budget keeps a
    run below them so it does not spend its time being punished with growing Retry-After values. This one is the
    run's own; rate_budget.SharedBudget is the one every run against a target shares.
    """

    def __init__(
        self,
        max_requests: int,
        window_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_requests = max_requests
        self.window = window_seconds
        self.sleep = sleep
        self.clock = clock
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if now < self._paused_until:
                    wait = self._paused_until - now
                elif len(self._sent) < self.max_requests:
                    self._sent.append(now)
                    return
                else:
                    wait = self.window - (now - self._sent[0])
            self.sleep(wait)

    def pause(self, seconds: float) -> None:
        """No request of this budget goes for `seconds` from now."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)


class Budget(Protocol):
    def acquire(self) -> None: ...

    def pause(self, seconds: float) -> None: ...


class BudgetTransport(httpx.BaseTransport):
    """Each request waits for room in the budget. What the vendor answers adjusts it for every user, not only this
    request: a Retry-After (on a 429 or 503) pauses the whole budget, and so does `hold`, a vendor's reading of its
    own limit headers (seconds to hold every sender, or None)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        budget: Budget,
        hold: Callable[[httpx.Response], float | None] | None = None,
    ):
        self.inner = inner
        self.budget = budget
        self.hold = hold

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.budget.acquire()
        response = self.inner.handle_request(request)
        pause = retry_after_seconds(response) if response.status_code in NOT_PROCESSED_STATUSES else None
        held = self.hold(response) if self.hold is not None else None
        longest = max((s for s in (pause, held) if s), default=None)
        if longest:
            self.budget.pause(longest)
        return response

    def close(self) -> None:
        self.inner.close()


class Slots(Protocol):
    def held(self) -> AbstractContextManager: ...


class ConcurrencyTransport(httpx.BaseTransport):
    """Each attempt of a request holds one of the vendor's concurrency slots (rate_budget.SharedSlots) from waiting
    for its budget until its answer is read, whichever run or thread sent it."""

    def __init__(self, inner: httpx.BaseTransport, slots: Slots):
        self.inner = inner
        self.slots = slots

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.slots.held():
            response = self.inner.handle_request(request)
            response.read()
        return response

    def close(self) -> None:
        self.inner.close()


class ParallelismHint:
    """How many requests to have in flight at once: what the vendor recommends in a response header where it does
    (Dataverse's `x-ms-dop-hint`), learned from its answers, never more than `cap`; `default` until it says, and
    where it never does."""

    def __init__(self, cap: int, *, header: str | None = None, default: int = 1):
        self.cap = cap
        self.header = header
        self._hinted: int | None = None
        self._default = default

    @property
    def degree(self) -> int:
        return max(1, min(self.cap, self._hinted if self._hinted is not None else self._default))

    def observe(self, response: httpx.Response) -> None:
        value = response.headers.get(self.header) if self.header else None
        if value and value.strip().isdigit():
            self._hinted = int(value)


class ObservingTransport(httpx.BaseTransport):
    """Shows every answer to `observe` (a ParallelismHint) before the caller sees it."""

    def __init__(self, inner: httpx.BaseTransport, observe: Callable[[httpx.Response], None]):
        self.inner = inner
        self.observe = observe

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.observe(response)
        return response

    def close(self) -> None:
        self.inner.close()


class ConnectionFailureTransport(httpx.BaseTransport):
    """Turns the connection failure the retries gave up on into the connector's error, naming the system and the
    host: the message a run fails with, where httpx's own says only "[Errno 111] Connection refused". The errors stay
    the httpx errors they were too, so a caller telling a request never sent from an answer lost still can."""

    def __init__(self, inner: httpx.BaseTransport, system: str):
        self.inner = inner
        self.system = system

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.netloc.decode()
        try:
            return self.inner.handle_request(request)
        except (httpx.ConnectError, httpx.ConnectTimeout) as failed:
            raise CannotConnect(self.system, host, _connect_failure(failed, request), request) from failed
        except httpx.ReadTimeout as failed:
            raise NoAnswer(self.system, host, _timeout(request, "read"), request) from failed

    def close(self) -> None:
        self.inner.close()


def _connect_failure(error: httpx.TransportError, request: httpx.Request) -> str:
    if isinstance(error, httpx.ConnectTimeout):
        return f"no connection within {_timeout(request, 'connect')} s"
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "host name not found"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {cause.verify_message}"
    if isinstance(cause, ssl.SSLError):
        return f"TLS handshake failed: {cause.reason or cause}"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    return str(error) or type(error).__name__


def _timeout(request: httpx.Request, phase: str) -> str:
    seconds = request.extensions.get("timeout", {}).get(phase)
    return "?" if seconds is None else f"{seconds:g}"


def build_client(
    base_url: str,
    *,
    system: str | None = None,
    auth: httpx.Auth | None = None,
    headers: dict[str, str] | None = None,
    timeout_seconds: float = 60.0,
    retry: RetryPolicy | None = None,
    budget: Budget | None = None,
    hold: Callable[[httpx.Response], float | None] | None = None,
    parallelism: ParallelismHint | None = None,
    slots: Slots | None = None,
    counter: CallCounter | None = None,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An httpx client with the transports stacked: connection failures named → retry → concurrency slots → budget →
    count → observe → wire.

    Budget and count sit under retry so that every retried request also waits for room and is counted, and the
    budget hears every answer, each 429 included; with a `system`, a connection failure that outlasts the retries is
    a CannotConnect or NoAnswer naming it. `hold` reads the vendor's limit headers for the budget; `parallelism`
    learns the vendor's recommended degree of parallelism from its answers; `slots` caps the requests in flight.
    """
    wire = transport or httpx.HTTPTransport()
    if parallelism is not None:
        wire = ObservingTransport(wire, parallelism.observe)
    if counter is not None:
        wire = CountingTransport(wire, counter)
    if budget is not None:
        wire = BudgetTransport(wire, budget, hold)
    if slots is not None:
        # Above the budget: a request waiting for a slot after its budget's slot would bunch up with others past
        # the budget's pace once slots free.
        wire = ConcurrencyTransport(wire, slots)
    stacked: httpx.BaseTransport = RetryTransport(wire, retry or RetryPolicy(), sleep=sleep)
    if system is not None:
        stacked = ConnectionFailureTransport(stacked, system)
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        headers=headers,
        transport=stacked,
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 15.0)),
    )


class ApiError(Exception):
    """A vendor answered with an error that the caller cannot handle record by record.

    The message is redacted: it carries the vendor's code and text, never credentials or tokens.
    """

    def __init__(self, system: str, message: str, *, status: int | None = None, code: str | None = None):
        self.system = system
        self.status = status
        self.code = code
        super().__init__(
            redact(f"{system}: {message}" + (f" (HTTP {status})" if status else "") + (f" [{code}]" if code else ""))
        )


class AuthError(ApiError):
    """Credentials were refused: the run cannot go on and must say so clearly."""


class CannotConnect(ApiError, httpx.ConnectError):
    """The request never reached the system: refused, unknown host, TLS or connect timeout (after the retries)."""

    def __init__(self, system: str, host: str, reason: str, request: httpx.Request):
        super().__init__(system, f"cannot connect to {host} ({reason})")
        self.request, self.reason = request, reason


class NoAnswer(ApiError, httpx.ReadTimeout):
    """The request was sent and no answer came in time: the system may have processed it."""

    def __init__(self, system: str, host: str, seconds: str, request: httpx.Request):
        super().__init__(system, f"no answer from {host} within {seconds} s")
        self.request, self.reason = request, f"no answer within {seconds} s"


@dataclass(frozen=True)
class VendorErrors:
    """How one system's error replies read, stated once in its `resources/<system>/errors.py`.

    `error_of` turns a parsed error body into the vendor's (code, message), the message None where the body is not
    in the vendor's error shape; `classify` turns (HTTP status or None, code) into the ledger's error class, for a
    whole reply here and for one record's answer in a writer. A reply classified AUTH is an AuthError. `refusal`
    replaces the text of a refusal that carries no code (a server's bare "Unauthorized" tells a user nothing they
    can act on); `{what}` in it names the call.
    """

    system: str
    error_of: Callable[[Any], tuple[str | None, str | None]]
    classify: Callable[[int | None, str | None], ErrorClass]
    refusal: str | None = None

    def reply(self, response: httpx.Response) -> tuple[str | None, str]:
        """The vendor's (code, message) of an error reply; a body that is not the vendor's (a proxy's page) is quoted
        as the message."""
        code, message = None, None
        try:
            body = response.json()
        except ValueError:
            pass
        else:
            code, message = self.error_of(body)
        return code, message or response.text[:200] or response.reason_phrase


def status_class(status: int | None) -> ErrorClass:
    """What the HTTP status alone says, where a vendor's codes add nothing: a refused credential is auth, a failing
    server transient, anything else a fault of what was asked."""
    if status == 401:
        return ErrorClass.AUTH
    if status is not None and status >= 500:
        return ErrorClass.TRANSIENT
    return ErrorClass.VALIDATION


def vendor_error(
    errors: VendorErrors, response: httpx.Response, what: str, *, error: type[ApiError] = ApiError
) -> ApiError:
    """The connector's error for a vendor's error reply to `what` (e.g. "GET accounts"): AuthError when the reply
    classifies as AUTH, else `error`; with the vendor's status, code and message (redacted by ApiError)."""
    code, message = errors.reply(response)
    status = response.status_code
    if errors.classify(status, code) == ErrorClass.AUTH:
        text = errors.refusal.format(what=what) if errors.refusal and code is None else f"{what} refused: {message}"
        return AuthError(errors.system, text, status=status, code=code)
    return error(errors.system, f"{what} failed: {message}", status=status, code=code)


def raise_for_vendor(
    errors: VendorErrors, response: httpx.Response, what: str, *, error: type[ApiError] = ApiError
) -> httpx.Response:
    """The response when the vendor answered 2xx; otherwise raises `vendor_error`."""
    if response.status_code < 300:
        return response
    raise vendor_error(errors, response, what, error=error)
