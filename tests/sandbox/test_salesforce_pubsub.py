"""The Salesforce emulator's Pub/Sub API over gRPC, through third-party code unchanged: sfprotostash's stubs,
generated from Salesforce's own pubsub_api.proto, and the official `avro` package: topics and schemas, change events
of REST writes (changeType, changedFields bitmaps, commitTimestamp, changeOrigin), flow-control credit, keepalives,
replay, retention, authentication and the errors' error-code trailers."""

import importlib
import io
import queue
import threading
import time
from datetime import UTC, datetime
from unittest import mock

import avro.io
import avro.schema
import grpc
import httpx
import pytest
from google.protobuf import descriptor_pool

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.salesforce import SalesforceEmulator
from ml_connector_dagster.sandbox.salesforce.auth import ORG_ID
from ml_connector_dagster.sandbox.salesforce.emulator import CLIENT_ID, CLIENT_SECRET
from ml_connector_dagster.sandbox.server import SandboxServer

# sfprotostash defines the same eventbus.v1 messages as the project's own generated code, and protobuf refuses two
# definitions of a name in one descriptor pool: its modules are loaded, as they are, into a pool of their own.
OWN_POOL = descriptor_pool.DescriptorPool()
with mock.patch.object(descriptor_pool, "Default", lambda: OWN_POOL):
    pb = importlib.import_module("sfprotostash.pubsub_api_pb2")
    pb_grpc = importlib.import_module("sfprotostash.pubsub_api_pb2_grpc")

START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
ACCOUNTS = "/data/AccountChangeEvent"
ERROR = "sfdc.platform.eventbus.grpc."


class Org:
    def __init__(self, emulator: SalesforceEmulator, url: str, endpoint: str):
        self.emulator, self.url = emulator, url
        self.channel = grpc.insecure_channel(endpoint)
        self.stub = pb_grpc.PubSubStub(self.channel)
        answer = httpx.post(
            f"{url}/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        ).json()
        self.token = answer["access_token"]
        self.metadata = (("accesstoken", self.token), ("instanceurl", answer["instance_url"]), ("tenantid", ORG_ID))

    def upsert(self, key: str, body: dict, client: str | None = "mlc") -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} | (
            {"Sforce-Call-Options": f"client={client}"} if client else {}
        )
        return httpx.patch(
            f"{self.url}/services/data/v63.0/sobjects/Account/ERP_Account_Number__c/{key}", json=body, headers=headers
        )

    def subscribe(self, topic: str = ACCOUNTS, num_requested: int = 10, **first) -> "Stream":
        return Stream(self.stub, self.metadata, pb.FetchRequest(topic_name=topic, num_requested=num_requested, **first))

    def schema(self, schema_id: str) -> avro.schema.RecordSchema:
        info = self.stub.GetSchema(pb.SchemaRequest(schema_id=schema_id), metadata=self.metadata)
        return avro.schema.parse(info.schema_json)


class Stream:
    """One Subscribe call driven by hand: requests go on a queue, responses are read with a timeout."""

    def __init__(self, stub, metadata, first):
        self.requests = queue.SimpleQueue()
        self.requests.put(first)
        self.call = stub.Subscribe(iter(self.requests.get, None), metadata=metadata)
        self.responses = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for response in self.call:
                self.responses.put(response)
        except grpc.RpcError as error:
            self.responses.put(error)

    def next(self, timeout: float = 3.0):
        response = self.responses.get(timeout=timeout)
        if isinstance(response, grpc.RpcError):
            raise response
        return response

    def events(self, count: int) -> list:
        """The next `count` events, past any keepalives."""
        events, deadline = [], time.monotonic() + 3
        while len(events) < count and time.monotonic() < deadline:
            events += self.next().events
        assert len(events) == count, f"{len(events)} events instead of {count}"
        return events

    def ready(self) -> "Stream":
        """Once the first keepalive has come the subscription is in place: LATEST is fixed, later writes are new."""
        assert self.next().events == []
        return self

    def request(self, num_requested: int, topic: str = "") -> None:
        self.requests.put(pb.FetchRequest(topic_name=topic, num_requested=num_requested))

    def close(self) -> None:
        self.requests.put(None)
        self.call.cancel()


@pytest.fixture
def org():
    emulator = SalesforceEmulator(clock=Clock(frozen_at=START))
    emulator.update_settings({"pubsub_keepalive_seconds": 0.5})
    with SandboxServer([emulator]) as server:
        connected = Org(emulator, server.url("salesforce"), server.urls["salesforce_pubsub"])
        yield connected
        connected.channel.close()


