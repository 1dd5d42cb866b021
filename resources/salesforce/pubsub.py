"""Salesforce Pub/Sub API client for Change Data Capture (crm_targets.md §1.10): one Subscribe stream per fetch,
pulled with flow-control credit; payloads decoded from Avro with the writer schema GetSchema names, and the header's
field bitmaps turned back into field names. A fetch is bounded (a number of events, or a quiet spell), so it fits a
sensor tick or an asset run; the replay id it answers is where the next fetch resumes."""

import io
import json
import queue
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import fastavro
import grpc

from ml_connector_dagster.http import ApiError, AuthError, RetryPolicy
from ml_connector_dagster.protos import pubsub_api_pb2 as pb
from ml_connector_dagster.protos import pubsub_api_pb2_grpc as pb_grpc

Metadata = tuple[tuple[str, str], ...]
T = TypeVar("T")
_REPLAY_REFUSED = {
    "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted",
    "sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed",
}

DEFAULT_RETRY = RetryPolicy()

TOPIC = "/data/ChangeEvents"
# What the Salesforce → F&O flow reads; changes to anything else cannot change a sales order or a new customer.
CHANGE_ENTITIES = frozenset({"Account", "Opportunity", "OpportunityLineItem", "Order", "OrderItem"})


@dataclass(frozen=True)
class ChangeEvent:
    entity: str
    change_type: str  # CREATE, UPDATE, DELETE, UNDELETE, or a GAP_ type
    record_ids: tuple[str, ...]
    changed_fields: tuple[str, ...]  # UPDATE only; a compound's parts as BillingAddress.City
    commit_timestamp: datetime
    change_origin: str  # com/salesforce/api/rest/63.0;client=<id>: tells our own writes apart
    transaction_key: str
    replay_id: bytes
    fields: dict  # the non-null values as the payload has them (datetimes: epoch ms)


@dataclass(frozen=True)
class Fetched:
    events: list[ChangeEvent]
    latest_replay_id: bytes  # where the next fetch resumes; b"" when the server named no position yet


class ReplayIdExpired(ApiError):
    """The replay id is past the 72-hour retention, unknown, or missing: events may have been missed, so resubscribe
    from EARLIEST or LATEST and reconcile with a full read."""


