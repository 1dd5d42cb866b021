"""Procore events at the receiver: v2/v3 and v4 payloads taken for events keyed on their ULID, anything else refused
with 422, the UTC day of the timestamp as the partition, and a delivery authenticated only by the
`Authorization: Bearer <key>` header Procore sends back."""

import json

import pytest
from starlette.testclient import TestClient

from ml_connector_dagster.events.envelope import BadEvent
from ml_connector_dagster.events.procore import changed_day, parse
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.webhooks import SourceAuth, build_app, configured_sources

KEY = "procore-webhook-key-for-tests"


def v2(**extra) -> dict:
    return {
        "id": 11301387632,
        "ulid": "01EDPD2J6SBY1163N77H95GW09",
        "timestamp": "2026-11-01T23:59:59.353581Z",
        "metadata": {"source_user_id": 1, "source_project_id": 101, "source_company_id": 4262},
        "user_id": 1,
        "company_id": 4262,
        "project_id": 101,
        "api_version": "v2.0",
        "event_type": "update",
        "resource_name": "Requisitions",
        "resource_id": 245510722,
        **extra,
    }


def v4(**extra) -> dict:
    return {
        "id": "01JBX4ZQ0S6S3V5N9G2K7Y8W1A",
        "timestamp": "2026-11-02T00:00:00Z",
        "reason": "update",
        "company_id": "4262",
        "project_id": "101",
        "user_id": "1",
        "resource_type": "Commitment Change Orders",
        "resource_id": "9001",
        **extra,
    }


def test_v2_and_v3_events_are_keyed_on_their_ulid_and_v4_on_its_id():
    [event] = parse(v2())
    assert event.dedup_key == "01EDPD2J6SBY1163N77H95GW09" and event.payload == v2()
    [v3] = parse(v2(api_version="v3.0", related_resources=[{"id": 5, "name": "Purchase Order Contracts"}]))
    assert v3.dedup_key == event.dedup_key
    [later] = parse(v4())
    assert later.dedup_key == "01JBX4ZQ0S6S3V5N9G2K7Y8W1A"


def test_the_partition_is_the_utc_day_of_the_timestamp():
    assert changed_day(v2()) == "2026-11-01"
    assert changed_day(v4()) == "2026-11-02"
    assert changed_day(v2(timestamp="2026-11-01T20:30:00-05:00")) == "2026-11-02"


@pytest.mark.parametrize(
    "body",
    [
        [v2()],
        {"hello": "world"},
        {k: v for k, v in v2().items() if k != "ulid"},
        v2(ulid=12345),
        v2(timestamp="yesterday"),
        {k: v for k, v in v4().items() if k != "reason"},
    ],
    ids=["a list", "not an event", "v2 without ulid", "ulid not a string", "bad timestamp", "v4 without reason"],
)
def test_anything_else_is_a_bad_event(body):
    with pytest.raises(BadEvent):
        parse(body)


@pytest.fixture
def receiver(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with TestClient(build_app(ledger, [SourceAuth("procore", KEY)], max_body_bytes=4096)) as client:
        yield client, ledger
    ledger.dispose()


def deliver(client, body, *, authorization: str | None = f"Bearer {KEY}", **params):
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    return client.post("/webhooks/procore", params=params, content=json.dumps(body), headers=headers)


def test_an_event_with_the_bearer_key_is_stored_once_whatever_the_duplicates(receiver):
    client, ledger = receiver
    assert deliver(client, v2()).json() == {"received": 1, "new": 1}
    assert deliver(client, v2()).json() == {"received": 1, "new": 0}, "Procore's duplicate delivery is kept once"
    assert deliver(client, v4(), authorization=f"bearer {KEY}").json()["new"] == 1
    rows = ledger.inbox_after("procore", 0)
    assert [row["dedup_key"] for row in rows] == ["01EDPD2J6SBY1163N77H95GW09", "01JBX4ZQ0S6S3V5N9G2K7Y8W1A"]
    assert rows[0]["payload"]["resource_name"] == "Requisitions"


@pytest.mark.parametrize(
    "authorization,params",
    [(None, {}), ("Bearer wrong", {}), (KEY, {}), (f"Basic {KEY}", {}), (None, {"code": KEY})],
    ids=["no header", "wrong key", "no scheme", "another scheme", "key in the URL is not Procore's way"],
)
def test_a_delivery_without_the_right_authorization_header_is_401_and_stores_nothing(receiver, authorization, params):
    client, ledger = receiver
    refused = deliver(client, v2(), authorization=authorization, **params)
    assert refused.status_code == 401 and KEY not in refused.text
    assert ledger.inbox_after("procore", 0) == []


def test_a_bad_event_with_the_right_key_is_422(receiver):
    client, ledger = receiver
    assert deliver(client, {"hello": "world"}).status_code == 422
    assert ledger.inbox_after("procore", 0) == []


def test_procore_is_enabled_by_its_key_and_the_sandbox_has_one(monkeypatch):
    monkeypatch.delenv("PROCORE_WEBHOOK_KEY", raising=False)
    assert "procore" in {auth.source for auth in configured_sources("sandbox")}
    assert "procore" not in {auth.source for auth in configured_sources("production")}
    monkeypatch.setenv("PROCORE_WEBHOOK_KEY", KEY)
    assert SourceAuth("procore", KEY) in configured_sources("production")