def decode(org: Org, event) -> tuple[avro.schema.RecordSchema, dict]:
    schema = org.schema(event.event.schema_id)
    return schema, avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(event.event.payload)))


def field_names(schema: avro.schema.RecordSchema, bitmaps: list[str]) -> list[str]:
    """As Salesforce's ChangeEventHeaderUtility reads them: bit n of the hex value names the schema's n-th field,
    '{n}-{hex}' the parts of the compound field n."""
    names = []
    for entry in bitmaps:
        parent, _, hex_value = entry.rpartition("-")
        fields = (
            schema.fields
            if not parent
            else next(s for s in schema.fields[int(parent)].type.schemas if s.type == "record").fields
        )
        bits = bin(int(hex_value, 16))[2:][::-1]
        names += [
            (f"{schema.fields[int(parent)].name}." if parent else "") + fields[n].name
            for n, bit in enumerate(bits)
            if bit == "1"
        ]
    return names


def refusal(error: grpc.RpcError) -> tuple[grpc.StatusCode, str | None]:
    assert "rpcId: " in error.details()
    return error.code(), dict(error.trailing_metadata()).get("error-code")


def test_topics_name_their_schema_and_cannot_be_published_to(org):
    topic = org.stub.GetTopic(pb.TopicRequest(topic_name=ACCOUNTS), metadata=org.metadata)
    assert (
        (topic.topic_name, topic.tenant_guid, topic.can_subscribe, topic.can_publish) == (ACCOUNTS, ORG_ID, True, False)
        and topic.schema_id
        and topic.rpc_id
    )
    schema = org.schema(topic.schema_id)
    assert schema.fullname == "com.sforce.eventbus.AccountChangeEvent"
    assert [f.name for f in schema.fields][:3] == ["ChangeEventHeader", "CreatedDate", "LastModifiedDate"]
    assert "BillingAddress" in schema.fields_dict and "BillingCity" not in schema.fields_dict, "a compound field"
    assert org.stub.GetTopic(pb.TopicRequest(topic_name="/data/ChangeEvents"), metadata=org.metadata).can_subscribe
    with pytest.raises(grpc.RpcError) as unknown:
        org.stub.GetTopic(pb.TopicRequest(topic_name="/data/Invoice__ChangeEvent"), metadata=org.metadata)
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    published = org.stub.Publish(
        pb.PublishRequest(
            topic_name=ACCOUNTS, events=[pb.ProducerEvent(id="e-1", schema_id=topic.schema_id, payload=b"")]
        ),
        metadata=org.metadata,
    )
    assert [(r.correlation_key, r.error.code) for r in published.results] == [("e-1", pb.PUBLISH)]


def test_a_rest_upsert_is_a_create_then_an_update_with_its_changed_fields_and_origin(org):
    stream = org.subscribe().ready()
    assert org.upsert("A-1", {"Name": "Contoso", "BillingCity": "Berlin"}).status_code == 201
    org.emulator.clock.advance(60)
    assert org.upsert("a-1", {"Name": "Contoso", "Phone": "+49 30 1234"}, client=None).status_code == 200
    created, updated = stream.events(2)
    stream.close()
    assert created.replay_id < updated.replay_id and len(created.replay_id) == 8
    schema, first = decode(org, created)
    header = first["ChangeEventHeader"]
    [account] = org.emulator.rows("Account")
    assert (header["entityName"], header["changeType"], header["recordIds"]) == ("Account", "CREATE", [account["Id"]])
    assert header["changeOrigin"] == "com/salesforce/api/rest/63.0;client=mlc" and header["changedFields"] == []
    assert header["commitTimestamp"] == int(START.timestamp() * 1000) and header["commitUser"].startswith("005")
    assert first["Name"] == "Contoso" and first["BillingAddress"]["City"] == "Berlin" and first["Phone"] is None
    _, second = decode(org, updated)
    header = second["ChangeEventHeader"]
    assert header["changeType"] == "UPDATE" and header["changeOrigin"] == "com/salesforce/api/rest/63.0"
    assert field_names(schema, header["changedFields"]) == ["LastModifiedDate", "Phone"]
    assert header["changedFields"][0].startswith("0x") and header["nulledFields"] == []
    assert header["commitTimestamp"] == int(START.timestamp() * 1000) + 60_000
    assert second["Phone"] == "+49 30 1234" and second["Name"] is None, "unchanged fields are null"
    assert header["transactionKey"] != first["ChangeEventHeader"]["transactionKey"]


