"""The event path: the receiver authenticates, refuses bad bodies with a 4xx, stores each event once and only then
acknowledges; the inbox sensor turns stored events into runs of their partitions, whatever the order or the
duplicates, including events that arrived while no sensor ran. A slow or locked ledger holds only the delivery being
stored: /health and other deliveries are answered meanwhile, and one not stored by its deadline gets 503."""

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import dagster as dg
import httpx
import pytest
import uvicorn
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.sensors.inbox import inbox_sensor
from starlette.testclient import TestClient

from ml_connector_dagster.events.dynamics_fo import legal_entity
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.webhooks import SourceAuth, build_app

KEY = "webhook-key-for-tests"


def event(control: int, entity: str = "usmf", **extra) -> dict:
    return {
        "BusinessEventId": "SalesOrderConfirmedBusinessEvent",
        "BusinessEventLegalEntity": entity,
        "ControlNumber": control,
        "EventId": f"9B1C3E6A-6D0F-4F4E-9E52-{control:012d}",
        "EventTime": "/Date(1735725600000)/",
        "MajorVersion": 0,
        "MinorVersion": 0,
        **extra,
    }


@pytest.fixture
def receiver(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with TestClient(build_app(ledger, [SourceAuth("dynamics_fo", KEY)], max_body_bytes=4096)) as client:
        yield client, ledger
    ledger.dispose()


def post(client, body, *, key: str | None = KEY, content_type="application/json"):
    params = {"code": key} if key else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/webhooks/dynamics_fo", params=params, content=data, headers={"content-type": content_type})


def test_each_event_is_stored_once_whatever_the_duplicates(receiver):
    client, ledger = receiver
    assert post(client, event(5637145001)).json() == {"received": 1, "new": 1}
    assert post(client, event(5637145001)).json() == {"received": 1, "new": 0}, "a resend is acknowledged, not kept"
    assert post(client, event(5637144999)).status_code == 200, "an older event arriving late is kept"
    rows = ledger.inbox_after("dynamics_fo", 0)
    assert [row["payload"]["ControlNumber"] for row in rows] == [5637145001, 5637144999]


@pytest.mark.parametrize(
    "body,key,content_type,status",
    [
        (event(1), None, "application/json", 401),
        (event(1), "wrong", "application/json", 401),
        (event(1), KEY, "text/plain", 415),
        (b"{not json", KEY, "application/json", 400),
        ({"hello": "world"}, KEY, "application/json", 422),
        (event(1, ControlNumber="7"), KEY, "application/json", 422),
        (event(1, Padding="x" * 5000), KEY, "application/json", 413),
    ],
)
def test_bad_deliveries_get_a_4xx_and_store_nothing(receiver, body, key, content_type, status):
    client, ledger = receiver
    answer = post(client, body, key=key, content_type=content_type)
    assert answer.status_code == status and "error" in answer.json()
    assert KEY not in answer.text
    assert ledger.inbox_after("dynamics_fo", 0) == []


def test_unknown_source_is_404_and_a_key_in_a_header_works(receiver):
    client, _ = receiver
    assert (
        client.post("/webhooks/procore", content="{}", headers={"content-type": "application/json"}).status_code == 404
    )
    assert (
        client.post(
            "/webhooks/dynamics_fo",
            content=json.dumps(event(3)),
            headers={"content-type": "application/json", "x-mlc-key": KEY},
        ).status_code
        == 200
    )


def test_a_ledger_that_cannot_store_is_not_acknowledged(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger.engine.dispose()
    (tmp_path / "ledger.sqlite").unlink()
    (tmp_path / "ledger.sqlite").mkdir()  # the database file is gone and cannot be recreated
    with TestClient(build_app(ledger, [SourceAuth("dynamics_fo", KEY)])) as client:
        assert post(client, event(9)).status_code == 503


def test_the_sensor_turns_stored_events_into_runs_of_their_partitions(receiver, tmp_path):
    client, ledger = receiver
    entities = dg.StaticPartitionsDefinition(["usmf", "demf"])

    @dg.asset(partitions_def=entities)
    def customers() -> None:
        return None

    job = dg.define_asset_job("fo_job", selection=[customers])
    sensor = inbox_sensor(
        name="fo_events", source="dynamics_fo", job=job, partitions=entities, partition_of=legal_entity
    )
    resources = {"ledger": LedgerResource(url=ledger.url)}
    defs = dg.Definitions(assets=[customers], jobs=[job], sensors=[sensor], resources=resources)
    # events arrive while no sensor runs: out of order, duplicated, for two legal entities and one not synced
    for control, entity in ((12, "DEMF"), (10, "usmf"), (12, "DEMF"), (11, "usmf"), (13, "gbsi")):
        post(client, event(control, entity))
    sensor_def = defs.resolve_sensor_def("fo_events")

    def evaluate(instance, cursor=None):
        with dg.build_sensor_context(
            instance=instance, definitions=defs, resources=resources, cursor=cursor
        ) as context:
            return sensor_def(context), context.cursor

    with dg.instance_for_test() as instance:
        requests, cursor = evaluate(instance)
        assert sorted(r.partition_key for r in requests) == ["demf", "usmf"]
        assert len({r.run_key for r in requests}) == 2
        nothing_new, _ = evaluate(instance, cursor)
        assert isinstance(nothing_new, dg.SkipReason)
        post(client, event(14, "usmf"))
        [request], _ = evaluate(instance, cursor)
        assert request.partition_key == "usmf" and request.run_key not in {r.run_key for r in requests}


DEADLINE = 1.0  # the receiver's store deadline in these tests
PROMPT = 0.5  # what an answer that does not wait for the ledger takes at most, with room for a slow machine


@contextmanager
def serving(ledger: Ledger) -> Iterator[str]:
    """The receiver on a real server (one event loop, as in production), answering on loopback."""
    app = build_app(ledger, [SourceAuth("dynamics_fo", KEY)], store_deadline_seconds=DEADLINE)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def deliver(url: str, body: dict, *, timeout: float) -> httpx.Response:
    return httpx.post(f"{url}/webhooks/dynamics_fo", params={"code": KEY}, json=body, timeout=timeout)


class SlowLedger(Ledger):
    """Stores event 1 only once `go` is set, as a ledger on a struggling server would."""

    def __init__(self, url: str):
        super().__init__(url)
        self.storing, self.go = threading.Event(), threading.Event()

    def inbox_put(self, source: str, dedup_key: str, payload: dict) -> bool:
        if payload["ControlNumber"] == 1:
            self.storing.set()
            self.go.wait(timeout=10)
        return super().inbox_put(source, dedup_key, payload)


def test_health_and_other_deliveries_are_answered_while_a_delivery_waits_for_a_slow_ledger(tmp_path):
    ledger = SlowLedger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with serving(ledger) as url, ThreadPoolExecutor(1) as sender:
        slow = sender.submit(deliver, url, event(1), timeout=DEADLINE + 5)
        assert ledger.storing.wait(timeout=5)
        assert httpx.get(f"{url}/health", timeout=PROMPT).status_code == 200
        assert deliver(url, event(2), timeout=PROMPT).json() == {"received": 1, "new": 1}
        ledger.go.set()
        assert slow.result().json() == {"received": 1, "new": 1}, "stored within the deadline, so acknowledged"
    assert sorted(row["payload"]["ControlNumber"] for row in ledger.inbox_after("dynamics_fo", 0)) == [1, 2]
    ledger.dispose()


def test_a_delivery_a_locked_ledger_cannot_store_in_time_gets_503_and_its_resend_is_stored_once(tmp_path):
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(f"sqlite:///{path}")
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another writer holds the database (SQLite would make ours wait 30 s)
    with serving(ledger) as url:
        started = time.monotonic()
        refused = deliver(url, event(7), timeout=DEADLINE + PROMPT)
        assert refused.status_code == 503 and "retry later" in refused.json()["error"]
        assert time.monotonic() - started < DEADLINE + PROMPT
        assert httpx.get(f"{url}/health", timeout=PROMPT).status_code == 200
        lock.execute("ROLLBACK")
        assert deliver(url, event(7), timeout=DEADLINE + PROMPT).status_code == 200
    assert [row["payload"]["ControlNumber"] for row in ledger.inbox_after("dynamics_fo", 0)] == [7]
    lock.close()
    ledger.dispose()


ZOHO_TOKEN = "zoho-channel-token-for-tests"


def notification(server_time: int = 1765087200000, ids=("5725767000003000064",), **extra) -> dict:
    return {
        "server_time": server_time,
        "query_params": {},
        "module": "Accounts",
        "resource_uri": "https://www.zohoapis.com/crm/v2/Accounts",
        "ids": list(ids),
        "operation": "update",
        "channel_id": "1207000000000001",
        "token": ZOHO_TOKEN,
        **extra,
    }


@pytest.fixture
def zoho_receiver(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    app = build_app(ledger, [SourceAuth("zoho_crm", ZOHO_TOKEN)], max_body_bytes=4096)
    with TestClient(app) as client:
        yield client, ledger
    ledger.dispose()


def notify(client, body, **params):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post("/webhooks/zoho_crm", params=params, content=data, headers={"content-type": "application/json"})


def test_a_zoho_notification_with_its_channel_token_is_stored_once_without_the_token(zoho_receiver):
    client, ledger = zoho_receiver
    assert notify(client, notification()).json() == {"received": 1, "new": 1}
    assert notify(client, notification()).json() == {"received": 1, "new": 0}, "a duplicated delivery is kept once"
    assert notify(client, notification(ids=["5725767000003000065"])).json()["new"] == 1
    rows = ledger.inbox_after("zoho_crm", 0)
    assert len(rows) == 2 and all("token" not in row["payload"] for row in rows)
    assert rows[0]["payload"]["ids"] == ["5725767000003000064"]


@pytest.mark.parametrize(
    "body,params,status",
    [
        (notification(token="wrong"), {}, 401),
        ({k: v for k, v in notification().items() if k != "token"}, {"code": ZOHO_TOKEN}, 401),
        (b"[not json", {}, 400),
        ({**notification(), "ids": "5725767000003000064"}, {}, 422),
        ({"token": ZOHO_TOKEN, "module": "Accounts"}, {}, 422),
        (notification(affected_fields=["x" * 5000]), {}, 413),
    ],
    ids=[
        "wrong token",
        "key in the URL is not Zoho's way",
        "not json",
        "ids not a list",
        "not a notification",
        "too large",
    ],
)
def test_a_bad_zoho_delivery_gets_a_4xx_and_stores_nothing(zoho_receiver, body, params, status):
    client, ledger = zoho_receiver
    refused = notify(client, body, **params)
    assert refused.status_code == status and ZOHO_TOKEN not in refused.text
    assert ledger.inbox_after("zoho_crm", 0) == []
