"""Delivering watch notifications (crm_targets.md §2.7): each write's ids go, in one callback per channel, to every
live channel subscribed to the module's operation, POSTed from a background worker so the write's answer does not
wait for a receiver. Zoho documents no retry: a failed delivery is logged and dropped. Fault knobs drop callbacks
or deliver each twice, for receivers that must cope with both."""

import logging
import queue
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx

from ml_connector_dagster.sandbox.zoho_crm.settings import ZohoCrmSettings

log = logging.getLogger(__name__)
_EVENTS = {"insert": "create", "update": "edit", "delete": "delete"}


def subscribed(channel: dict, module: str, operation: str) -> bool:
    return f"{module}.{_EVENTS[operation]}" in channel["events"] or f"{module}.all" in channel["events"]


def callback(channel: dict, module: str, operation: str, ids: list[str], affected: dict, values: dict, ms: int) -> dict:
    body = {
        "server_time": ms,
        "query_params": dict(parse_qsl(urlsplit(channel["notify_url"]).query)),
        "module": module,
        # Zoho still names the v2 resource, whatever version made the channel.
        "resource_uri": f"{channel['api_domain']}/crm/v2/{module}",
        "ids": ids,
        # Guess (uncertain shape): one map per record from its id to the names of the fields it changed.
        "affected_fields": [{rid: affected[rid]} for rid in ids if affected.get(rid)] if operation == "update" else [],
        "operation": operation,
        "channel_id": channel["channel_id"],
        "token": channel.get("token"),
    }
    if channel.get("return_affected_field_values") and operation == "update":
        # Guess: the key and shape of the changed values.
        body["affected_values"] = [{"id": rid, **values.get(rid, {})} for rid in ids]
    return body


class Notifier:
    def __init__(self, settings: Callable[[], ZohoCrmSettings]):
        self.settings = settings
        self.sent: list[dict] = []  # every callback, as sent or dropped, for the admin surface and tests
        self._queue: queue.Queue[dict] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def send(self, channel: dict, body: dict) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="zoho-crm-notify", daemon=True)
                self._worker.start()
        self._queue.put({"url": channel["notify_url"], "body": body})

    def idle(self, timeout: float = 5) -> bool:
        """Waits until every queued callback has been handled (tests)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        with httpx.Client() as client:
            while True:
                item = self._queue.get()
                try:
                    self._deliver(client, item)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, item: dict) -> None:
        settings = self.settings()
        if settings.drop_callbacks:
            self._log(item, "dropped")
            return
        for _ in range(2 if settings.duplicate_callbacks else 1):
            try:
                answer = client.post(item["url"], json=item["body"], timeout=settings.callback_timeout_seconds)
                self._log(item, answer.status_code)
            except httpx.HTTPError as error:
                log.warning("zoho_crm callback to %s failed: %s", item["url"], error)
                self._log(item, f"failed: {type(error).__name__}")

    def _log(self, item: dict, outcome) -> None:
        with self._lock:
            self.sent.append({**item, "outcome": outcome})
