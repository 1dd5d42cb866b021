"""Target rows deleted by a user between runs: the next runs re-create them, once each (the rows are deleted through
the vendor's Web API, as the vendor's own app does). A target that lost everything is another matter: the runs say
so and re-send nothing until a person runs `ml-connector heal` (ml_connector_dagster/heal.py, what the CLI calls)."""

import pytest
from ml_connector_dagster.resources.dynamics_fo.client import key_path

from ml_connector_dagster.heal import heal_pair
from ml_connector_dagster.mapping.common import key_prefix
from ml_connector_dagster.mapping.salesforce_dynamics_fo import SALES_ORDERS, WRITE_BACK_OBJECTS
from tests.chaos.conftest import (
    EBS_TO_SALES,
    SALESFORCE_TO_FO,
    assert_exactly_once,
    delete_as_a_user,
    sync,
    sync_until_settled,
    with_ledger,
)

pytestmark = pytest.mark.chaos


@pytest.fixture
def env(env):
    """The next runs must find what a user deleted: every run reads back every written record (read_back_runs=1),
    not the one share in turn a run reads by default (tests/e2e/test_read_back.py)."""
    return with_ledger(env, read_back_runs=1)


def test_accounts_deleted_in_dataverse_are_re_created_by_the_next_runs(env):
    flow = EBS_TO_SALES
    sync(env, flow)
    ebs = key_prefix("oracle_ebs")
    accounts = [row for row in env.dataverse.rows("account") if (row["mlc_externalid"] or "").startswith(ebs)]
    deleted = accounts[:: len(accounts) // 6][:6]
    delete_as_a_user(env, "dynamics_sales", [f"accounts({row['accountid']})" for row in deleted])
    assert not any(env.dataverse.rows("account", mlc_externalid=row["mlc_externalid"]) for row in deleted)
    sync_until_settled(env, flow)
    for row in deleted:
        [again] = env.dataverse.rows("account", mlc_externalid=row["mlc_externalid"])
        assert again["name"] == row["name"]
    assert_exactly_once(env, flow)


def test_a_dataverse_that_lost_everything_is_not_refilled_silently_and_heal_re_creates_it_once(env):
    flow = EBS_TO_SALES
    sync(env, flow)
    env.dataverse.reset()  # a refreshed sandbox environment, or another one behind the same URL
    checks = [check for result in sync(env, flow) for check in result.get_asset_check_evaluations()]
    assert any(not check.passed and "ml-connector heal" in (check.description or "") for check in checks)
    assert not flow.keys(env), "nothing is re-sent before a person decides"
    healed = heal_pair(
        env.config, flow.job, defs=env.defs, target=env.resources.__getitem__, instance=env.instance, by="chaos"
    )
    assert sorted(healed.reruns) == list(flow.partitions)
    assert all(result.success for result in healed.reruns.values())
    assert_exactly_once(env, flow)


def test_sales_orders_deleted_in_f_and_o_are_made_again_once_and_their_numbers_go_back(env):
    flow = SALESFORCE_TO_FO
    flow.prepare(env)
    sync(env, flow)
    fo = env.sandbox["dynamics_fo"]
    orders = [row for row in fo.rows(SALES_ORDERS) if row["CustomersOrderReference"][:3] in WRITE_BACK_OBJECTS]
    deleted = orders[:2]
    delete_as_a_user(
        env,
        "dynamics_fo",
        [
            key_path(SALES_ORDERS, {k: row[k] for k in ("dataAreaId", "SalesOrderNumber")}) + "?cross-company=true"
            for row in deleted
        ],
    )
    sync_until_settled(env, flow)
    references = {row["CustomersOrderReference"] for row in fo.rows(SALES_ORDERS)}
    assert all(row["CustomersOrderReference"] in references for row in deleted)
    assert_exactly_once(env, flow)
