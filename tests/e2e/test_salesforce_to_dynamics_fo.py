"""Salesforce → Dynamics 365 F&O (the reverse flow) through the Dagster jobs, against the emulators over HTTP: the
forward flow puts F&O's customers and products into Salesforce, the sandbox's sales team closes deals on them and
opens new accounts, and the reverse job turns them into F&O sales orders and customers and writes the order numbers
and customer keys back."""

from collections import Counter

import pytest

from ml_connector_dagster.mapping.salesforce_dynamics_fo import PAIR
from ml_connector_dagster.sandbox.faults import DROP, FaultPlan
from tests.e2e.conftest import load_metadata, partition_checks

FORWARD, REVERSE = "dynamics_fo__salesforce", "salesforce__dynamics_fo"
DAY = "2026-10-03"  # the sandbox clock's day (conftest.NOW): when the reps' changes are stamped
WRITE_LOADS = (
    "dynamics_fo/salesforce_customers",
    "dynamics_fo/salesforce_sales_orders",
    "salesforce/erp_account_links",
    "salesforce/erp_order_numbers_on_opportunities",
    "salesforce/erp_order_numbers_on_orders",
)


def run(env, job: str, partition: str, **kwargs):
    return env.defs.resolve_job_def(job).execute_in_process(partition_key=partition, instance=env.instance, **kwargs)


@pytest.fixture
def sales(env):
    for entity in ("usmf", "demf"):
        run(env, FORWARD, entity)
    return env.sandbox["salesforce"].simulate_sales(deals=8, orders=3, new_accounts=4)


def deal_references(fo) -> Counter:
    """How many F&O orders carry each Salesforce deal id (the seeded orders carry none, or a PO number)."""
    return Counter(
        row["CustomersOrderReference"]
        for row in fo.rows("SalesOrderHeadersV2")
        if row["CustomersOrderReference"][:3] in ("006", "801")
    )


def orderable_deals(salesforce, sales) -> list[dict]:
    """The won deals and activated orders of the simulated sales whose account the rules place in a legal entity."""
    france = {a["Id"] for a in salesforce.rows("Account") if a["BillingCountry"] == "France"}
    return [
        d
        for sobject in ("Opportunity", "Order")
        for d in salesforce.rows(sobject)
        if d["Id"] in sales["won_deals"] + sales["activated_orders"] and d["AccountId"] not in france
    ]


def orders_for(fo, reference: str) -> list[dict]:
    return [row for row in fo.rows("SalesOrderHeadersV2") if row["CustomersOrderReference"] == reference]


def lines_of(fo, order: dict) -> list[dict]:
    return [
        line
        for line in fo.rows("SalesOrderLines")
        if line["dataAreaId"] == order["dataAreaId"] and line["SalesOrderNumber"] == order["SalesOrderNumber"]
    ]


def test_each_won_deal_becomes_one_order_with_its_lines_and_its_number_goes_back(env, sales):
    fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
    result = run(env, REVERSE, DAY)
    assert all(check.passed for check in partition_checks(result))
    france = next(a for a in salesforce.rows("Account") if a["BillingCountry"] == "France")
    waiting = {letter.source_key: letter for letter in env.ledger.open_dead_letters(PAIR)}
    assert "France" in waiting[france["Id"]].error_message

    for deal_id in sales["won_deals"] + sales["activated_orders"]:
        sobject = "Opportunity" if deal_id.startswith("006") else "Order"
        [deal] = salesforce.rows(sobject, Id=deal_id)
        if deal["AccountId"] == france["Id"]:
            assert not orders_for(fo, deal_id) and "France" in waiting[deal_id].error_message
            continue
        [order] = orders_for(fo, deal_id)
        items = salesforce.rows(
            "OpportunityLineItem" if sobject == "Opportunity" else "OrderItem", **{f"{sobject}Id": deal_id}
        )
        assert sorted(line["OrderedSalesQuantity"] for line in lines_of(fo, order)) == sorted(
            i["Quantity"] for i in items
        )
        assert deal["ERP_Sales_Order_Number__c"] == f"{order['dataAreaId']}/{order['SalesOrderNumber']}"
    for other in sales["other_deals"] + sales["draft_orders"]:
        assert not orders_for(fo, other), "only won deals and activated orders become sales orders"

    for account_id in sales["new_accounts"]:
        [account] = salesforce.rows("Account", Id=account_id)
        if account_id == france["Id"]:
            assert account["ERP_Account_Number__c"] is None
            continue
        entity, number = account["ERP_Account_Number__c"].split("/")
        assert [
            c["OrganizationName"] for c in fo.rows("CustomersV3", dataAreaId=entity) if c["CustomerAccount"] == number
        ] == [account["Name"]]

    rerun = load_metadata(run(env, REVERSE, DAY))
    assert sum(rerun[key]["write_calls"] for key in WRITE_LOADS) == 0, "a rerun of the day writes nothing"
    assert max(deal_references(fo).values()) == 1

    accounts_before = len(salesforce.rows("Account"))
    forward = load_metadata(run(env, FORWARD, "usmf"))
    assert len(salesforce.rows("Account")) == accounts_before, "the linked accounts are updated, not duplicated"
    assert forward["salesforce/dynamics_fo_accounts"]["created"] == 0


