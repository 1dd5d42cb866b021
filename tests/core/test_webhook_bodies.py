"""What the receiver answers, for every source it serves, a body that is not an event it can keep: a 4xx that names
the problem and stores nothing, on SQLite and on PostgreSQL alike, so a sender never retries a permanently bad event.
Nesting too deep for a parser is 400, as are the constants NaN and Infinity (RFC 8259 has none); a media type other
than exactly `application/json` is 415; a value outside the vendor's documented types, or one the ledger cannot
hold, is 422. 503 is kept for a store that cannot be reached, whose sender's retry can succeed."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.webhooks import PARSERS, SourceAuth, build_app
from tests.core.test_procore_events import v2, v4
from tests.relay import relay

KEY = "key-of-every-source-in-these-tests"
INT64_MAX = 2**63 - 1


def business_event(**fields) -> dict:
    return {
        "BusinessEventId": "CustomerChangedBusinessEvent",
        "BusinessEventLegalEntity": "usmf",
        "ContextRecordSubject": "",
        "ControlNumber": 5637145001,
        "EventId": "9B1C3E6A-6D0F-4F4E-9E52-7B6C2A1D0F11",
        "EventTime": "/Date(1735725600000)/",
        "EventTimeIso8601": "2025-01-01T10:00:00.0000000Z",
        "InitiatingUserAADObjectId": "{6F1E2D3C-0000-4000-8000-000000000001}",
        "MajorVersion": 0,
        "MinorVersion": 0,
        "ParentContextRecordSubjects": [],
        "CustomerAccount": "US-001",
        **fields,
    }


def notification(**fields) -> dict:
    return {
        "server_time": 1765087200000,
        "query_params": {},
        "module": "Accounts",
        "resource_uri": "https://www.zohoapis.com/crm/v2/Accounts",
        "ids": ["5725767000003000064"],
        "affected_fields": [{"5725767000003000064": ["Phone"]}],
        "operation": "update",
        "channel_id": "1207000000000001",
        "token": KEY,
        **fields,
    }


def procore_v3(**fields) -> dict:
    return v2(**{"api_version": "v3.0", "related_resources": [{"id": 5, "name": "Purchase Order Contracts"}], **fields})


@dataclass(frozen=True)
class Sender:
    """One source's way of sending: its event, and where its key travels."""

    source: str
    event: Callable[..., dict]

    def send(self, client: TestClient, body: dict | str | bytes, content_type: str = "application/json"):
        params, headers = {}, {"content-type": content_type}
        if self.source == "dynamics_fo":
            params["code"] = KEY
        if self.source == "procore":
            headers["authorization"] = f"Bearer {KEY}"
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return client.post(f"/webhooks/{self.source}", params=params, content=data, headers=headers)


SENDERS = [
    Sender("dynamics_fo", business_event),
    Sender("zoho_crm", notification),
    Sender("procore", procore_v3),
    Sender("procore", v4),
]
SENDER_IDS = ["dynamics_fo", "zoho_crm", "procore v2/v3", "procore v4"]
by_source = pytest.mark.parametrize("sender", SENDERS, ids=SENDER_IDS)


def receiver(url: str):
    ledger = Ledger(url)
    app = build_app(ledger, [SourceAuth(source, KEY) for source in PARSERS])
    return ledger, TestClient(app)


