"""The go-live initial load of Oracle EBS → Dynamics 365 Sales through its Dagster job, against the emulators over
real HTTP: masters older than the start date, a load stopped half way (by an outage, by kill -9) and run again, a
rerun on a synced target."""

import math
from collections import Counter
from dataclasses import replace

import pytest

from ml_connector_dagster.demo import verify
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.e2e.conftest import EBS_JOB, FAST_RETRIES, SMALL, sandbox_env
from tests.killed_run import kill_once_started

GO_LIVE = replace(SMALL, dormant_parties=40)
ACCOUNTS, CONTACTS = f"{EBS_JOB}__accounts", f"{EBS_JOB}__contacts"
PAGE = 50
# The killed run's lease lapses this soon after its last heartbeat, so the rerun does not wait the default minute.
SHORT_LEASE = {"lease_ttl_seconds": 3, "lease_heartbeat_seconds": 1}


@pytest.fixture
def go_live(tmp_path):
    with sandbox_env(tmp_path, GO_LIVE) as env:
        yield env


def initial_load(env, *, raise_on_error: bool = True):
    job = env.defs.resolve_job_def(job_name(EBS_JOB))
    return job.execute_in_process(
        instance=env.instance, run_config=run_config(job, page_size=PAGE), raise_on_error=raise_on_error
    )


def pages_loaded(env) -> int:
    checkpoint = env.ledger.checkpoint(EBS_JOB, "accounts")
    return checkpoint.pages if checkpoint else 0


def totals(result) -> dict[str, dict]:
    return {step: result.output_for_node(step) for step in (ACCOUNTS, CONTACTS)}


def agrees(env) -> bool:
    for agreement in verify(env.config, env.resources, pairs=(EBS_JOB,)):
        assert agreement.agrees, agreement
    return True


def party_pages(env) -> int:
    parties = [row for row in env.ebs.rows("HZ_PARTIES") if row["PARTY_TYPE"] in ("ORGANIZATION", "PERSON")]
    return math.ceil(len(parties) / PAGE)


def assert_every_record_once(env) -> None:
    """Counted in the emulator's own tables, not through the connector; then field by field against the source."""
    for table in ("account", "contact"):
        ids = Counter(row["mlc_externalid"] for row in env.dataverse.rows(table))
        assert ids and max(ids.values()) == 1, f"a {table} twice"
    assert agrees(env)


def test_an_initial_load_brings_every_master_whatever_its_change_stamp_and_a_rerun_writes_nothing(go_live):
    env = go_live
    first_day = env.size.start_date.isoformat()
    dormant = [
        row["PARTY_ID"]
        for row in env.ebs.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION")
        if row["LAST_UPDATE_DATE"] < first_day
    ]
    assert len(dormant) == GO_LIVE.dormant_parties
    loaded = totals(initial_load(env))
    assert loaded[ACCOUNTS]["pages"] == party_pages(env) and loaded[ACCOUNTS]["created"] > 0
    assert loaded[CONTACTS]["created"] > 0
    assert agrees(env)
    in_target = {row["mlc_externalid"] for row in env.dataverse.rows("account")}
    assert {f"oracle_ebs.party.{party_id}" for party_id in dormant} & in_target, "no day's window reads these"

    writes = env.dataverse.stats()
    again = totals(initial_load(env))
    assert again[ACCOUNTS]["write_calls"] == again[CONTACTS]["write_calls"] == 0
    assert again[ACCOUNTS]["created"] == again[ACCOUNTS]["updated"] == 0 and again[ACCOUNTS]["unchanged"] > 0
    assert env.dataverse.stats() == writes
    env.run_all()
    assert env.dataverse.stats() == writes, "the daily partitions then find the same records unchanged"


def test_an_initial_load_stopped_half_way_goes_on_after_its_last_page_and_ends_with_every_record_once(go_live):
    env = go_live
    # the fourth page's customer accounts cannot be read: the run fails after three complete pages
    env.ebs.faults.add(FaultPlan(status=503, count=1000, skip=3, path_contains="get_cust_accounts"))
    failed = initial_load(env.with_resources(oracle_ebs={"max_attempts": 1}), raise_on_error=False)
    assert not failed.success
    checkpoint = env.ledger.checkpoint(EBS_JOB, "accounts")
    assert checkpoint.pages == 3 and checkpoint.finished_at is None
    assert env.ledger.checkpoint(EBS_JOB, "contacts") is None, "contacts wait for every account"

    env.ebs.faults.clear()
    resumed = totals(initial_load(env))
    assert resumed[ACCOUNTS]["resumed_after_pages"] == 3
    assert resumed[ACCOUNTS]["pages"] == party_pages(env) - 3, "the three loaded pages are not read again"
    assert_every_record_once(env)


def test_an_initial_load_killed_after_some_pages_goes_on_after_its_checkpoint_and_ends_with_every_record_once(go_live):
    env = go_live
    # Slow writes in small batches: the kill lands while a page a few pages in is being written, under the lease.
    env.dataverse.faults.latency_ms = 100
    job = env.defs.resolve_job_def(job_name(EBS_JOB))
    kill_once_started(
        env,
        job.name,
        lambda: pages_loaded(env) >= 3 and env.ledger.lease_holder(EBS_JOB, "account") is not None,
        run_config=run_config(job, page_size=PAGE),
        resources={"oracle_ebs": FAST_RETRIES, "dynamics_sales": {**FAST_RETRIES, "batch_size": 5}},
        ledger=SHORT_LEASE,
    )
    env.dataverse.faults.latency_ms = 0
    killed = env.ledger.checkpoint(EBS_JOB, "accounts")
    assert killed.finished_at is None and 3 <= killed.pages < party_pages(env)
    assert env.ledger.lease_holder(EBS_JOB, "account") is not None, "SIGKILL leaves its lease for the rerun to wait out"

    resumed = totals(initial_load(env))
    assert resumed[ACCOUNTS]["resumed_after_pages"] == killed.pages
    assert resumed[ACCOUNTS]["pages"] == party_pages(env) - killed.pages, "not from the first page"
    assert resumed[CONTACTS]["resumed_after_pages"] == 0
    assert_every_record_once(env)
