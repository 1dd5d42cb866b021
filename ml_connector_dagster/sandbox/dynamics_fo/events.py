"""F&O business events (microsoft.md §3.9, §5.3.11): endpoint registrations with activation per event and legal
entity, the JSON payload (common envelope plus the record's identifiers, members in alphabetical order), and
delivery by a background sender: retries on failure, then the error log, from where an event can be resent.

Delivery is at-least-once and may be out of order in F&O; switches make that happen on purpose (`duplicate_events`
sends every event twice, `hold_events` keeps events back until `release` sends them, newest first if asked), so
a consumer's dedupe on ControlNumber / EventId can be tested.
"""

import json
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field, field_validator

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.dynamics_fo.store import Actor, Change

# Guess: the sheet says there is no standard customer-changed event (§3.9); these stand for the custom business
# events an implementation adds (one per entity family), raised on every committed create, update and delete.
CATALOG = {
    "CustomersV3": ("CustomerChangedBusinessEvent", ("CustomerAccount",)),
    "SalesOrderHeadersV2": ("SalesOrderChangedBusinessEvent", ("SalesOrderNumber",)),
    "SalesOrderLines": ("SalesOrderChangedBusinessEvent", ("SalesOrderNumber",)),
}
BUSINESS_EVENTS = sorted({event for event, _ in CATALOG.values()})
MAX_ENDPOINTS = 10  # per business event and legal entity (§3.9)
FIRST_CONTROL_NUMBER = 5637144576


class EventsSettings(BaseModel):
    event_retries: int = Field(default=3, ge=0, description="retries after a failed delivery before the error log")
    event_retry_delay_seconds: float = Field(default=1.0, ge=0)
    duplicate_events: bool = Field(default=False, description="deliver every event twice")
    hold_events: bool = Field(default=False, description="keep events back until POST /_admin/business-events/release")


class Endpoint(BaseModel):
    url: str
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="sent with every delivery, e.g. a function key; a key may also sit in the URL as ?code=",
    )
    business_events: list[str] = Field(min_length=1)
    legal_entity: str = Field(default="", description="the company the activation is for; empty for all")

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        parts = urlsplit(url)
        # HTTPS endpoints must be HTTPS; loopback http is let through so a test can listen without a certificate.
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")):
            raise ValueError("the endpoint URL must be https")
        return url

    @field_validator("business_events")
    @classmethod
    def _known(cls, events: list[str]) -> list[str]:
        unknown = set(events) - set(BUSINESS_EVENTS)
        if unknown:
            raise ValueError(f"unknown business events {sorted(unknown)}; the catalog has {BUSINESS_EVENTS}")
        return events

    @field_validator("legal_entity")
    @classmethod
    def _lower(cls, company: str) -> str:
        return company.lower()


@dataclass
class Delivery:
    endpoint_id: str
    payload: dict
    attempts: int = 0
    error: str = ""