@pytest.fixture
def on_sqlite(tmp_path):
    ledger, client = receiver(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with client:
        yield client, ledger
    ledger.dispose()


@pytest.fixture
def on_every_ledger(ledger_url):
    ledger, client = receiver(ledger_url)
    with client:
        yield client, ledger
    ledger.dispose()


def refused(answer, status: int, ledger: Ledger, source: str, *words: str) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert all(word.lower() in error.lower() for word in words), error
    assert KEY not in answer.text
    assert ledger.inbox_after(source, 0) == []


def test_every_source_the_receiver_serves_is_covered_here():
    assert {sender.source for sender in SENDERS} == set(PARSERS)


@by_source
def test_a_valid_event_of_every_source_is_stored_once_on_every_ledger(on_every_ledger, sender):
    client, ledger = on_every_ledger
    assert sender.send(client, sender.event()).json() == {"received": 1, "new": 1}
    assert sender.send(client, sender.event()).json() == {"received": 1, "new": 0}
    assert len(ledger.inbox_after(sender.source, 0)) == 1


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@by_source
@pytest.mark.parametrize(
    "body",
    [
        lambda event: "[" * 200_000,
        lambda event: json.dumps(event(Extra=None)).replace("null", "[" * 50_000 + "]" * 50_000),
        lambda event: json.dumps(event(Extra=nested(100))),
        lambda event: json.dumps(event(Extra={"a": nested(40)})),
        lambda event: '{"Extra": "' + "[" * 1000 + '", "x": ' + "[" * 100_000,
    ],
    ids=[
        "a 200 KB run of [",
        "nesting 50,000 deep inside a valid event",
        "nesting 100 deep inside a valid event",
        "nesting 41 deep in an object",
        "brackets in a string, then a run",
    ],
)
def test_nesting_too_deep_is_400_naming_the_nesting(on_sqlite, sender, body):
    client, ledger = on_sqlite
    refused(sender.send(client, body(sender.event)), 400, ledger, sender.source, "nest")


@by_source
def test_brackets_inside_strings_and_moderate_nesting_are_taken(on_sqlite, sender):
    client, ledger = on_sqlite
    event = sender.event(Note="[" * 5000 + '{"\\"[', Extra={"a": [[{"b": [1, {"c": []}]}]]})
    assert sender.send(client, event).json() == {"received": 1, "new": 1}
    assert ledger.inbox_after(sender.source, 0)[0]["payload"]["Note"].startswith("[[[")


@by_source
@pytest.mark.parametrize("constant", [float("nan"), float("inf"), float("-inf")], ids=["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("where", ["an extra field", "a nested value"])
def test_the_constants_nan_and_infinity_are_400_on_every_ledger(on_every_ledger, sender, constant, where):
    client, ledger = on_every_ledger
    event = sender.event(Extra=constant) if where == "an extra field" else sender.event(Extra={"a": [1, constant]})
    refused(sender.send(client, json.dumps(event)), 400, ledger, sender.source, "not JSON")


@by_source
@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" * 400 + ".0"])
def test_a_number_beyond_a_double_is_400_not_infinity(on_sqlite, sender, number):
    client, ledger = on_sqlite
    body = json.dumps(sender.event(Extra=0)).replace('"Extra": 0', f'"Extra": {number}')
    refused(sender.send(client, body), 400, ledger, sender.source, "number")


@by_source
@pytest.mark.parametrize(
    "content_type",
    ["application/jsonfoo", "application/json-patch+json", "text/json", "application/x-json", "text/plain", ""],
)
def test_a_media_type_other_than_application_json_is_415(on_sqlite, sender, content_type):
    client, ledger = on_sqlite
    refused(sender.send(client, sender.event(), content_type=content_type), 415, ledger, sender.source, "json")


@by_source
@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"]
)
def test_application_json_with_parameters_or_in_any_case_is_taken(on_sqlite, sender, content_type):
    client, _ = on_sqlite
    assert sender.send(client, sender.event(), content_type=content_type).status_code == 200


@by_source
def test_a_body_that_is_not_utf8_is_400(on_sqlite, sender):
    client, ledger = on_sqlite
    body = json.dumps(sender.event(Extra="é"), ensure_ascii=False).encode("latin-1")
    refused(sender.send(client, body), 400, ledger, sender.source, "UTF-8")


def case(sender: Sender, fields: dict) -> str:
    [(name, value)] = fields.items()
    return f"{SENDER_IDS[SENDERS.index(sender)]} {name}={str(value)[:20]!r}"


# A value outside each vendor's documented types (microsoft.md §3.9, crm_targets.md §2.7 and §3.10): 422, naming the
# field. A permanently bad event must not be answered 503, which would have its sender retry it for ever.
OUT_OF_TYPE = [
    (SENDERS[0], {"ControlNumber": INT64_MAX + 1}, "ControlNumber"),
    (SENDERS[0], {"ControlNumber": -(2**63) - 1}, "ControlNumber"),
    (SENDERS[0], {"ControlNumber": 5637145001.5}, "ControlNumber"),
    (SENDERS[0], {"ControlNumber": "5637145001"}, "ControlNumber"),
    (SENDERS[0], {"ControlNumber": True}, "ControlNumber"),
    (SENDERS[0], {"EventId": "9" * 5000}, "EventId"),
    (SENDERS[0], {"EventId": "{9B1C3E6A-6D0F-4F4E-9E52-7B6C2A1D0F11}"}, "EventId"),
    (SENDERS[0], {"EventId": None}, "EventId"),
    (SENDERS[0], {"BusinessEventLegalEntity": "u" * 5000}, "BusinessEventLegalEntity"),
    (SENDERS[0], {"BusinessEventId": ""}, "BusinessEventId"),
    (SENDERS[0], {"BusinessEventId": 7}, "BusinessEventId"),
    (SENDERS[0], {"EventTime": "2025-01-01T10:00:00Z"}, "EventTime"),
    (SENDERS[0], {"EventTimeIso8601": "2025-02-31T10:00:00Z"}, "EventTimeIso8601"),
    (SENDERS[0], {"InitiatingUserAADObjectId": "someone"}, "InitiatingUserAADObjectId"),
    (SENDERS[0], {"MajorVersion": "0"}, "MajorVersion"),
    (SENDERS[0], {"MinorVersion": 2**31}, "MinorVersion"),
    (SENDERS[1], {"server_time": INT64_MAX + 1}, "server_time"),
    (SENDERS[1], {"server_time": 10**17}, "server_time"),
    (SENDERS[1], {"server_time": -1}, "server_time"),
    (SENDERS[1], {"server_time": "1765087200000"}, "server_time"),
    (SENDERS[1], {"ids": []}, "ids"),
    (SENDERS[1], {"ids": ["5" * 5000]}, "ids"),
    (SENDERS[1], {"ids": ["not-an-id"]}, "ids"),
    (SENDERS[1], {"ids": [INT64_MAX + 1]}, "ids"),
    (SENDERS[1], {"channel_id": "9" * 5000}, "channel_id"),
    (SENDERS[1], {"channel_id": INT64_MAX + 1}, "channel_id"),
    (SENDERS[1], {"module": "A" * 5000}, "module"),
    (SENDERS[1], {"module": "Acc\u0000ounts"}, "module"),
    (SENDERS[1], {"operation": "upsert"}, "operation"),
    (SENDERS[1], {"query_params": "k=v"}, "query_params"),
    (SENDERS[2], {"ulid": "0" * 5000}, "ulid"),
    (SENDERS[2], {"ulid": "01EDPD2J6SBY1163N77H95GW0U"}, "ulid"),
    (SENDERS[2], {"ulid": "81EDPD2J6SBY1163N77H95GW09"}, "ulid"),
    (SENDERS[2], {"id": INT64_MAX + 1}, "id"),
    (SENDERS[2], {"resource_id": INT64_MAX + 1}, "resource_id"),
    (SENDERS[2], {"resource_id": "245510722"}, "resource_id"),
    (SENDERS[2], {"company_id": -(2**63) - 1}, "company_id"),
    (SENDERS[2], {"event_type": "explode"}, "event_type"),
    (SENDERS[2], {"timestamp": "2026-11-01"}, "timestamp"),
    (SENDERS[2], {"timestamp": "2026-02-31T00:00:00Z"}, "timestamp"),
    (SENDERS[2], {"timestamp": "9999-12-31T23:00:00-05:00"}, "timestamp"),
    (SENDERS[3], {"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp"),
    (SENDERS[2], {"metadata": {"source_user_id": "1"}}, "metadata"),
    (SENDERS[2], {"related_resources": [{"id": INT64_MAX + 1, "name": "x"}]}, "related_resources"),
    (SENDERS[3], {"id": "0" * 5000}, "id"),
    (SENDERS[3], {"resource_id": 9001}, "resource_id"),
    (SENDERS[3], {"resource_id": "9" * 5000}, "resource_id"),
    (SENDERS[3], {"company_id": "acme"}, "company_id"),
    (SENDERS[3], {"timestamp": 1762041600}, "timestamp"),
    (SENDERS[3], {"reason": ""}, "reason"),
]


@pytest.mark.parametrize(
    "sender,fields,field",
    OUT_OF_TYPE,
    ids=[case(sender, fields) for sender, fields, _ in OUT_OF_TYPE],
)
def test_a_value_outside_the_vendors_documented_types_is_422_naming_the_field(on_sqlite, sender, fields, field):
    client, ledger = on_sqlite
    refused(sender.send(client, sender.event(**fields)), 422, ledger, sender.source, field)


@pytest.mark.parametrize(
    "sender,fields",
    [
        (SENDERS[0], {"EventTimeIso8601": "2025-01-01T10:00:00Z" + "Q" * 50_000}),
        (SENDERS[1], {"channel_id": "Q" * 50_000}),
        (SENDERS[2], {"timestamp": "Q" * 50_000}),
        (SENDERS[3], {"resource_type": ["Q" * 50_000]}),
    ],
    ids=SENDER_IDS,
)
def test_a_refusal_names_the_field_and_never_sends_its_value_back(on_sqlite, sender, fields):
    client, ledger = on_sqlite
    answer = sender.send(client, sender.event(**fields))
    refused(answer, 422, ledger, sender.source, next(iter(fields)))
    assert "QQQQ" not in answer.json()["error"] and len(answer.text) < 1000


PERMANENTLY_BAD = [
    (SENDERS[0], {"EventId": "9" * 5000}),
    (SENDERS[0], {"ControlNumber": INT64_MAX + 1}),
    (SENDERS[1], {"ids": ["5" * 5000]}),
    (SENDERS[1], {"module": "A" * 5000}),
    (SENDERS[2], {"ulid": "0" * 5000}),
    (SENDERS[2], {"resource_id": INT64_MAX + 1}),
    (SENDERS[3], {"id": "0" * 5000}),
]


@pytest.mark.parametrize(
    "sender,fields", PERMANENTLY_BAD, ids=[case(sender, fields) for sender, fields in PERMANENTLY_BAD]
)
def test_a_permanently_bad_event_is_4xx_on_every_ledger_never_retry_later(on_every_ledger, sender, fields):
    client, ledger = on_every_ledger
    refused(sender.send(client, sender.event(**fields)), 422, ledger, sender.source, next(iter(fields)))


@by_source
@pytest.mark.parametrize("value", ["\ud800", "a\udfffb"], ids=["lone high surrogate", "lone low surrogate"])
def test_an_event_the_ledger_cannot_hold_as_utf8_json_is_422_on_every_ledger(on_every_ledger, sender, value):
    client, ledger = on_every_ledger
    refused(sender.send(client, sender.event(Note=value)), 422, ledger, sender.source, "ledger")


def test_every_source_is_answered_503_while_a_postgresql_ledger_is_out_of_reach(postgres_url):
    port = sa.make_url(postgres_url).port or 5432
    with relay(port) as through:
        ledger, client = receiver(postgres_url.replace(f":{port}/", f":{through.port}/"))
        with client:
            through.close()
            for sender in SENDERS:
                answer = sender.send(client, sender.event())
                assert answer.status_code == 503 and "retry later" in answer.json()["error"], answer.text
        ledger.dispose()
