"""Replay through the real per-target jobs against the emulators over HTTP: a Salesforce account F&O refused lands
with its waiting order once F&O is fixed; Dataverse and Salesforce dead letters go back through their own jobs; a
dead letter corrected from the CLI is sent as edited, and the audit log shows who changed what."""

from dataclasses import replace

import dagster as dg
import pytest
import yaml
from dagster._core.snap.snap_to_yaml import default_values_yaml_from_type_snap

from ml_connector_dagster import cli
from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.ledger import Action, ErrorClass
from ml_connector_dagster.mapping.salesforce_dynamics_fo import (
    CUSTOMERS,
    DEFAULT_RULES_FILE,
    PAIR,
    SALES_ORDERS,
    customer_account,
    load_pair_rules,
)
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.settings import settings
from tests.e2e.conftest import EBS_JOB, NOW
from tests.e2e.test_oracle_ebs_to_dynamics_sales import some_account_party_id

FORWARD = "dynamics_fo__salesforce"
DAY = NOW.date().isoformat()  # the sandbox clock's day: when the reps' changes and the EBS edits are stamped
WON = ("won_deals", "activated_orders")
BLOCKED = {
    "table": "account",
    "column": "name",
    "pattern": "^BLOCKED",
    "message": "Accounts named BLOCKED need credit approval",
}


def run(env, job: str, partition: str | None = None, **config):
    run_config = {"ops": {f"{job}_dead_letters": {"config": config}}} if config else None
    return env.defs.resolve_job_def(job).execute_in_process(
        partition_key=partition, instance=env.instance, run_config=run_config
    )


def replayed(env, target: str, **config) -> dict:
    result = run(env, f"replay_{target}", **config)
    assert result.success
    return result.output_for_node(f"replay_{target}_dead_letters")


def sales_day(env):
    """F&O's customers and products in Salesforce, then a day of the sandbox's sales team."""
    for entity in ("usmf", "demf"):
        run(env, FORWARD, entity)
    return env.sandbox["salesforce"].simulate_sales(deals=8, orders=3, new_accounts=4)


def orders_for(fo, deal_id: str) -> list[dict]:
    return [row for row in fo.rows("SalesOrderHeadersV2") if row["CustomersOrderReference"] == deal_id]


@pytest.mark.slow
def test_an_account_f_and_o_refused_lands_with_its_waiting_order_once_its_customer_group_exists_and_replay_runs(
    env, tmp_path
):
    # The rules give new customers a group the legal entities do not have: F&O refuses them, their deals wait.
    mapping = tmp_path / "mapping"
    mapping.mkdir()
    (mapping / f"{PAIR}.yaml").write_text(
        DEFAULT_RULES_FILE.read_text().replace('customer_group: "30"', 'customer_group: "50"')
    )
    config = env.config.model_copy(update={"mapping_dir": mapping})
    env = replace(env, config=config, defs=build_definitions(config, env.resources))
    fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
    sales = sales_day(env)
    run(env, PAIR, DAY)

    refused = {
        letter.source_key: letter
        for letter in env.ledger.open_dead_letters(PAIR, CUSTOMERS, "validation")
        if letter.record_payload is not None
    }
    assert refused and all("Customer group" in letter.error_message for letter in refused.values())
    deals = {
        deal["Id"]: deal["AccountId"]
        for sobject in ("Opportunity", "Order")
        for deal in salesforce.rows(sobject)
        if deal["Id"] in sales["won_deals"] + sales["activated_orders"] and deal["AccountId"] in refused
    }
    waiting = {letter.source_key: letter for letter in env.ledger.open_dead_letters(PAIR, SALES_ORDERS, "dependency")}
    assert deals and set(deals) <= set(waiting), "the deals of refused accounts wait for their customers"

    for day in (DAY, "2026-10-02"):
        run(env, PAIR, day)
    still = {letter.id for letter in env.ledger.open_dead_letters(PAIR)}
    assert {letter.id for letter in (*refused.values(), *waiting.values())} <= still, "reruns leave them as they were"
    assert not any(orders_for(fo, deal) for deal in deals)

    with env.resources["dynamics_fo"].open() as client:
        for entity in ("usmf", "demf"):
            client.create(
                "CustomerGroups",
                {"dataAreaId": entity, "CustomerGroupId": "50", "Description": "Customers won in Salesforce"},
            )
    totals = replayed(env, "dynamics_fo")
    assert totals["created"] == len(refused) + len(waiting) and totals["failed"] == 0
    assert totals["without_payload"] >= 1, "the French account and its deal wait for the rules, not for replay"
    run(env, PAIR, DAY)  # the next run of the day writes the keys and numbers back

    rules = load_pair_rules(mapping / f"{PAIR}.yaml")
    for account_id in refused:
        [customer] = fo.rows("CustomersV3", CustomerAccount=customer_account(account_id, rules))
        assert customer["CustomerGroupId"] == "50"
        [account] = salesforce.rows("Account", Id=account_id)
        assert account["ERP_Account_Number__c"] == f"{customer['dataAreaId']}/{customer['CustomerAccount']}"
    for deal_id, account_id in deals.items():
        [order] = orders_for(fo, deal_id)
        assert order["OrderingCustomerAccountNumber"] == customer_account(account_id, rules)
        [deal] = salesforce.rows("Opportunity" if deal_id.startswith("006") else "Order", Id=deal_id)
        assert deal["ERP_Sales_Order_Number__c"] == f"{order['dataAreaId']}/{order['SalesOrderNumber']}"
    for letter in (*refused.values(), *waiting.values()):
        assert env.ledger.dead_letter(letter.id).resolved_at is not None, "resolved, not deleted"


