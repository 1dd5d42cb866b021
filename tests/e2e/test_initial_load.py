"""The go-live initial load of each pair that has one, through its Dagster job, against the emulators over real
HTTP: masters no day reads (last changed before the start date), a load stopped half way (by an outage, by kill -9)
and run again, a rerun on a synced target that writes nothing."""

import json
import math
from collections import Counter
from dataclasses import replace

import dagster as dg
import pytest

from ml_connector_dagster import cli
from ml_connector_dagster.demo import verify
from ml_connector_dagster.heal import INITIAL_LOAD
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.mapping.sap_ecc_dynamics_sales import customer_key, vendor_key
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.e2e.conftest import EBS_JOB, FAST_RETRIES, SAP_JOB, SMALL, heal, sandbox_env
from tests.killed_run import kill_once_started

FO_JOB = "dynamics_fo__salesforce"
GO_LIVE = replace(SMALL, dormant_parties=40)
SAP_GO_LIVE = replace(SMALL, dormant_sap_vendors=12, dormant_sap_customers=18)
FO_GO_LIVE = replace(SMALL, fo_customers=90)
ACCOUNTS, CONTACTS = f"{EBS_JOB}__accounts", f"{EBS_JOB}__contacts"
VENDORS, CUSTOMERS = f"{SAP_JOB}__vendors", f"{SAP_JOB}__customers"
FO_ACCOUNTS, FO_PRODUCTS = f"{FO_JOB}__accounts", f"{FO_JOB}__products"
PAGE = 50
FO_PAGE = 20  # fewer customers than a page of 50 in each legal entity
# The killed run's lease lapses this soon after its last heartbeat, so the rerun does not wait the default minute.
SHORT_LEASE = {"lease_ttl_seconds": 3, "lease_heartbeat_seconds": 1}


@pytest.fixture
def go_live(tmp_path):
    with sandbox_env(tmp_path, GO_LIVE) as env:
        yield env


def initial_load(env, pair: str = EBS_JOB, *, page_size: int = PAGE, raise_on_error: bool = True):
    job = env.defs.resolve_job_def(job_name(pair))
    return job.execute_in_process(
        instance=env.instance, run_config=run_config(job, page_size=page_size), raise_on_error=raise_on_error
    )


def pages_loaded(env) -> int:
    checkpoint = env.ledger.checkpoint(EBS_JOB, "accounts")
    return checkpoint.pages if checkpoint else 0


def totals(result) -> dict[str, dict]:
    """Each step's counts, by step (`<pair>__<object>`)."""
    return {step: result.output_for_node(step) for step in result.job_def.graph.node_names()}


def agrees(env, pair: str = EBS_JOB) -> bool:
    for agreement in verify(env.config, env.resources, pairs=(pair,)):
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


def assert_a_rerun_writes_nothing(env, pair: str, target_rows) -> None:
    """Run again on the target it synced, the initial load reads everything and writes nothing: `target_rows()`, the
    target emulator's own rows, are as they were."""
    before = target_rows()
    again = totals(initial_load(env, pair))
    assert all(step["write_calls"] == step["created"] == step["updated"] == 0 for step in again.values()), again
    assert sum(step["unchanged"] for step in again.values()) > 0
    assert target_rows() == before


@pytest.mark.slow
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
    assert_a_rerun_writes_nothing(env, EBS_JOB, env.dataverse.stats)
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


def test_the_cli_initial_load_stopped_by_an_outage_says_run_it_again_and_then_goes_on_from_its_last_page(
    go_live, point_cli, capsys
):
    env = point_cli(go_live.with_resources(oracle_ebs={"max_attempts": 1}))
    command = ["initial-load", "--pair", EBS_JOB, "--page-size", str(PAGE)]
    env.ebs.faults.add(FaultPlan(status=503, count=1000, skip=3, path_contains="get_cust_accounts"))
    assert cli.main(command) == 1
    out, err = capsys.readouterr()
    stopped = json.loads(out)
    assert not stopped["success"] and stopped["objects"] == {ACCOUNTS: None, CONTACTS: None}
    assert f"run {stopped['run_id']}" in err and "run the same command again" in err

    env.ebs.faults.clear()
    assert cli.main(command) == 0
    out, err = capsys.readouterr()
    done = json.loads(out)
    assert f"{EBS_JOB} accounts: going on after page 3" in err and f"{EBS_JOB} accounts: page 4 loaded" in err
    assert done["objects"][ACCOUNTS]["resumed_after_pages"] == 3
    assert done["objects"][ACCOUNTS]["pages"] == party_pages(env) - 3
    assert_every_record_once(env)
    with dg.DagsterInstance.from_config(str(env.config.home)) as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name=job_name(EBS_JOB)))
        assert [run.run_id for run in runs] == [done["run_id"], stopped["run_id"]], "both in the UI's instance"

    writes = env.dataverse.stats()
    assert cli.main(["initial-load", "--pair", EBS_JOB, "--restart"]) == 0
    again = json.loads(capsys.readouterr().out)["objects"]
    assert again[ACCOUNTS]["resumed_after_pages"] == 0 and again[ACCOUNTS]["write_calls"] == 0
    assert env.dataverse.stats() == writes


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


