"""The go-live initial load of Oracle EBS → Dynamics 365 Sales through its Dagster job, against the emulators over
real HTTP: masters older than the start date, a load stopped half way and run again, a rerun on a synced target."""

import math
from collections import Counter
from dataclasses import replace

import pytest

from ml_connector_dagster.demo import verify
from ml_connector_dagster.heal import INITIAL_LOAD, heal_pair
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.e2e.conftest import EBS_JOB, SMALL, sandbox_env

GO_LIVE = replace(SMALL, dormant_parties=40)
ACCOUNTS, CONTACTS = f"{EBS_JOB}__accounts", f"{EBS_JOB}__contacts"
PAGE = 50


@pytest.fixture
def go_live(tmp_path):
    with sandbox_env(tmp_path, GO_LIVE) as env:
        yield env


def initial_load(env, *, raise_on_error: bool = True):
    job = env.defs.resolve_job_def(job_name(EBS_JOB))
    return job.execute_in_process(
        instance=env.instance, run_config=run_config(job, page_size=PAGE), raise_on_error=raise_on_error
    )


def totals(result) -> dict[str, dict]:
    return {step: result.output_for_node(step) for step in (ACCOUNTS, CONTACTS)}


def agrees(env) -> bool:
    for agreement in verify(env.config, env.resources, pairs=(EBS_JOB,)):
        assert agreement.agrees, agreement
    return True


def party_pages(env) -> int:
    parties = [row for row in env.ebs.rows("HZ_PARTIES") if row["PARTY_TYPE"] in ("ORGANIZATION", "PERSON")]
    return math.ceil(len(parties) / PAGE)


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
    written = {
        row["source_key"] for row in env.ledger.audit() if row["partition"] and row["action"] in ("created", "updated")
    }
    assert written == ending_suppliers(env), "the daily partitions only apply the end dates that fall in their days"


def ending_suppliers(env) -> set[str]:
    """The accounts of suppliers whose end date falls in a seeded day: the initial load states them as of the first
    day, and the run of the day the end date falls in retypes or deactivates them."""
    first, last = env.size.partition_keys()[0], env.size.partition_keys()[-1]
    ending = {
        f"oracle_ebs.party.{row['PARTY_ID']}"
        for row in env.ebs.rows("AP_SUPPLIERS")
        if row["END_DATE_ACTIVE"] and first < row["END_DATE_ACTIVE"][:10] <= last
    }
    assert ending, "the seed ends a supplier on a seeded day"
    return ending


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
    for table in ("account", "contact"):
        ids = Counter(row["mlc_externalid"] for row in env.dataverse.rows(table))
        assert ids and max(ids.values()) == 1, f"a {table} twice"
    assert agrees(env)


def test_heal_of_a_target_that_lost_what_the_initial_load_wrote_sends_it_again_through_the_initial_load(go_live):
    env = go_live
    initial_load(env)
    env.dataverse.reset()  # a refreshed environment behind the same URL
    healed = heal_pair(
        env.config,
        EBS_JOB,
        defs=env.defs,
        target=env.resources.__getitem__,
        instance=env.instance,
        by="alice",
        log=lambda message: None,
    )
    assert not healed.partitions, "no daily run wrote these records"
    assert list(healed.reruns) == [INITIAL_LOAD] and healed.reruns[INITIAL_LOAD].success
    assert agrees(env)
