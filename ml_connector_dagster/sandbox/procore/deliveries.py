"""Posting webhook events to their destinations (crm_targets.md §3.10, "Retries"): one ordered queue per destination
URL, drained by a worker thread of its own so an API answer never waits on a receiver. A POST carries the hook's
`destination_headers` verbatim and may take `webhook_timeout_seconds`; a 2xx is a success. Anything else pauses that
destination: the failed event is retried first, after 1 s, then 2 s, 4 s... up to an hour (real seconds ×
`webhook_timescale`); once its failures have lasted `webhook_flush_after_seconds` on the emulator clock (24 h) the
queue is flushed and its events marked failed. A success resets the pause. Every attempt is recorded as a delivery
(outcome ok, retried, failed, or discarded when the hook went away), as `GET .../deliveries` lists them. Fault knobs:
`webhook_duplicates` posts each event twice; `webhook_hold` keeps events back until `release` queues them, newest
first if asked (Procore promises at-least-once delivery, not order)."""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.procore.settings import ProcoreSettings
from ml_connector_dagster.sandbox.procore.values import stamp

log = logging.getLogger(__name__)
_USER_AGENT = "Procore-Webhooks"  # Guess: the sender's User-Agent.


@dataclass(frozen=True)
class Pending:
    hook_id: int
    event_id: int
    payload: dict


@dataclass
class _Destination:
    url: str
    queue: deque[Pending] = field(default_factory=deque)
    failing_since: datetime | None = None
    backoff: float = 0.0
    retry_at: float = 0.0  # time.monotonic() of the next attempt
    thread: threading.Thread | None = None


class Deliveries:
    def __init__(self, clock: Clock, settings: Callable[[], ProcoreSettings], hook: Callable[[int], dict | None]):
        self.clock = clock
        self.settings = settings
        self.hook = hook  # the hook as it is now, or None once deleted
        self._cond = threading.Condition()
        self._destinations: dict[str, _Destination] = {}
        self._in_flight = 0
        self._records: list[dict] = []
        self._held: list[tuple[str, Pending]] = []

    def enqueue(self, url: str, pending: Pending) -> None:
        if self.settings().webhook_hold:
            with self._cond:
                self._held.append((url, pending))
            return
        self._queue(url, pending)

    def release(self, newest_first: bool = False) -> int:
        """Queues the events held back (`webhook_hold`), in the order they happened or newest first; answers how
        many."""
        with self._cond:
            held, self._held = self._held, []
        for url, pending in reversed(held) if newest_first else held:
            self._queue(url, pending)
        return len(held)

    def _queue(self, url: str, pending: Pending) -> None:
        with self._cond:
            destination = self._destinations.setdefault(url, _Destination(url))
            destination.queue.append(pending)
            if destination.thread is None:
                destination.thread = threading.Thread(
                    target=self._run, args=(destination,), name="procore-webhooks", daemon=True
                )
                destination.thread.start()
            self._cond.notify_all()

    def drain(self, timeout: float = 5.0) -> bool:
        """Waits until every queue is empty (delivered, failed or discarded); False if `timeout` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._in_flight and not self._backlog(), timeout)

    def records(self, hook_id: int | None = None) -> list[dict]:
        with self._cond:
            return [dict(r) for r in self._records if hook_id is None or r["hook_id"] == hook_id]

    def state(self) -> dict:
        with self._cond:
            return {
                url: {
                    "queued": len(d.queue),
                    "paused": d.failing_since is not None,
                    "failing_since": stamp(d.failing_since) if d.failing_since else None,
                    "backoff_seconds": d.backoff,
                }
                for url, d in self._destinations.items()
            }

    def _backlog(self) -> int:
        return sum(len(d.queue) for d in self._destinations.values())

    def _run(self, destination: _Destination) -> None:
        with httpx.Client() as client:
            while True:
                with self._cond:
                    while not destination.queue or time.monotonic() < destination.retry_at:
                        wait = destination.retry_at - time.monotonic() if destination.queue else None
                        self._cond.wait(wait)
                    pending = destination.queue[0]
                    self._in_flight += 1
                try:
                    self._attempt(client, destination, pending)
                finally:
                    with self._cond:
                        self._in_flight -= 1
                        self._cond.notify_all()

    def _attempt(self, client: httpx.Client, destination: _Destination, pending: Pending) -> None:
        settings = self.settings()
        hook = self.hook(pending.hook_id)
        if hook is None:
            self._record(pending, "discarded", started=self.clock.now())
            self._pop(destination)
            return
        ok = self._post(client, hook, pending, settings)
        if ok and settings.webhook_duplicates:
            self._post(client, hook, pending, settings)  # the same event (same ulid) a second time
        with self._cond:
            if ok:
                destination.failing_since, destination.backoff, destination.retry_at = None, 0.0, 0.0
                destination.queue.popleft()
                return
            now = self.clock.now()
            destination.failing_since = destination.failing_since or now
            if (now - destination.failing_since).total_seconds() >= settings.webhook_flush_after_seconds:
                flushed = list(destination.queue)
                destination.queue.clear()
                destination.failing_since, destination.backoff, destination.retry_at = None, 0.0, 0.0
            else:
                flushed = []
                destination.backoff = min(
                    destination.backoff * 2 or settings.webhook_backoff_seconds, settings.webhook_backoff_max_seconds
                )
                destination.retry_at = time.monotonic() + destination.backoff * settings.webhook_timescale
        for event in flushed:
            self._record(event, "failed", started=now)

    def _post(self, client: httpx.Client, hook: dict, pending: Pending, settings: ProcoreSettings) -> bool:
        started = self.clock.now()
        headers = {"User-Agent": _USER_AGENT, **hook["destination_headers"]}
        try:
            answer = client.post(
                hook["destination_url"], json=pending.payload, headers=headers, timeout=settings.webhook_timeout_seconds
            )
        except httpx.HTTPError as error:
            log.info("procore webhook to %s failed: %s", hook["destination_url"], error)
            self._record(pending, "retried", started=started, error=f"{type(error).__name__}: {error}")
            return False
        ok = answer.is_success
        self._record(
            pending,
            "ok" if ok else "retried",
            started=started,
            status=answer.status_code,
            headers=dict(answer.headers),
            body=answer.text[:2000],
        )
        return ok

    def _pop(self, destination: _Destination) -> None:
        with self._cond:
            destination.queue.popleft()

    def _record(self, pending: Pending, outcome: str, *, started: datetime, status=None, headers=None, body=None,
                error=None) -> None:  # fmt: skip
        with self._cond:
            self._records.append(
                {
                    "id": len(self._records) + 1,
                    "hook_id": pending.hook_id,
                    "event_id": pending.event_id,
                    "event": pending.payload,
                    "outcome": outcome,
                    "response_status": status,
                    "response_headers": headers,
                    "response_body": body,
                    "response_error": error,
                    "started_at": stamp(started),
                    "completed_at": stamp(self.clock.now()),
                }
            )
