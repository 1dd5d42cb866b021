"""Sessions and tokens that expire mid-run: the clock jumps past their lifetime at an exact request, once while the
source is read and once while the target is written (the emulators share one clock, so both lapse each time)."""

import pytest

from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.chaos.conftest import assert_exactly_once, both_flows, configured, sync_until_settled, wire_faults_only

pytestmark = [pytest.mark.chaos, wire_faults_only]
# Past the longest lifetime in play (Salesforce's 2-hour session; EBS's is 30 minutes, Entra's tokens an hour), and
# twice that still within the sandbox's day.
PAST_EVERY_LIFETIME = 7300


@both_flows
def test_a_session_and_a_token_expiring_mid_run_are_renewed_and_every_record_arrives_once(env, flow):
    flow.prepare(env)
    source, target = env.sandbox[flow.source], env.sandbox[flow.target]
    source.faults.add(FaultPlan(advance_clock_seconds=PAST_EVERY_LIFETIME, skip=1, path_contains=flow.read_path))
    target.faults.add(
        FaultPlan(advance_clock_seconds=PAST_EVERY_LIFETIME, method="POST", path_contains=flow.write_path)
    )
    sync_until_settled(configured(env), flow)
    assert source.faults.injected == 1 and target.faults.injected == 1
    assert_exactly_once(env, flow)