class PubSubClient:
    def __init__(
        self,
        endpoint: str,
        *,
        metadata: Callable[[bool], Metadata],
        secure: bool = True,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """`metadata(renew)` answers the accesstoken, instanceurl and tenantid headers, with a new token if asked."""
        self._credentials = metadata
        self._metadata: Metadata | None = None
        self.retry = retry
        self.sleep = sleep
        self._channel = (
            grpc.secure_channel(endpoint, grpc.ssl_channel_credentials()) if secure else grpc.insecure_channel(endpoint)
        )
        self._stub = pb_grpc.PubSubStub(self._channel)
        self._schemas: dict[str, dict] = {}
        self._parsed: dict[str, tuple[dict, list[tuple[str, list[str] | None]]]] = {}

    def schema(self, schema_id: str) -> dict:
        """The Avro schema (JSON) a payload was written with; schemas never change under an id, so kept."""
        if schema_id not in self._schemas:
            info = self._retrying(
                lambda metadata: self._stub.GetSchema(
                    pb.SchemaRequest(schema_id=schema_id), metadata=metadata, timeout=30
                )
            )
            self._schemas[schema_id] = json.loads(info.schema_json)
        return self._schemas[schema_id]

    def fetch(
        self,
        topic: str,
        *,
        replay_id: bytes | None = None,
        preset: str | None = None,
        max_events: int = 1000,
        idle_seconds: float = 5.0,
        batch: int = 100,
    ) -> Fetched:
        """Events of `topic` after `replay_id` (preset CUSTOM), or from LATEST / EARLIEST, until `max_events` have
        come or none has for `idle_seconds` (an empty keepalive also ends it: nothing more is waiting)."""
        first = pb.ReplayPreset.Value(preset or ("CUSTOM" if replay_id else "LATEST")), replay_id or b""
        events: list[ChangeEvent] = []
        position: bytes | None = None  # the latest replay id the server named

        def subscribe(metadata: Metadata) -> None:
            nonlocal position
            # A retry resumes where the failed stream got to.
            start = (pb.CUSTOM, position) if position else first
            with closing(
                self._stream(topic, *start, max_events - len(events), idle_seconds, batch, metadata)
            ) as responses:
                for response in responses:
                    events.extend(self._decode(consumer) for consumer in response.events)
                    position = response.latest_replay_id or position

        self._retrying(subscribe)
        return Fetched(events, position or first[1])

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "PubSubClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------------------
    def _stream(
        self,
        topic: str,
        preset: int,
        replay_id: bytes,
        wanted: int,
        idle_seconds: float,
        batch: int,
        metadata: Metadata,
    ):
        """One Subscribe call's responses, granting `batch` more credit whenever the server holds none, up to
        `wanted` events; cancelled when done."""
        requests: queue.SimpleQueue = queue.SimpleQueue()
        requests.put(
            pb.FetchRequest(
                topic_name=topic, replay_preset=preset, replay_id=replay_id, num_requested=min(batch, wanted)
            )
        )
        call = self._stub.Subscribe(iter(requests.get, None), metadata=metadata)
        responses: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=_drain, args=(call, responses), name="salesforce-pubsub", daemon=True).start()
        received = 0
        try:
            while received < wanted:
                try:
                    response = responses.get(timeout=idle_seconds)
                except queue.Empty:
                    return
                if isinstance(response, grpc.RpcError):
                    raise response
                yield response
                if not response.events:
                    return
                received += len(response.events)
                if response.pending_num_requested == 0 and received < wanted:
                    requests.put(pb.FetchRequest(topic_name=topic, num_requested=min(batch, wanted - received)))
        finally:
            requests.put(None)
            call.cancel()

    def _decode(self, consumer: pb.ConsumerEvent) -> ChangeEvent:
        schema, layout = self._writer(consumer.event.schema_id)
        record = fastavro.schemaless_reader(io.BytesIO(consumer.event.payload), schema, None)
        header = record["ChangeEventHeader"]
        return ChangeEvent(
            entity=header["entityName"],
            change_type=header["changeType"],
            record_ids=tuple(header["recordIds"]),
            changed_fields=_field_names(layout, header["changedFields"]),
            commit_timestamp=datetime.fromtimestamp(header["commitTimestamp"] / 1000, UTC),
            change_origin=header["changeOrigin"],
            transaction_key=header["transactionKey"],
            replay_id=consumer.replay_id,
            fields={
                name: _without_nulls(value)
                for name, value in record.items()
                if name != "ChangeEventHeader" and _without_nulls(value) not in (None, {})
            },
        )

    def _writer(self, schema_id: str) -> tuple[dict, list[tuple[str, list[str] | None]]]:
        if schema_id not in self._parsed:
            schema = self.schema(schema_id)
            self._parsed[schema_id] = fastavro.parse_schema(schema), _layout(schema)
        return self._parsed[schema_id]

    def _retrying(self, operation: Callable[[Metadata], T]) -> T:
        """A refused token is renewed once; an unavailable service is retried with the policy's backoff."""
        renewed, attempt = False, 0
        while True:
            attempt += 1
            if self._metadata is None:
                self._metadata = self._credentials(False)
            try:
                return operation(self._metadata)
            except grpc.RpcError as error:
                status = error.code()
                if status == grpc.StatusCode.UNAUTHENTICATED and not renewed:
                    renewed, self._metadata = True, self._credentials(True)
                    continue
                if status == grpc.StatusCode.UNAVAILABLE and attempt < self.retry.max_attempts:
                    self.sleep(self.retry.delay(attempt, None))
                    continue
                raise _api_error(error) from None


def _drain(call, responses: queue.SimpleQueue) -> None:
    try:
        for response in call:
            responses.put(response)
    except grpc.RpcError as error:
        responses.put(error)


def _api_error(error: grpc.RpcError) -> ApiError:
    code = dict(error.trailing_metadata() or ()).get("error-code")
    message = f"Pub/Sub API {error.code().name}: {error.details()}"
    if code in _REPLAY_REFUSED:
        return ReplayIdExpired("salesforce", message, code=code)
    if error.code() == grpc.StatusCode.UNAUTHENTICATED:
        return AuthError("salesforce", message, code=code)
    return ApiError("salesforce", message, code=code)


def _layout(schema: dict) -> list[tuple[str, list[str] | None]]:
    """Each top-level field's name and, for a compound (a nested record), its parts' names, by position."""
    records: dict[str, list[str]] = {}
    layout = []
    for field in schema["fields"]:
        kinds = field["type"] if isinstance(field["type"], list) else [field["type"]]
        kind = next((k for k in kinds if k != "null"), None)
        parts = None
        if isinstance(kind, dict) and kind.get("type") == "record":
            parts = records[kind["name"]] = [part["name"] for part in kind["fields"]]
        elif isinstance(kind, str):  # a record defined earlier, named
            parts = records.get(kind.rsplit(".", 1)[-1])
        layout.append((field["name"], parts))
    return layout


def _field_names(layout: list[tuple[str, list[str] | None]], bitmaps: list[str]) -> tuple[str, ...]:
    """Bit n of '0x…' is the field at position n; '{position}-0x…' are the parts of the compound at position."""
    names = []
    for entry in bitmaps:
        position, _, bits = entry.rpartition("-")
        value = int(bits, 16)
        if position:
            compound, parts = layout[int(position)]
            names += [f"{compound}.{part}" for n, part in enumerate(parts or ()) if value >> n & 1]
        else:
            names += [name for n, (name, _) in enumerate(layout) if value >> n & 1]
    return tuple(names)


def _without_nulls(value):
    return {k: v for k, v in value.items() if v is not None} if isinstance(value, dict) else value
