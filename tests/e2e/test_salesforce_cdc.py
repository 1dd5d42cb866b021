"""Salesforce Change Data Capture end to end: the Salesforce emulator publishes change events on its Pub/Sub API
(gRPC) as records change, the sensor reads them from its replay id and asks for runs of the days they were committed
on, the connector's own writes ask for nothing, and a cursor older than the 72-hour retention is made good by
polling the gap. The sandbox clock is real time here, so the reps' changes fall on today's partition."""

from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import pytest
from ml_connector_dagster.sensors.salesforce_cdc import Position

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.stack import build_sandbox
from tests.e2e.conftest import SMALL, settings_for

SENSOR, FORWARD, REVERSE = "salesforce_change_events", "dynamics_fo__salesforce", "salesforce__dynamics_fo"


@pytest.fixture
def live(tmp_path):
    with build_sandbox(clock=Clock(), size=SMALL) as sandbox:
        sandbox["salesforce"].update_settings({"pubsub_keepalive_seconds": 0.5})
        config = settings_for(tmp_path, SMALL)
        resources = sandbox_resources(config, sandbox.urls)
        defs = build_definitions(config, resources)
        (tmp_path / "dagster").mkdir()
        with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
            yield sandbox, defs, resources, instance
        resources["ledger"].ledger().dispose()


def evaluate(live, cursor: str | None):
    sandbox, defs, resources, instance = live
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=resources, cursor=cursor) as context:
        result = defs.resolve_sensor_def(SENSOR)(context)
        return (list(result) if isinstance(result, list) else []), context.cursor


def run(live, job: str, partition: str):
    sandbox, defs, resources, instance = live
    return defs.resolve_job_def(job).execute_in_process(partition_key=partition, instance=instance)


def assert_one_order_per_deal(live, sales: dict) -> None:
    sandbox, _, resources, _ = live
    waiting = {letter.source_key for letter in resources["ledger"].ledger().open_dead_letters()}
    wanted = [deal for deal in sales["won_deals"] + sales["activated_orders"] if deal not in waiting]
    orders = Counter(
        row["CustomersOrderReference"]
        for row in sandbox["dynamics_fo"].rows("SalesOrderHeadersV2")
        if row["CustomersOrderReference"][:3] in ("006", "801")
    )
    assert wanted and orders == Counter(wanted), "each won deal exactly one F&O order, nothing else"


def test_change_events_become_runs_of_their_day_and_our_own_writes_do_not(live):
    salesforce = live[0]["salesforce"]
    today = datetime.now(UTC).date().isoformat()
    run(live, FORWARD, "usmf")  # the connector's writes: events that must ask for nothing
    requests, cursor = evaluate(live, None)
    assert requests == [] and Position.parse(cursor).replay_id, "anchored on the retained events, none ours to run"

    sales = salesforce.simulate_sales(deals=3, orders=1, new_accounts=2)  # as reps in Lightning: events to run
    requests, after_sales = evaluate(live, cursor)
    assert [r.partition_key for r in requests] == [today]
    duplicate, _ = evaluate(live, cursor)  # the same events delivered again (a lost cursor update)
    assert [r.run_key for r in duplicate] == [r.run_key for r in requests], "the same run, not a second one"

    assert run(live, REVERSE, today).success
    assert run(live, REVERSE, today).success  # the duplicate's run, had Dagster not dropped it, and the daily poll
    assert_one_order_per_deal(live, sales)

    echo, _ = evaluate(live, after_sales)  # the write-backs of order numbers and customer keys are ours
    assert echo == []


def test_a_cursor_older_than_the_retention_is_made_good_by_polling_the_gap(live):
    salesforce = live[0]["salesforce"]
    today = datetime.now(UTC).date().isoformat()
    run(live, FORWARD, "usmf")
    _, cursor = evaluate(live, None)
    # The sensor is off for more than 72 hours: the reps' work is never read as events, and its events age out.
    sales = salesforce.simulate_sales(deals=2, orders=1, new_accounts=1)
    salesforce.clock.advance(73 * 3600)
    requests, after = evaluate(live, cursor)
    assert [r.partition_key for r in requests] == [today], "every day since the last good read: today"
    assert requests[0].run_key.startswith("salesforce_cdc_gap:")
    assert Position.parse(after).replay_id and not Position.parse(after).gap_from, "anchored again"
    salesforce.clock.advance(-73 * 3600)
    assert run(live, REVERSE, requests[0].partition_key).success
    assert_one_order_per_deal(live, sales)