def test_a_lost_answer_and_repeated_runs_of_the_day_still_make_exactly_one_order_per_deal(env, sales):
    fo = env.sandbox["dynamics_fo"]
    # The answers are dropped after F&O processed the calls: it cannot be processing them when the next run comes.
    settled = env.with_resources(dynamics_fo={"in_doubt_settle_seconds": 0})
    fo.faults.add(FaultPlan(status=DROP, path_contains="$batch", drop_after_processing=True, count=2))
    for _ in range(3):  # the event's run, its duplicate, and the day's poll
        assert run(settled, REVERSE, DAY).success
    assert fo.faults.injected == 2
    assert deal_references(fo) == Counter(d["Id"] for d in orderable_deals(env.sandbox["salesforce"], sales)), (
        "exactly one order per deal, none for others"
    )


def test_a_write_back_that_fails_goes_back_with_a_later_run_and_meanwhile_no_second_account_is_made(env, sales):
    salesforce = env.sandbox["salesforce"]
    once = env.with_resources(salesforce={"max_attempts": 1})
    # Salesforce is down for the first two write-backs (each load is one Collections call).
    salesforce.faults.add(FaultPlan(status=503, count=2, method="PATCH", path_contains="/composite/sobjects"))
    failed = once.defs.resolve_job_def(REVERSE).execute_in_process(
        partition_key=DAY, instance=env.instance, raise_on_error=False
    )
    assert not failed.success and salesforce.faults.injected == 2
    unlinked = [
        a
        for a in salesforce.rows("Account")
        if a["Id"] in sales["new_accounts"] and a["ERP_Account_Number__c"] is None and a["BillingCountry"] != "France"
    ]
    assert unlinked, "the customers exist in F&O, their accounts do not show the key"

    accounts = len(salesforce.rows("Account"))
    waiting = load_metadata(run(env, FORWARD, "usmf"))["salesforce/dynamics_fo_accounts"]
    assert len(salesforce.rows("Account")) == accounts and waiting["skipped"] >= 1, "no second Account meanwhile"

    assert run(env, REVERSE, "2026-10-02").success, "any later run of the flow writes back what is missing"
    assert all(salesforce.rows("Account", Id=a["Id"])[0]["ERP_Account_Number__c"] for a in unlinked)
    ordered = {row["CustomersOrderReference"] for row in env.sandbox["dynamics_fo"].rows("SalesOrderHeadersV2")}
    assert all(
        deal["ERP_Sales_Order_Number__c"]
        for sobject in ("Opportunity", "Order")
        for deal in salesforce.rows(sobject)
        if deal["Id"] in ordered
    )
    linked = load_metadata(run(env, FORWARD, "usmf"))["salesforce/dynamics_fo_accounts"]
    assert len(salesforce.rows("Account")) == accounts and linked["created"] == 0 and linked["updated"] >= 1


def test_a_new_accounts_billing_state_reaches_fo_as_its_state_id_and_an_unknown_one_waits_with_the_reason(env):
    run(env, FORWARD, "usmf")
    salesforce, fo = env.sandbox["salesforce"], env.sandbox["dynamics_fo"]
    typed = {"Massachusetts": "MA", "California": "CA", "us-tx": "TX", " new  york ": "NY", "Atlantis": None}
    accounts = salesforce.insert(
        "Account",
        [{"Name": f"Stateful {n}", "BillingState": state, "BillingCountry": "USA"} for n, state in enumerate(typed)],
    )
    assert run(env, REVERSE, DAY).success
    for account, (state, state_id) in zip(accounts, typed.items(), strict=True):
        number = "SF-" + account["Id"][3:]
        customers = [c for c in fo.rows("CustomersV3", dataAreaId="usmf") if c["CustomerAccount"] == number]
        if state_id is None:
            assert not customers
            [letter] = env.ledger.open_dead_letters(PAIR, "CustomersV3", source_keys=[account["Id"]])
            assert letter.error_class == "validation" and "BillingState 'Atlantis'" in letter.error_message
        else:
            assert [c["AddressState"] for c in customers] == [state_id], state
    # the forward flow shows the state id as the account's BillingState, which the reverse flow reads as itself
    run(env, FORWARD, "usmf")
    for account, state_id in zip(accounts, typed.values(), strict=True):
        if state_id is not None:
            [shown] = salesforce.rows("Account", Id=account["Id"])
            assert shown["BillingState"] == state_id