def refused_by_a_dataverse_plug_in(env):
    """The dead letter of an EBS account whose new name a Dataverse validation plug-in refuses (the plug-in stays)."""
    env.run(DAY, job=EBS_JOB)
    party = some_account_party_id(env)
    env.ebs.update_row("HZ_PARTIES", party, {"PARTY_NAME": "BLOCKED Trading Co"})
    env.dataverse.update_settings({"reject_rules": [BLOCKED]})
    env.run(DAY, job=EBS_JOB)
    [letter] = [
        letter
        for letter in env.ledger.open_dead_letters(EBS_JOB, "account")
        if letter.source_key == f"oracle_ebs.party.{party}"
    ]
    return letter


def test_each_target_replay_job_resends_its_own_dead_letters_dataverse_and_salesforce_alike(env):
    dataverse = refused_by_a_dataverse_plug_in(env)
    # Salesforce: the write-backs of the reverse flow find their records locked.
    salesforce = env.sandbox["salesforce"]
    sales_day(env)
    salesforce.update_settings({"lock_row_fraction": 1})
    run(env, PAIR, DAY)
    locked = env.ledger.open_dead_letters(PAIR, "Account", ErrorClass.TRANSIENT)
    assert locked and "unable to obtain exclusive access" in locked[0].error_message
    env.dataverse.update_settings({"reject_rules": []})
    salesforce.update_settings({"lock_row_fraction": 0})

    totals = replayed(env, "salesforce")
    assert totals["updated"] >= len(locked) and totals["failed"] == 0 and totals["write_calls"] >= 1
    for letter in locked:
        [account] = salesforce.rows("Account", Id=letter.source_key)
        assert account["ERP_Account_Number__c"] == letter.record_payload["ERP_Account_Number__c"]
    assert env.ledger.dead_letter(dataverse.id).resolved_at is None, "another target's letter waits for its own job"

    assert replayed(env, "dynamics_sales", dead_letter_ids=[dataverse.id])["updated"] == 1
    [row] = env.dataverse.rows("account", mlc_externalid=dataverse.source_key)
    assert row["name"] == "BLOCKED Trading Co"
    assert env.ledger.open_dead_letters(PAIR, "Account") == []


def launchpad_run_config(job: dg.JobDefinition) -> dict:
    """The run config the Dagster UI's launchpad fills in for the job (GraphQL's rootDefaultYaml)."""
    snapshot = job.get_job_snapshot()
    schema = snapshot.config_schema_snapshot
    root = schema.get_config_snap(snapshot.mode_def_snaps[0].root_config_key)
    return yaml.safe_load(default_values_yaml_from_type_snap(schema, root))


def test_the_replay_job_launched_with_what_its_launchpad_fills_in_sends_the_dead_letter_and_shows_no_secret(env):
    letter = refused_by_a_dataverse_plug_in(env)
    env.dataverse.update_settings({"reject_rules": []})

    job = env.defs.resolve_job_def("replay_dynamics_sales")
    run_config = launchpad_run_config(job)
    filled = run_config["resources"]["dynamics_sales"]["config"]
    assert filled["client_secret"] == {"env": "ML_CONNECTOR_SECRET_DYNAMICS_SALES_CLIENT_SECRET"}
    assert SANDBOX.client_secret not in repr(run_config)
    result = job.execute_in_process(instance=env.instance, run_config=run_config)
    assert result.success and result.output_for_node("replay_dynamics_sales_dead_letters")["updated"] == 1
    assert env.ledger.dead_letter(letter.id).resolved_at is not None


@pytest.fixture
def cli_env(env, monkeypatch):
    """The CLI pointed at the test's ledger."""
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(env.config.home))
    monkeypatch.setenv("ML_CONNECTOR_LEDGER_URL", env.config.ledger_url)
    settings.cache_clear()
    yield env
    settings.cache_clear()


def test_a_dead_letter_edited_from_the_cli_is_sent_as_edited_and_the_audit_log_shows_the_edit_then_the_update(
    cli_env, capsys
):
    env = cli_env
    env.run(DAY, job=EBS_JOB)
    party = some_account_party_id(env)
    env.ebs.update_row("HZ_PARTIES", party, {"PARTY_NAME": "BLOCKED Trading Co"})
    env.dataverse.update_settings({"reject_rules": [BLOCKED]})
    env.run(DAY, job=EBS_JOB)
    key = f"oracle_ebs.party.{party}"
    [letter] = [letter for letter in env.ledger.open_dead_letters(EBS_JOB, "account") if letter.source_key == key]

    # The plug-in stays: the operator corrects what is sent instead.
    assert cli.main(["dead-letters", "edit", str(letter.id), "--set", "name=Blocked Trading Co", "--by", "alice"]) == 0
    assert '"BLOCKED Trading Co" -> "Blocked Trading Co"' in capsys.readouterr().out
    assert replayed(env, "dynamics_sales", dead_letter_ids=[letter.id])["updated"] == 1
    [row] = env.dataverse.rows("account", mlc_externalid=key)
    assert row["name"] == "Blocked Trading Co"

    audit = [row for row in env.ledger.audit(source_key=key) if row["pair"] == EBS_JOB]
    assert [row["action"] for row in audit][-3:] == [Action.FAILED, Action.EDITED, Action.UPDATED]
    failed, edit, update = audit[-3:]
    assert edit["actor"] == "alice" and edit["changes"] == {"name": ["BLOCKED Trading Co", "Blocked Trading Co"]}
    assert edit["at"] >= failed["at"] and update["changes"]["name"][1] == "Blocked Trading Co"
    assert env.ledger.dead_letter(letter.id).resolved_at is not None
    assert cli.main(["dead-letters", "edit", str(letter.id), "--set", "name=Again"]) == 2
    assert "resolved" in capsys.readouterr().err
