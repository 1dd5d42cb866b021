"""5xx: a source that is briefly unavailable while the run reads, a gateway in front of the target that answers 502
and 504 while it writes (for F&O a call whose fate the connector cannot know)."""

import pytest

from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.chaos.conftest import assert_exactly_once, both_flows, configured, sync_until_settled, wire_faults_only

pytestmark = [pytest.mark.chaos, wire_faults_only]


@both_flows
@pytest.mark.slow
def test_server_errors_on_reads_and_writes_end_with_every_record_once(env, flow):
    flow.prepare(env)
    source, target = env.sandbox[flow.source], env.sandbox[flow.target]
    source.faults.add(FaultPlan(status=503, count=2, path_contains=flow.read_path))
    source.faults.add(FaultPlan(status=502, count=1, skip=1, path_contains=flow.read_path))
    target.faults.add(FaultPlan(status=502, count=1, method="POST", path_contains=flow.write_path))
    target.faults.add(FaultPlan(status=504, count=1, skip=1, method="POST", path_contains=flow.write_path))
    sync_until_settled(configured(env), flow)
    assert source.faults.injected == 3 and target.faults.injected == 2
    assert_exactly_once(env, flow)
