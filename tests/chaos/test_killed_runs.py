"""kill -9 of the run process mid-load, then a rerun: the run is a process of its own (tests/killed_run.py)
against this test's sandbox and ledger, made slow (latency, small batches) so that the kill lands while it writes.
It leaves what SIGKILL leaves: requests the target may still process, ledger rows never written, a lease never
released (short here, so the rerun does not wait the default minute for it to lapse)."""

import pytest

from tests.chaos.conftest import (
    EBS_TO_SALES,
    SALESFORCE_TO_FO,
    assert_exactly_once,
    configured,
    kill_mid_load,
    sync_until_settled,
    with_ledger,
)

pytestmark = pytest.mark.chaos
SHORT_LEASE = {"lease_ttl_seconds": 3, "lease_heartbeat_seconds": 1}
SLOW_TARGET_MS = 150


def test_an_ebs_run_killed_mid_load_reruns_to_every_account_and_contact_once(env):
    flow = EBS_TO_SALES
    env.dataverse.faults.latency_ms = SLOW_TARGET_MS
    kill_mid_load(
        env,
        flow,
        flow.partitions[0],
        started=lambda: env.dataverse.count("account") > 0,
        dynamics_sales={"batch_size": 5},
        ledger=SHORT_LEASE,
    )
    env.dataverse.faults.latency_ms = 0
    sync_until_settled(with_ledger(configured(env), **SHORT_LEASE), flow)
    assert_exactly_once(env, flow)


def test_a_salesforce_run_killed_mid_load_reruns_to_one_order_per_deal(env):
    flow = SALESFORCE_TO_FO
    flow.prepare(env)
    fo = env.sandbox["dynamics_fo"]
    fo.faults.latency_ms = SLOW_TARGET_MS
    kill_mid_load(
        env,
        flow,
        flow.partitions[0],
        started=lambda: bool(flow.keys(env)),
        dynamics_fo={"batch_size": 1},
        ledger=SHORT_LEASE,
    )
    fo.faults.latency_ms = 0
    sync_until_settled(with_ledger(configured(env), **SHORT_LEASE), flow)
    assert_exactly_once(env, flow)
