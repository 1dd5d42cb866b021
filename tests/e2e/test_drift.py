"""Drift: records the ledger holds as written that the target lacks. A few deleted by a user are sent again by the
next run of their days; a target that lost everything (a refreshed sandbox) is not refilled silently, and
`heal` (ml_connector_dagster/heal.py, what `ml-connector heal` runs) re-creates it on purpose."""

from collections import Counter

import pytest
from ml_connector_dagster.resources.dynamics_fo.client import key_path

from ml_connector_dagster.demo import verify
from ml_connector_dagster.mapping.common import key_prefix
from ml_connector_dagster.mapping.salesforce_dynamics_fo import SALES_ORDERS
from tests.e2e.conftest import EBS_JOB, heal, load_metadata, partition_checks
from tests.e2e.test_oracle_ebs_to_dynamics_sales import ACCOUNTS, agrees
from tests.e2e.test_salesforce_to_dynamics_fo import DAY, FORWARD, REVERSE, deal_references, run

HEAL = f"ml-connector heal --pair {EBS_JOB} --object account"


@pytest.fixture
def env(env):
    """Each test here asks the very next run to find what a user deleted, so every run reads back every written record
    (read_back_runs=1). By default a run reads one share of them in turn; tests/e2e/test_read_back.py shows that
    sample finding a deletion within read_back_runs runs."""
    return env.with_ledger(read_back_runs=1)


def ebs_accounts(env) -> list[dict]:
    prefix = key_prefix("oracle_ebs")
    return [row for row in env.dataverse.rows("account") if (row["mlc_externalid"] or "").startswith(prefix)]


def delete_as_a_user(env, system: str, paths: list[str]) -> None:
    """Through the vendor's API, as a person in its app does; `paths` are relative to the API root."""
    with env.resources[system].open() as client:
        for path in paths:
            client.http.delete(path).raise_for_status()


def test_accounts_deleted_in_dataverse_are_re_created_by_the_next_run_of_their_days_with_their_contacts(env):
    env.run_all()
    accounts = ebs_accounts(env)
    parents = Counter(row["_parentcustomerid_value"] for row in env.dataverse.rows("contact"))
    # Accounts that contacts belong to first: their links must hold after the accounts come back with new row ids.
    deleted = sorted(accounts, key=lambda row: -parents[row["accountid"]])[:50]
    assert sum(parents[row["accountid"]] for row in deleted) > 0
    delete_as_a_user(env, "dynamics_sales", [f"accounts({row['accountid']})" for row in deleted])
    keys = {row["mlc_externalid"] for row in deleted}
    days = set(env.ledger.partitions_of(EBS_JOB, "account", keys).values())

    # an unchanged day is not read, nor read back, on a plain rerun (unchanged_windows.py): read it on purpose
    results = [env.run(day, full_read=True) for day in sorted(days)]
    assert all(check.passed for check in partition_checks(*results))
    assert sum(load_metadata(result)[ACCOUNTS]["drifted"] for result in results) == len(deleted)
    again = {row["mlc_externalid"]: row for row in ebs_accounts(env)}
    assert all(again[row["mlc_externalid"]]["name"] == row["name"] for row in deleted)
    drifted = [row for row in env.ledger.audit() if row["action"] == "drifted"]
    assert sorted(row["source_key"] for row in drifted) == sorted(keys)
    assert agrees(env), "every contact links to its account again"


@pytest.mark.slow
def test_a_dataverse_that_lost_every_record_fails_the_check_pointing_to_heal_and_heal_re_creates_it(env):
    env.run_all()
    accounts = len(ebs_accounts(env))
    # A retired account is never created (Dataverse would make it active): after the reset it stays out.
    retired = len([row for row in ebs_accounts(env) if row["statecode"] == 1])
    env.dataverse.reset()  # a refreshed sandbox: the environment is empty, the ledger remembers it full

    day = env.size.partition_keys()[0]
    result = env.run(day, full_read=True)
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name.startswith("every_account")]
    assert not check.passed and HEAL in check.description
    assert load_metadata(result)[ACCOUNTS]["write_calls"] == 0 and not ebs_accounts(env), "nothing sent unasked"

    healed = heal(env, EBS_JOB)
    assert {obj.target_object: len(obj.missing) for obj in healed.objects}["account"] == accounts
    assert sorted(healed.reruns) == env.size.partition_keys()
    assert all(check.passed for check in partition_checks(*healed.reruns.values()))
    assert len(ebs_accounts(env)) == accounts - retired
    assert {row["actor"] for row in env.ledger.audit() if row["action"] == "drifted"} == {"alice"}
    assert agrees(env)


def test_sales_orders_deleted_in_f_and_o_are_made_again_once_and_their_new_numbers_go_back_to_salesforce(env):
    fo = env.sandbox["dynamics_fo"]
    for entity in ("usmf", "demf"):
        run(env, FORWARD, entity)
    env.sandbox["salesforce"].simulate_sales(deals=8, orders=3, new_accounts=4)
    run(env, REVERSE, DAY)
    references = deal_references(fo)
    deleted = [row for row in fo.rows(SALES_ORDERS) if row["CustomersOrderReference"] in references][:2]
    delete_as_a_user(
        env,
        "dynamics_fo",
        [
            key_path(SALES_ORDERS, {k: row[k] for k in ("dataAreaId", "SalesOrderNumber")}) + "?cross-company=true"
            for row in deleted
        ],
    )
    result = run(env, REVERSE, DAY)
    assert all(check.passed for check in partition_checks(result))
    assert deal_references(fo) == references, "each deal has its one order again"
    [orders, _customers] = verify(env.config, env.resources, pairs=(REVERSE,))
    assert orders.agrees, orders  # each deal shows the number of its order, the new one where it was made again


def test_an_account_from_f_and_o_deleted_in_salesforce_is_made_again_once_and_its_customer_is_left_alone(env):
    fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
    run(env, FORWARD, "usmf")
    account = next(a for a in salesforce.rows("Account") if (a["ERP_Account_Number__c"] or "").startswith("usmf/"))
    number = account["ERP_Account_Number__c"].split("/", 1)[1]
    [customer] = fo.rows("CustomersV3", dataAreaId="usmf", CustomerAccount=number)
    api = f"/services/data/v{env.resources['salesforce'].api_version}"
    delete_as_a_user(env, "salesforce", [f"{api}/sobjects/Account/{account['Id']}"])
    assert not salesforce.rows("Account", ERP_Account_Number__c=account["ERP_Account_Number__c"])

    before = fo.stats()
    assert run(env, REVERSE, DAY).success
    assert fo.stats() == before, "the reverse flow writes nothing to F&O for a deleted Account"
    assert fo.rows("CustomersV3", dataAreaId="usmf", CustomerAccount=number) == [customer]

    healed = load_metadata(run(env, FORWARD, "usmf"))["salesforce/dynamics_fo_accounts"]
    assert healed["drifted"] == 1 and healed["created"] == 1
    [again] = salesforce.rows("Account", ERP_Account_Number__c=account["ERP_Account_Number__c"])
    assert again["Id"] != account["Id"] and again["Name"] == account["Name"]
    rerun = load_metadata(run(env, FORWARD, "usmf"))["salesforce/dynamics_fo_accounts"]
    assert rerun["write_calls"] == rerun["created"] == 0
    assert fo.rows("CustomersV3", dataAreaId="usmf", CustomerAccount=number) == [customer]