def test_a_sap_initial_load_brings_the_vendors_and_customers_no_day_reads_and_a_rerun_writes_nothing(tmp_path):
    with sandbox_env(tmp_path, SAP_GO_LIVE) as env:
        first_day = env.size.start_date.strftime("%Y%m%d")
        dormant = {vendor_key(row["LIFNR"]) for row in env.sap.rows("LFA1") if row["ERDAT"] < first_day} | {
            customer_key(row["KUNNR"]) for row in env.sap.rows("KNA1") if row["ERDAT"] < first_day
        }
        assert len(dormant) == SAP_GO_LIVE.dormant_sap_vendors + SAP_GO_LIVE.dormant_sap_customers

        def accounts() -> Counter:
            return Counter(
                row["mlc_externalid"]
                for row in env.dataverse.rows("account")
                if row["mlc_externalid"].startswith("sap_ecc.")
            )

        env.run_all(SAP_JOB)
        assert accounts() and not dormant & set(accounts()), "no day reads them: neither created nor changed then"

        loaded = totals(initial_load(env, SAP_JOB))
        assert loaded[VENDORS]["read"] == len(env.sap.rows("LFA1"))
        assert loaded[CUSTOMERS]["read"] == len(env.sap.rows("KNA1"))
        assert loaded[VENDORS]["created"] + loaded[CUSTOMERS]["created"] == len(dormant), "the rest were synced"
        assert dormant <= set(accounts()) and max(accounts().values()) == 1
        assert agrees(env, SAP_JOB)
        assert_a_rerun_writes_nothing(env, SAP_JOB, env.dataverse.stats)


def test_an_fo_initial_load_brings_every_customer_and_product_of_every_legal_entity_once_and_a_rerun_writes_nothing(
    tmp_path,
):
    with sandbox_env(tmp_path, FO_GO_LIVE) as env:
        fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
        loaded = totals(initial_load(env, FO_JOB, page_size=FO_PAGE))
        customers, products = fo.rows("CustomersV3"), fo.rows("ReleasedProductsV2")
        assert loaded[FO_ACCOUNTS]["read"] == len(customers) and loaded[FO_PRODUCTS]["read"] == len(products)
        assert loaded[FO_ACCOUNTS]["pages"] > len(env.config.fo_legal_entities), "more than a page per entity"
        accounts = Counter(row["ERP_Account_Number__c"] for row in salesforce.rows("Account"))
        assert accounts and max(accounts.values()) == 1
        assert len(accounts) + len(env.ledger.dead_letter_keys(FO_JOB, "Account")) == len(customers)
        assert agrees(env, FO_JOB)

        def salesforce_rows() -> dict:
            return {sobject: salesforce.rows(sobject) for sobject in ("Account", "Product2")}

        assert_a_rerun_writes_nothing(env, FO_JOB, salesforce_rows)
        rows = salesforce_rows()
        for entity in env.config.fo_legal_entities:
            env.run(entity, job=FO_JOB)
        assert salesforce_rows() == rows, "the legal entities' partitions then find the same records unchanged"


def test_heal_of_a_target_that_lost_what_the_initial_load_wrote_sends_it_again_through_the_initial_load(go_live):
    env = go_live
    initial_load(env)
    env.dataverse.reset()  # a refreshed environment behind the same URL
    healed = heal(env, EBS_JOB)
    assert not healed.partitions, "no daily run wrote these records"
    assert list(healed.reruns) == [INITIAL_LOAD] and healed.reruns[INITIAL_LOAD].success
    assert agrees(env)
