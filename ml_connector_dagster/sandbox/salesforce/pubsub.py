"""The org's Pub/Sub API (crm_targets.md §1.10, §4.1 item 9): `eventbus.v1.PubSub` over gRPC on loopback, serving
the change event log as `/data/ChangeEvents` (every object) and `/data/<Object>ChangeEvent`. Subscribe is pull-based:
events flow only against the credit the client grants, and an idle stream gets empty keepalive responses every
`pubsub_keepalive_seconds` (real seconds: a frozen emulator clock must not stop a stream's heartbeat)."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc

from ml_connector_dagster.protos import pubsub_api_pb2 as pb
from ml_connector_dagster.protos import pubsub_api_pb2_grpc as pb_grpc
from ml_connector_dagster.sandbox.salesforce.auth import ORG_ID, Sessions
from ml_connector_dagster.sandbox.salesforce.change_events import ChangeEvent, ChangeLog
from ml_connector_dagster.sandbox.salesforce.org import Org
from ml_connector_dagster.sandbox.salesforce.settings import SalesforceSettings

ALL_CHANGES = "/data/ChangeEvents"
# Guess: the server keeps at most 100 events of credit from one FetchRequest (§1.10 calls the cap uncertain).
MAX_REQUESTED = 100
_ERROR = "sfdc.platform.eventbus.grpc."
# Guess: the exact wording of every message below; the error codes not in §1.10 are guesses too.
_AUTH = (
    grpc.StatusCode.UNAUTHENTICATED,
    _ERROR + "service.auth.error",
    "An authentication exception occurred. The caller does not have valid authentication credentials.",
)
_CORRUPTED = (
    grpc.StatusCode.INVALID_ARGUMENT,
    _ERROR + "subscription.fetch.replayid.corrupted",
    "The Replay ID validation failed. Ensure that the Replay ID is valid and within the retention window.",
)
_NO_REPLAY_ID = (
    grpc.StatusCode.INVALID_ARGUMENT,
    _ERROR + "subscription.fetch.replayid.validation.failed",
    "The CUSTOM replay preset needs a replay ID.",
)
_BAD_CREDIT = (
    grpc.StatusCode.INVALID_ARGUMENT,
    _ERROR + "subscription.fetch.requested.events.invalid",
    "The number of requested events must be greater than 0.",
)
_OTHER_TOPIC = (
    grpc.StatusCode.INVALID_ARGUMENT,
    _ERROR + "subscription.fetch.topic.mismatch",
    "A subscription stays on the topic of its first FetchRequest.",
)
_NO_TOPIC = (grpc.StatusCode.NOT_FOUND, _ERROR + "topic.not.found", "The topic does not exist or is not enabled.")
_NO_SCHEMA = (grpc.StatusCode.NOT_FOUND, _ERROR + "schema.not.found", "The schema does not exist.")
# Guess: change events are the platform's to publish; a publish is answered, each event with its own error.
_NOT_PUBLISHABLE = "Publishing to a Change Data Capture channel is not allowed."

Failure = tuple[grpc.StatusCode, str, str]


@dataclass(frozen=True)
class _Topic:
    name: str
    entities: frozenset[str]
    schema_id: str


class PubSubService(pb_grpc.PubSubServicer):
    def __init__(self, org: Org, sessions: Sessions, settings: Callable[[], SalesforceSettings]):
        self.org = org
        self.log: ChangeLog = org.changes
        self.sessions = sessions
        self.settings = settings

    def GetTopic(self, request, context):
        rpc_id = self._authenticated(context)
        topic = self._topic(request.topic_name, context, rpc_id)
        return pb.TopicInfo(
            topic_name=topic.name,
            tenant_guid=ORG_ID,
            can_publish=False,
            can_subscribe=True,
            schema_id=topic.schema_id,
            rpc_id=rpc_id,
        )

    def GetSchema(self, request, context):
        rpc_id = self._authenticated(context)
        with self.log.condition:
            schema = self.log.schemas.get(request.schema_id)
        if schema is None:
            _abort(context, rpc_id, _NO_SCHEMA)
        return pb.SchemaInfo(schema_json=json.dumps(schema.json), schema_id=schema.id, rpc_id=rpc_id)

    def Publish(self, request, context):
        return self._refuse(request, self._authenticated(context), context)

    def PublishStream(self, requests, context):
        rpc_id = self._authenticated(context)
        for request in requests:
            yield self._refuse(request, rpc_id, context)

    def Subscribe(self, requests, context) -> Iterator[pb.FetchResponse]:
        rpc_id = self._authenticated(context)
        first = next(requests, None)
        if first is None:
            return
        topic = self._topic(first.topic_name, context, rpc_id)
        if first.num_requested <= 0:
            _abort(context, rpc_id, _BAD_CREDIT)
        subscription = _Subscription(
            self.log, topic, self._start(first, context, rpc_id), min(first.num_requested, MAX_REQUESTED)
        )
        context.add_callback(subscription.close)
        threading.Thread(target=subscription.read, args=(requests,), name="sandbox-pubsub-credit", daemon=True).start()
        last_sent = time.monotonic()
        while not subscription.closed:
            keepalive_at = last_sent + self.settings().pubsub_keepalive_seconds
            events, failure = subscription.wait(keepalive_at)
            if failure:
                _abort(context, rpc_id, failure)
            if events or time.monotonic() >= keepalive_at:
                yield pb.FetchResponse(
                    events=[_consumer_event(event) for event in events],
                    latest_replay_id=_replay_id(subscription.cursor),
                    rpc_id=rpc_id,
                    pending_num_requested=subscription.credit,
                )
                last_sent = time.monotonic()

    # ------------------------------------------------------------------------------------------------------------
    def _authenticated(self, context) -> str:
        """The call's rpc id, once its metadata names a live session of this org (as REST checks, which also
        restarts the session's inactivity timeout)."""
        rpc_id = str(uuid.uuid4())
        metadata = dict(context.invocation_metadata())
        token = metadata.get("accesstoken")
        if not (
            token and metadata.get("instanceurl") and metadata.get("tenantid") == ORG_ID and self.sessions.valid(token)
        ):
            _abort(context, rpc_id, _AUTH)
        return rpc_id

    def _topic(self, name: str, context, rpc_id: str) -> _Topic:
        objects = self.org.objects
        if name == ALL_CHANGES:
            # Guess: a channel of several objects names no one schema; each event carries its own schema id.
            return _Topic(name, frozenset(objects), "")
        entity = name.removeprefix("/data/").removesuffix("ChangeEvent")
        if name != f"/data/{entity}ChangeEvent" or entity not in objects or not self.log.selected(entity):
            _abort(context, rpc_id, _NO_TOPIC)
        return _Topic(name, frozenset({entity}), self.log.schema(objects[entity]).id)

    def _start(self, first: pb.FetchRequest, context, rpc_id: str) -> int:
        """The replay id after which the subscription starts."""
        with self.log.condition:
            if first.replay_preset == pb.EARLIEST:
                return self.log.oldest()
            if first.replay_preset != pb.CUSTOM:
                return self.log.latest
            if not first.replay_id:
                _abort(context, rpc_id, _NO_REPLAY_ID)
            replay = int.from_bytes(first.replay_id, "big")
            if len(first.replay_id) != 8 or not self.log.resumable(replay):
                _abort(context, rpc_id, _CORRUPTED)
            return replay

    def _refuse(self, request: pb.PublishRequest, rpc_id: str, context) -> pb.PublishResponse:
        topic = self._topic(request.topic_name, context, rpc_id)
        return pb.PublishResponse(
            schema_id=topic.schema_id,
            rpc_id=rpc_id,
            results=[
                pb.PublishResult(error=pb.Error(code=pb.PUBLISH, msg=_NOT_PUBLISHABLE), correlation_key=event.id)
                for event in request.events
            ],
        )