class BusinessEvents:
    def __init__(
        self,
        clock: Clock,
        settings: Callable[[], EventsSettings],
        seed: int,
        transport: httpx.BaseTransport | None = None,
    ):
        self.clock = clock
        self.settings = settings
        self.endpoints: dict[str, Endpoint] = {}
        self.delivered: list[dict] = []
        self.errors: dict[str, Delivery] = {}
        self.held: list[Delivery] = []
        self._rng = random.Random(seed)
        self._control_number = FIRST_CONTROL_NUMBER
        self._lock = threading.Condition()
        self._pending = 0
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._client = httpx.Client(timeout=10, transport=transport)
        self._worker = threading.Thread(target=self._run, name="dynamics-fo-business-events", daemon=True)
        self._worker.start()

    # registrations ---------------------------------------------------------------------------------------------
    def register(self, endpoint: Endpoint) -> str:
        with self._lock:
            for event in endpoint.business_events:
                same = [
                    e
                    for e in self.endpoints.values()
                    if event in e.business_events and e.legal_entity == endpoint.legal_entity
                ]
                if len(same) >= MAX_ENDPOINTS:
                    raise ValueError(f"{event} already has {MAX_ENDPOINTS} endpoints for this legal entity")
            endpoint_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            self.endpoints[endpoint_id] = endpoint
            return endpoint_id

    def unregister(self, endpoint_id: str) -> bool:
        with self._lock:
            return self.endpoints.pop(endpoint_id, None) is not None

    # raising ---------------------------------------------------------------------------------------------------
    def on_commit(self, changes: list[Change], actor: Actor | None) -> None:
        """Called by the store after each commit, in commit order; one event per record changed."""
        # Guess: a transaction touching a record several times (an order with its lines) raises one event for it.
        raised: set[tuple] = set()
        with self._lock:
            endpoints = dict(self.endpoints)
        for change in changes:
            if change.entity.entity_set not in CATALOG:
                continue
            event, identifiers = CATALOG[change.entity.entity_set]
            company = change.row["dataAreaId"]
            ids = {name: change.row[name] for name in identifiers}
            if (event, company, *ids.values()) in raised:
                continue
            raised.add((event, company, *ids.values()))
            targets = [
                endpoint_id
                for endpoint_id, endpoint in endpoints.items()
                if event in endpoint.business_events and endpoint.legal_entity in ("", company)
            ]
            if targets:
                payload = self._payload(event, company, ids, actor)
                for endpoint_id in targets:
                    self._send(Delivery(endpoint_id, payload))

    def _payload(self, event: str, company: str, ids: dict, actor: Actor | None) -> dict:
        now = self.clock.now()
        with self._lock:
            self._control_number += self._rng.randint(1, 9)  # increasing with gaps, like a RecId-based number
            control_number = self._control_number
            event_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4)).upper()
        user = actor.object_id if actor else "00000000-0000-0000-0000-000000000000"
        return {
            "BusinessEventId": event,
            "BusinessEventLegalEntity": company,
            "ContextRecordSubject": "",
            "ControlNumber": control_number,
            "EventId": event_id,
            "EventTime": f"/Date({int(now.timestamp() * 1000)})/",
            "EventTimeIso8601": now.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z",
            "InitiatingUserAADObjectId": "{" + user.upper() + "}",
            "LegalEntity": company,
            "MajorVersion": 0,
            "MinorVersion": 0,
            "ParentContextRecordSubjects": [],
            **ids,
        }

    def _send(self, delivery: Delivery) -> None:
        with self._lock:
            if self.settings().hold_events:
                self.held.append(delivery)
                return
            self._pending += 1
        self._queue.put(delivery)

    # admin -----------------------------------------------------------------------------------------------------
    def release(self, newest_first: bool) -> int:
        with self._lock:
            held, self.held = self.held, []
            self._pending += len(held)
        for delivery in reversed(held) if newest_first else held:
            self._queue.put(delivery)
        return len(held)

    def resend(self, error_id: str) -> bool:
        with self._lock:
            delivery = self.errors.pop(error_id, None)
            if delivery is None:
                return False
            self._pending += 1
        self._queue.put(Delivery(delivery.endpoint_id, delivery.payload))
        return True

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued event has been delivered or logged as failed."""
        with self._lock:
            return self._lock.wait_for(lambda: self._pending == 0, timeout)

    def log(self) -> dict:
        with self._lock:
            return {
                "delivered": list(self.delivered),
                "held": [d.payload for d in self.held],
                "errors": [
                    {
                        "id": error_id,
                        "endpoint_id": d.endpoint_id,
                        "attempts": d.attempts,
                        "error": d.error,
                        "payload": d.payload,
                    }
                    for error_id, d in self.errors.items()
                ],
            }

    # the sender ------------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                times = 2 if self.settings().duplicate_events else 1
                for _ in range(times):
                    if not self._deliver(delivery):
                        break
            finally:
                with self._lock:
                    self._pending -= 1
                    self._lock.notify_all()

    def _deliver(self, delivery: Delivery) -> bool:
        endpoint = self.endpoints.get(delivery.endpoint_id)
        body = json.dumps(delivery.payload, sort_keys=True).encode()  # members in alphabetical order (§3.9)
        settings = self.settings()
        for attempt in range(settings.event_retries + 1):
            if attempt:
                time.sleep(settings.event_retry_delay_seconds)
            delivery.attempts += 1
            if endpoint is None:
                delivery.error = "the endpoint was removed"
                break
            # Guess: the headers F&O sends to an HTTPS endpoint are not documented (§3.9); JSON plus the configured.
            try:
                response = self._client.post(
                    endpoint.url, content=body, headers={"Content-Type": "application/json", **endpoint.headers}
                )
            except httpx.HTTPError as error:
                delivery.error = f"{type(error).__name__}: {error}"
                continue
            if response.is_success:
                with self._lock:
                    self.delivered.append(
                        {
                            "endpoint_id": delivery.endpoint_id,
                            "status": response.status_code,
                            **{
                                k: delivery.payload[k]
                                for k in ("BusinessEventId", "ControlNumber", "EventId", "LegalEntity")
                            },
                        }
                    )
                return True
            delivery.error = f"HTTP {response.status_code}: {response.text[:500]}"
        with self._lock:
            self.errors[str(uuid.UUID(int=self._rng.getrandbits(128), version=4))] = delivery
        return False
