"""The sandbox's sales team (activity.py): on an org the F&O sync has filled, reps sign new customers, win and lose
deals and activate orders through the emulator's validated write path, each sold from the account's legal entity;
a second day with the same seed changes nothing."""

from datetime import UTC, datetime

import pytest

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.salesforce import SalesforceEmulator
from ml_connector_dagster.sandbox.salesforce.activity import legal_entity

START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
ACCOUNTS = ("usmf/US-001", "usmf/US-002", "usmf/US-003", "demf/DE-001", "demf/DE-002", "usrt/US-001")
PRODUCTS = ("usmf/D0001", "usmf/D0002", "usmf/M0001", "usmf/S0001", "demf/D0001", "demf/D0003")
SELLS_FROM = {"United States": "usmf", "Germany": "demf", "France": "usmf"}


def synced(emulator: SalesforceEmulator) -> SalesforceEmulator:
    """What the F&O → Salesforce sync leaves: keyed accounts and products, one product already priced, one retired."""
    emulator.insert(
        "Account",
        [{"Name": f"Customer {key}", "ERP_Account_Number__c": key, "BillingCountry": "US"} for key in ACCOUNTS],
    )
    products = emulator.insert(
        "Product2", [{"Name": f"Item {key}", "ERP_Item_Number__c": key, "IsActive": True} for key in PRODUCTS]
    )
    emulator.insert("Product2", [{"Name": "Retired", "ERP_Item_Number__c": "usmf/X0001", "IsActive": False}])
    [book] = emulator.rows("Pricebook2", IsStandard=True)
    emulator.insert(
        "PricebookEntry",
        [{"Pricebook2Id": book["Id"], "Product2Id": products[0]["Id"], "UnitPrice": 220.0, "IsActive": True}],
    )
    return emulator


@pytest.fixture
def org():
    return synced(SalesforceEmulator(clock=Clock(frozen_at=START)))


def counts(emulator: SalesforceEmulator) -> dict[str, int]:
    return {name: len(rows) for name, rows in emulator.store.rows.items()}


def test_a_sales_day_sells_from_the_accounts_legal_entity(org):
    summary = org.simulate_sales()
    assert {name: len(ids) for name, ids in summary.items()} == {
        "new_accounts": 6,
        "won_deals": 12,
        "other_deals": 2,
        "activated_orders": 6,
        "draft_orders": 1,
    }
    accounts = {row["Id"]: row for row in org.rows("Account")}
    products = {row["Id"]: row for row in org.rows("Product2")}
    entries = {row["Id"]: row for row in org.rows("PricebookEntry")}
    [book] = org.rows("Pricebook2", IsStandard=True)

    new = [accounts[account_id] for account_id in summary["new_accounts"]]
    assert all(
        row["ERP_Account_Number__c"] is None
        and row["BillingStreet"]
        and row["BillingCity"]
        and row["BillingPostalCode"]
        for row in new
    )
    assert [row["BillingCountry"] for row in new].count("France") == 1
    assert {row["BillingCountry"] for row in new} == {"United States", "Germany", "France"}

    def sold_from(account: dict) -> str:
        return legal_entity(account["ERP_Account_Number__c"]) or SELLS_FROM[account["BillingCountry"]]

    def product_entities(lines: list[dict]) -> set[str]:
        for line in lines:
            entry = entries[line["PricebookEntryId"]]
            assert entry["IsActive"] and entry["Pricebook2Id"] == book["Id"] and line["UnitPrice"] == entry["UnitPrice"]
            assert line["Product2Id"] == entry["Product2Id"], "the platform fills the product from the price"
        return {legal_entity(products[line["Product2Id"]]["ERP_Item_Number__c"]) for line in lines}

    won = [org.rows("Opportunity", Id=deal_id)[0] for deal_id in summary["won_deals"]]
    for deal in won:
        assert (deal["StageName"], deal["IsWon"], deal["CloseDate"]) == ("Closed Won", True, "2026-10-01")
        assert deal["Pricebook2Id"] == book["Id"] and deal["Amount"] > 0
        lines = org.rows("OpportunityLineItem", OpportunityId=deal["Id"])
        assert 1 <= len(lines) <= 4 and all(1 <= line["Quantity"] <= 20 for line in lines)
        assert product_entities(lines) == {sold_from(accounts[deal["AccountId"]])}
    on_new = [deal for deal in won if deal["AccountId"] in summary["new_accounts"]]
    assert 1 < len(on_new) < len(won) / 2, "mostly ERP customers, a few new ones"
    assert [accounts[deal["AccountId"]]["BillingCountry"] for deal in on_new].count("France") == 1
    assert any(line["Discount"] for deal in won for line in org.rows("OpportunityLineItem", OpportunityId=deal["Id"]))
    assert {legal_entity(accounts[deal["AccountId"]]["ERP_Account_Number__c"]) for deal in won} - {None} <= {
        "usmf",
        "demf",
    }, "usrt has no products, so nobody sells to its customers"
    others = [org.rows("Opportunity", Id=deal_id)[0] for deal_id in summary["other_deals"]]
    assert sorted(deal["StageName"] for deal in others) == ["Closed Lost", "Prospecting"]
    assert not any(deal["IsWon"] for deal in others)

    for order_id in summary["activated_orders"] + summary["draft_orders"]:
        [order] = org.rows("Order", Id=order_id)
        items = org.rows("OrderItem", OrderId=order_id)
        assert 1 <= len(items) <= 3 and order["EffectiveDate"] == "2026-10-01"
        assert product_entities(items) == {sold_from(accounts[order["AccountId"]])}
        assert accounts[order["AccountId"]]["ERP_Account_Number__c"]
        if order_id in summary["activated_orders"]:
            assert (order["Status"], order["StatusCode"]) == ("Activated", "Activated")
            assert order["ActivatedDate"] == "2026-10-01T09:30:00.000+0000" and order["ActivatedById"]
        else:
            assert (order["StatusCode"], order["ActivatedDate"]) == ("Draft", None)
    [priced] = org.rows("PricebookEntry", UnitPrice=220.0)
    assert len(org.rows("PricebookEntry", Product2Id=priced["Product2Id"])) == 1, "an existing price is used"
    assert not any(products[entry["Product2Id"]]["Name"] == "Retired" for entry in entries.values())


def test_a_second_day_with_the_same_seed_changes_nothing(org):
    first = org.simulate_sales()
    before = counts(org)
    org.clock.advance(3600)
    assert org.simulate_sales() == first and counts(org) == before
    other = org.simulate_sales(seed=8, deals=2, orders=1, new_accounts=1)
    assert (len(other["new_accounts"]), len(other["won_deals"])) == (1, 2), "another seed is another day's work"


def test_the_same_seed_on_the_same_org_does_the_same_work(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = synced(SalesforceEmulator(clock=Clock(frozen_at=START), state_dir=tmp_path / "a")).simulate_sales()
    second = synced(SalesforceEmulator(clock=Clock(frozen_at=START), state_dir=tmp_path / "b")).simulate_sales()
    assert first == second
    restarted = SalesforceEmulator(clock=Clock(frozen_at=START), state_dir=tmp_path / "a")
    before = counts(restarted)
    assert restarted.simulate_sales() == first and counts(restarted) == before


def test_an_org_the_sync_has_not_filled_has_nothing_to_sell():
    with pytest.raises(ValueError, match="sync F&O to Salesforce first"):
        SalesforceEmulator(clock=Clock(frozen_at=START)).simulate_sales()
