"""Read timeouts while the server is still processing: a fault plan holds a request for longer than the client
waits, and the emulator processes it after the client gave up. A write held so is applied late, after the run has
moved on; a connector that looks it up at once finds nothing and would write it a second time."""

import time

import pytest

from ml_connector_dagster.mapping.salesforce_dynamics_fo import SALES_ORDERS
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.chaos.conftest import (
    SALESFORCE_TO_FO,
    assert_exactly_once,
    both_flows,
    configured,
    sync,
    sync_until_settled,
    wire_faults_only,
)

pytestmark = [pytest.mark.chaos, wire_faults_only]
TIMEOUT_SECONDS, HOLD_SECONDS = 1, 2.5  # the hold ends well before the settle time does (conftest.SETTLE_SECONDS)
LONG_HOLD_SECONDS = 15


@both_flows
def test_requests_held_past_the_clients_timeout_end_with_every_record_once(env, flow):
    flow.prepare(env)
    source, target = env.sandbox[flow.source], env.sandbox[flow.target]
    source.faults.add(FaultPlan(hold_seconds=HOLD_SECONDS, skip=1, path_contains=flow.read_path))
    target.faults.add(FaultPlan(hold_seconds=HOLD_SECONDS, count=2, method="POST", path_contains=flow.write_path))
    impatient = configured(
        env, **{flow.source: {"timeout_seconds": TIMEOUT_SECONDS}, flow.target: {"timeout_seconds": TIMEOUT_SECONDS}}
    )
    sync_until_settled(impatient, flow)
    time.sleep(HOLD_SECONDS)  # whatever is still held lands before the verdict
    assert source.faults.injected == 1 and target.faults.injected == 2
    assert_exactly_once(env, flow)


def test_a_second_run_while_f_and_o_still_processes_a_timed_out_batch_makes_no_second_order(env):
    flow = SALESFORCE_TO_FO
    flow.prepare(env)
    fo = env.sandbox["dynamics_fo"]
    # The customers' call goes through; F&O takes longer over the orders' call than the rest of the run and the
    # next run of the day take together.
    fo.faults.add(FaultPlan(hold_seconds=LONG_HOLD_SECONDS, skip=1, method="POST", path_contains="$batch"))
    # The settle time runs from the timeout: F&O has finished the held call before its records settle.
    impatient = configured(
        env, dynamics_fo={"timeout_seconds": TIMEOUT_SECONDS, "in_doubt_settle_seconds": LONG_HOLD_SECONDS}
    )
    sync(impatient, flow)
    sync(impatient, flow)  # the event's duplicate run
    made = [key for target_object, key in flow.keys(env) if target_object == SALES_ORDERS]
    assert not made, "the second run must come while F&O is still processing the orders' call"
    sync_until_settled(impatient, flow)
    assert fo.faults.injected == 1
    assert_exactly_once(env, flow)
