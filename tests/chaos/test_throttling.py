"""429 with Retry-After, from the source while the run reads and from the target while it writes."""

import pytest

from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.chaos.conftest import assert_exactly_once, both_flows, sync, wire_faults_only

pytestmark = [pytest.mark.chaos, wire_faults_only]


@both_flows
def test_throttled_reads_and_writes_are_waited_out_and_every_record_arrives_once(env, flow):
    flow.prepare(env)
    source, target = env.sandbox[flow.source], env.sandbox[flow.target]
    source.faults.add(FaultPlan(status=429, count=2, retry_after=1, path_contains=flow.read_path))
    target.faults.add(FaultPlan(status=429, count=3, retry_after=1, method="POST", path_contains=flow.write_path))
    sync(env, flow)
    assert source.faults.injected == 2 and target.faults.injected == 3
    assert_exactly_once(env, flow)
