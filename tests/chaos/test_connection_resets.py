"""TCP resets (RST, no answer) on reads and writes: before the request reaches the emulator (nothing happened) and
after it processed it (the write happened); the connector sees the same broken connection either way."""

import pytest

from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.chaos.conftest import assert_exactly_once, both_flows, configured, sync_until_settled, wire_faults_only

pytestmark = [pytest.mark.chaos, wire_faults_only]


@both_flows
@pytest.mark.parametrize("reset", ["before_forward", "after_forward"])
def test_connections_reset_around_forwarding_end_with_every_record_once(env, flow, reset):
    flow.prepare(env)
    source, target = env.sandbox[flow.source], env.sandbox[flow.target]
    source.faults.add(FaultPlan(reset=reset, count=1, skip=1, path_contains=flow.read_path))
    target.faults.add(FaultPlan(reset=reset, count=2, method="POST", path_contains=flow.write_path))
    sync_until_settled(configured(env), flow)
    assert source.faults.injected == 1 and target.faults.injected == 2
    assert_exactly_once(env, flow)