def test_an_edit_in_the_org_has_no_origin_and_names_nulled_compound_parts(org):
    [account] = org.emulator.insert("Account", [{"Name": "Fabrikam", "BillingCity": "Lyon", "BillingCountry": "FR"}])
    stream = org.subscribe().ready()
    org.emulator.edit("Account", account["Id"], {"BillingCity": None})
    [event] = stream.events(1)
    stream.close()
    schema, body = decode(org, event)
    header = body["ChangeEventHeader"]
    assert header["changeOrigin"] == ""
    assert field_names(schema, header["changedFields"]) == ["LastModifiedDate", "BillingAddress.City"]
    assert field_names(schema, header["nulledFields"]) == ["BillingAddress.City"]


def test_events_never_exceed_the_credit_granted(org):
    stream = org.subscribe(num_requested=2).ready()
    for n in range(3):
        org.upsert(f"C-{n}", {"Name": f"Customer {n}"})
    delivered = stream.events(2)
    held = stream.next()
    assert held.events == [] and held.pending_num_requested == 0, "the third waits for credit"
    assert held.latest_replay_id == delivered[-1].replay_id
    stream.request(5)
    [third] = stream.events(1)
    assert third.replay_id > delivered[-1].replay_id
    assert stream.next().pending_num_requested == 4
    stream.close()


def test_an_idle_subscription_gets_keepalives_with_the_latest_replay_id(org):
    stream = org.subscribe(topic="/data/ChangeEvents")
    started = time.monotonic()
    keepalive = stream.next()
    assert keepalive.events == [] and time.monotonic() - started >= 0.4
    assert keepalive.latest_replay_id == (1).to_bytes(8, "big"), "after the org's standard price book"
    assert keepalive.pending_num_requested == 10 and keepalive.rpc_id
    stream.close()


def test_custom_replay_resumes_after_the_given_event(org):
    for n in range(3):
        org.upsert(f"R-{n}", {"Name": f"Replay {n}"})
    earliest = org.subscribe(replay_preset=pb.EARLIEST)
    ids = [event.replay_id for event in earliest.events(3)]
    earliest.close()
    resumed = org.subscribe(replay_preset=pb.CUSTOM, replay_id=ids[0])
    assert [event.replay_id for event in resumed.events(2)] == ids[1:]
    assert resumed.next().events == [], "nothing else"
    resumed.close()


def test_replay_ids_past_retention_or_unknown_are_refused(org):
    org.emulator.update_settings({"token_lifetime_seconds": 80 * 3600})  # the session outlives the clock's jump
    org.upsert("O-1", {"Name": "Old"})
    org.upsert("O-2", {"Name": "Older still"})
    stream = org.subscribe(replay_preset=pb.EARLIEST)
    oldest = stream.events(2)[0].replay_id
    stream.close()
    org.emulator.clock.advance(73 * 3600)
    corrupted = (grpc.StatusCode.INVALID_ARGUMENT, ERROR + "subscription.fetch.replayid.corrupted")
    for replay_id in (oldest, (999).to_bytes(8, "big"), b"\x01"):
        with pytest.raises(grpc.RpcError) as refused:
            org.subscribe(replay_preset=pb.CUSTOM, replay_id=replay_id).next()
        assert refusal(refused.value) == corrupted
    with pytest.raises(grpc.RpcError) as missing:
        org.subscribe(replay_preset=pb.CUSTOM).next()
    assert refusal(missing.value) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        ERROR + "subscription.fetch.replayid.validation.failed",
    )
    with pytest.raises(grpc.RpcError) as no_credit:
        org.subscribe(num_requested=0).next()
    assert refusal(no_credit.value) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        ERROR + "subscription.fetch.requested.events.invalid",
    )


def test_calls_without_a_live_session_of_this_org_are_unauthenticated(org):
    request = pb.TopicRequest(topic_name=ACCOUNTS)
    unauthenticated = (grpc.StatusCode.UNAUTHENTICATED, ERROR + "service.auth.error")
    wrong_org = tuple((k, "00D000000000000AAA" if k == "tenantid" else v) for k, v in org.metadata)
    for metadata in ((), org.metadata[:2], wrong_org):
        with pytest.raises(grpc.RpcError) as refused:
            org.stub.GetTopic(request, metadata=metadata)
        assert refusal(refused.value) == unauthenticated
    org.emulator.expire_tokens()
    with pytest.raises(grpc.RpcError) as expired:
        org.subscribe().next()
    assert refusal(expired.value) == unauthenticated


def test_a_later_request_for_another_topic_ends_the_subscription(org):
    stream = org.subscribe()
    stream.request(1, topic="/data/ContactChangeEvent")
    with pytest.raises(grpc.RpcError) as refused:
        stream.events(1)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
