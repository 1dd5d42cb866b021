"""Answers lost after the write: the target applied the request, then the connection dropped before the answer
arrived, so the connector cannot tell a write that happened from one that did not."""

import pytest

from ml_connector_dagster.sandbox.faults import DROP, FaultPlan
from tests.chaos.conftest import assert_exactly_once, both_flows, configured, sync_until_settled

pytestmark = pytest.mark.chaos


@both_flows
def test_writes_whose_answers_are_lost_are_neither_repeated_nor_lost(env, flow):
    flow.prepare(env)
    target = env.sandbox[flow.target]
    target.faults.add(
        FaultPlan(status=DROP, drop_after_processing=True, count=2, method="POST", path_contains=flow.write_path)
    )
    sync_until_settled(configured(env), flow)
    assert target.faults.injected == 2
    assert_exactly_once(env, flow)
