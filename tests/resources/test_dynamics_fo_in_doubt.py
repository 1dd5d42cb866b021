"""F&O writes whose outcome is ambiguous, against the emulator over HTTP: a `$batch` call F&O holds past the client's
timeout is neither looked up at once nor sent again; its records are in doubt until F&O can no longer be processing
it, and only then looked up; the calls of the same pass that answered keep their results; and a connection that
cannot be made is named as such, with its host, and leaves nothing in doubt."""

import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ml_connector_dagster.resources.dynamics_fo.client import Unreachable
from ml_connector_dagster.resources.dynamics_fo.targets import DynamicsFoWriter

from ml_connector_dagster.http import CallCounter, RetryPolicy, build_client
from ml_connector_dagster.ledger import Action, ErrorClass, Ledger
from ml_connector_dagster.loading import TargetRecord, load
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.resources.test_dynamics_fo_targets import order, orders_of

ORDERS = "SalesOrderHeadersV2"
TIMEOUT, HOLD = 1.0, 2.5  # F&O goes on with the call for 1.5 s after the client gave up on it


def deals(count: int) -> list[str]:
    return [f"006Sb{n:010d}AAA" for n in range(1, count + 1)]


def impatient(resource, **changes):
    """The resource with a client timeout shorter than the hold."""
    return resource.model_copy(update={"timeout_seconds": TIMEOUT, **changes})


def test_a_call_held_past_the_timeout_is_neither_looked_up_nor_sent_again_and_its_orders_land_once(fo):
    emulator, resource = fo
    emulator.faults.add(FaultPlan(path_contains="$batch", hold_seconds=HOLD))
    refs = deals(3)
    with impatient(resource).open() as client:
        before = datetime.now(UTC)
        results = client.upsert(ORDERS, [order(emulator, ref) for ref in refs])
        assert client.counter.calls == {"GET": 1, "POST": 1}, "no look-up after the timeout, nothing sent again"
    assert [r.error_class for r in results] == [ErrorClass.IN_DOUBT] * 3
    assert all(r.error_code == "ReadTimeout" and "no answer came back" in r.error_message for r in results)
    assert all("resolved after" in r.error_message for r in results)
    assert all(r.resolve_after >= before + timedelta(seconds=3600) for r in results), "the resource's default settle"
    assert not any(orders_of(emulator, ref) for ref in refs), "F&O is still processing the call"

    time.sleep(HOLD)
    assert all(len(orders_of(emulator, ref)) == 1 for ref in refs), "the write landed after the client gave up"


def test_the_calls_that_answered_keep_their_results_when_another_call_of_the_pass_goes_unanswered(fo):
    emulator, resource = fo
    emulator.faults.add(FaultPlan(path_contains="$batch", hold_seconds=HOLD, skip=1))
    refs = deals(45)  # three calls: 20, 20 and 5 change sets
    with impatient(resource).open() as client:
        results = client.upsert(ORDERS, [order(emulator, ref) for ref in refs])
        assert client.counter.calls == {"GET": 3, "POST": 3}, "one look-up per 20 deals, once; one call each"
    assert [(r.ok, r.created) for r in results[:20] + results[40:]] == [(True, True)] * 25
    assert all(r.target_id == f"usmf/{orders_of(emulator, r.source_key)[0]['SalesOrderNumber']}" for r in results[:20])
    assert [r.error_class for r in results[20:40]] == [ErrorClass.IN_DOUBT] * 20

    time.sleep(HOLD)
    assert all(len(orders_of(emulator, ref)) == 1 for ref in refs)


def test_a_record_in_doubt_is_sent_again_only_once_it_settled_and_then_finds_what_the_call_created(fo, tmp_path):
    emulator, resource = fo
    emulator.faults.add(FaultPlan(path_contains="$batch", hold_seconds=HOLD))
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    records = [order(emulator, ref) for ref in deals(2)]
    settle = HOLD - TIMEOUT + 0.5

    def run(batch, **options):
        with impatient(resource, in_doubt_settle_seconds=settle).open() as client:
            summary = load(
                batch, writer=client, ledger=ledger, pair="p", target_object=ORDERS, batch_size=200, **options
            )
            return summary, client.counter.total

    failed, _ = run(records)
    letters = ledger.open_dead_letters("p", ORDERS)
    assert failed.failed == 2 and {letter.error_class for letter in letters} == {ErrorClass.IN_DOUBT}
    for options in ({}, {"force": True}):  # a rerun, and a replay
        waiting, calls = run(records, **options)
        assert (waiting.skipped, calls) == (2, 0), "nothing sent while F&O may still be processing the call"

    time.sleep(max(0.0, (max(letter.resolve_after for letter in letters) - datetime.now(UTC)).total_seconds()))
    resolved, _ = run([])  # any later load of the object, whatever its partition
    assert resolved.updated == 2 and not ledger.open_dead_letters("p", ORDERS)
    synced = ledger.synced("p", ORDERS)
    for record in records:
        [created] = orders_of(emulator, record.source_key)
        assert synced[record.source_key].target_id == f"usmf/{created['SalesOrderNumber']}"
    assert [a["action"] for a in ledger.audit(source_key=records[0].source_key)] == [
        Action.FAILED,
        Action.SKIPPED,
        Action.SKIPPED,
        Action.UPDATED,
    ]
    ledger.dispose()


def test_fo_out_of_reach_is_named_with_its_host_and_leaves_nothing_in_doubt(fo, tmp_path):
    emulator, resource = fo
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    down = resource.model_copy(update={"environment_url": closed, "max_attempts": 1})
    with down.open() as client, pytest.raises(Unreachable) as unreachable:
        load([order(emulator, deals(1)[0])], writer=client, ledger=ledger, pair="p", target_object=ORDERS, batch_size=9)
    assert f"F&O at {closed} could not be reached" in str(unreachable.value)
    assert "$batch" not in str(unreachable.value), "the look-up failed; no $batch was sent"
    assert not ledger.open_dead_letters()
    ledger.dispose()


def test_a_call_that_cannot_be_sent_after_the_look_up_fails_for_now_naming_the_host_and_is_not_in_doubt():
    def fo(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"value": []})
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    counter = CallCounter()
    http = build_client(
        "https://contoso.operations.dynamics.com/data/",
        retry=RetryPolicy(max_attempts=1),
        counter=counter,
        transport=httpx.MockTransport(fo),
    )
    writer = DynamicsFoWriter(http, counter=counter, settle=timedelta(hours=1))
    header = {"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-001"}
    records = [
        TargetRecord(ref, {"header": {**header, "CustomersOrderReference": ref}, "lines": []}) for ref in deals(25)
    ]
    results = writer.upsert(ORDERS, records)
    assert writer.counter.calls == {"GET": 2, "POST": 1}, "the pass stops at the call that could not be sent"
    assert [r.error_class for r in results] == [ErrorClass.TRANSIENT] * 25
    host = "F&O at https://contoso.operations.dynamics.com could not be reached"
    assert all(host in r.error_message for r in results)
    assert all(r.resolve_after is None for r in results)
