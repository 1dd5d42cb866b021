"""Runs at once: two runs of one partition (an event's run and the day's schedule, or two deployments on one
ledger), and the runs of two days whose windows overlap (a record stamped just before midnight is in both). Each
run has its own resources (sessions, ledger connections), as separate run processes do; the target is made slow so
that their loads overlap."""

from datetime import datetime

import pytest

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.mapping.common import external_id
from tests.chaos.conftest import (
    DAY,
    EBS_TO_SALES,
    NOW,
    SALESFORCE_TO_FO,
    assert_exactly_once,
    at_once,
    both_flows,
    configured,
)

pytestmark = pytest.mark.chaos
SLOW_TARGET_MS = 40
# Within the overlap (15 minutes) of the next day's (DAY's) window: read by the runs of both days.
BEFORE_MIDNIGHT = datetime(2026, 10, 1, 23, 50, tzinfo=NOW.tzinfo)


def test_the_first_runs_of_two_deployments_on_a_new_ledger_both_succeed_and_write_each_record_once(env):
    flow = EBS_TO_SALES
    env.sandbox[flow.target].faults.latency_ms = SLOW_TARGET_MS
    runs = at_once(flow.job, *((configured(env), partition) for partition in flow.partitions))
    assert all(run.result.success for run in runs)
    assert_exactly_once(env, flow)


@both_flows
def test_two_runs_of_one_partition_at_once_write_each_record_once(env, flow):
    flow.prepare(env)
    ledger_in_use(env)
    env.sandbox[flow.target].faults.latency_ms = SLOW_TARGET_MS
    # Small batches keep the first run's load going while the second arrives at it.
    first, second = (configured(env, **{flow.target: {"batch_size": 10}}) for _ in range(2))
    for partition in flow.partitions:
        runs = at_once(flow.job, (first, partition), (second, partition))
        assert all(run.result.success for run in runs)
        assert any(run.waited for run in runs), "the runs must overlap at the load for the lease to be what is tested"
    assert_exactly_once(env, flow)


def test_records_stamped_in_the_overlap_of_two_days_run_at_once_reach_dataverse_once(env):
    flow = EBS_TO_SALES
    env.ebs.clock.freeze(BEFORE_MIDNIGHT)
    renamed = {}
    for n, row in enumerate(env.ebs.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION")[:8]):
        env.ebs.update_row("HZ_PARTIES", str(row["PARTY_ID"]), {"PARTY_NAME": f"Late Commit {n} Ltd"})
        renamed[external_id("oracle_ebs", "party", row["PARTY_ID"])] = f"Late Commit {n} Ltd"
    env.ebs.clock.freeze(NOW)
    ledger_in_use(env)
    assert_two_days_at_once(env, flow)
    accounts = {row["mlc_externalid"]: row["name"] for row in env.dataverse.rows("account")}
    synced = {key: accounts[key] for key in renamed if key in accounts}
    assert synced and all(renamed[key] == name for key, name in synced.items())


def test_deals_stamped_in_the_overlap_of_two_days_run_at_once_make_one_order_each(env):
    flow = SALESFORCE_TO_FO
    env.sandbox["salesforce"].clock.freeze(BEFORE_MIDNIGHT)
    flow.prepare(env)
    env.sandbox["salesforce"].clock.freeze(NOW)
    assert_two_days_at_once(env, flow)


def ledger_in_use(env) -> None:
    """The ledger as a deployment's earlier runs leave it, its tables made (a new ledger is the first test's case)."""
    Ledger(env.config.ledger_url).dispose()


def assert_two_days_at_once(env, flow) -> None:
    env.sandbox[flow.target].faults.latency_ms = SLOW_TARGET_MS
    first, second = configured(env), configured(env)
    runs = at_once(flow.job, (first, BEFORE_MIDNIGHT.date().isoformat()), (second, DAY))
    assert all(run.result.success for run in runs)
    assert_exactly_once(env, flow)