class _Subscription:
    """One Subscribe call's position and credit. The call's thread waits for events it may send; a thread of its
    own reads the client's further FetchRequests (credit) while events are being sent."""

    def __init__(self, log: ChangeLog, topic: _Topic, cursor: int, credit: int):
        self.log = log
        self.topic = topic
        self.cursor = cursor
        self.credit = credit
        self.failure: Failure | None = None
        self.closed = False

    def read(self, requests: Iterator[pb.FetchRequest]) -> None:
        try:
            for request in requests:
                failure = (
                    _OTHER_TOPIC
                    if request.topic_name and request.topic_name != self.topic.name
                    else _BAD_CREDIT
                    if request.num_requested <= 0
                    else None
                )
                with self.log.condition:
                    self.failure = failure
                    self.credit += 0 if failure else min(request.num_requested, MAX_REQUESTED)
                    self.log.condition.notify_all()
                if failure:
                    return
        except grpc.RpcError:
            return  # the call ended while waiting for the client's next request

    def wait(self, until: float) -> tuple[list[ChangeEvent], Failure | None]:
        """The events the credit allows, as soon as there are any, or none at `until` (monotonic time)."""
        with self.log.condition:
            while not self.closed and not self.failure:
                events = self._take()
                remaining = until - time.monotonic()
                if events or remaining <= 0:
                    return events, None
                self.log.condition.wait(remaining)
            return [], self.failure

    def close(self) -> None:
        with self.log.condition:
            self.closed = True
            self.log.condition.notify_all()

    def _take(self) -> list[ChangeEvent]:
        """Moves the cursor over the events of other topics, and over this topic's as far as the credit goes."""
        taken = []
        for event in self.log.after(self.cursor):
            if event.entity in self.topic.entities:
                if self.credit == 0:
                    break
                taken.append(event)
                self.credit -= 1
            self.cursor = event.replay
        return taken


class PubSubServer:
    """The gRPC server beside the emulator's HTTP app; SandboxServer starts and stops it."""

    def __init__(self, service: PubSubService):
        self.service = service
        self._server: grpc.Server | None = None

    def start(self, host: str, port: int) -> int:
        # Without SO_REUSEPORT a taken fixed port fails here, as the HTTP servers' do, instead of being shared.
        self._server = grpc.server(
            ThreadPoolExecutor(max_workers=32, thread_name_prefix="sandbox-pubsub"), options=[("grpc.so_reuseport", 0)]
        )
        pb_grpc.add_PubSubServicer_to_server(self.service, self._server)
        bound = self._server.add_insecure_port(f"{host}:{port}")
        if not bound:
            raise RuntimeError(f"Pub/Sub server could not listen on {host}:{port} (is the port already in use?)")
        self._server.start()
        return bound

    def stop(self) -> None:
        if self._server is not None:
            # Ending the calls wakes their subscriptions (the close callback), so their threads return.
            self._server.stop(grace=1).wait()
            self._server = None


def _abort(context, rpc_id: str, failure: Failure) -> None:
    status, error_code, message = failure
    context.set_trailing_metadata((("error-code", error_code),))
    context.abort(status, f"{message} rpcId: {rpc_id}")


def _consumer_event(event: ChangeEvent) -> pb.ConsumerEvent:
    return pb.ConsumerEvent(
        replay_id=_replay_id(event.replay),
        event=pb.ProducerEvent(id=event.event_id, schema_id=event.schema_id, payload=event.payload),
    )


def _replay_id(replay: int) -> bytes:
    return replay.to_bytes(8, "big")
