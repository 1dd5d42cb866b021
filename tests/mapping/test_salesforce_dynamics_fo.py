"""Salesforce → F&O mapping: pure functions over pydantic models, no HTTP, no Dagster."""

from datetime import date

import pytest

from ml_connector_dagster.mapping import salesforce_dynamics_fo as m

RULES = m.load_pair_rules()
KNOWN = m.Account(Id="001Sb0000000001AAA", Name="Contoso", ErpKey="usmf/US-001", BillingCountry="United States")
NEW_US = m.Account(
    Id="001Sb0000000002AAB",
    Name="  Fabrikam   Inc ",
    BillingCountry="united states",
    BillingCity="Austin",
    BillingPostalCode="78701",
)
NEW_FR = m.Account(Id="001Sb0000000003AAC", Name="Lamna SARL", BillingCountry="France")
DEAL = "006Sb0000000001AAA"


def line(n: int, deal: str = DEAL, key: str | None = "usmf/D0001", **kw) -> m.DealLine:
    return m.DealLine(
        Id=f"00kSb000000000{n}AAA",
        DealId=deal,
        ProductErpKey=key,
        ProductName="Speaker",
        Quantity=kw.pop("Quantity", 2),
        UnitPrice=kw.pop("UnitPrice", 150.0),
        **kw,
    )


def test_a_won_deal_on_an_erp_account_becomes_one_order_with_its_lines_in_line_id_order():
    deal = m.Deal(Id=DEAL, AccountId=KNOWN.Id, Date=date(2026, 11, 29), PoNumber="PO-77")
    result = m.map_sales_orders([deal], [line(2, Discount=10), line(1, key="usmf/T0002", Quantity=1)], [KNOWN], RULES)
    [record] = result.records
    assert record.source_key == DEAL and record.refs == ()
    assert record.payload["header"] == {
        "dataAreaId": "usmf",
        "OrderingCustomerAccountNumber": "US-001",
        "CustomersOrderReference": DEAL,
        "CustomerRequisitionNumber": "PO-77",
        "RequestedShippingDate": "2026-11-29T12:00:00Z",
    }
    assert [
        (line["ItemNumber"], line["OrderedSalesQuantity"], line["LineDiscountPercentage"])
        for line in record.payload["lines"]
    ] == [("T0002", 1.0, 0), ("D0001", 2.0, 10.0)]
    assert all(None not in line.values() for line in record.payload["lines"]), "F&O refuses nulls"


def test_a_new_account_becomes_a_customer_of_its_countrys_entity_and_its_deals_wait_for_it():
    customers = m.map_customers([KNOWN, NEW_US], RULES)
    [customer] = customers.records
    assert customer.source_key == NEW_US.Id
    assert customer.payload == {
        "dataAreaId": "usmf",
        "CustomerAccount": "SF-Sb0000000002AAB",
        "OrganizationName": "Fabrikam Inc",
        "CustomerGroupId": "30",
        "SalesCurrencyCode": "USD",
        "AddressCity": "Austin",
        "AddressZipCode": "78701",
        "AddressCountryRegionId": "USA",
    }
    assert m.account_id_of("SF-Sb0000000002AAB", RULES) == NEW_US.Id
    assert m.account_id_of("US-001", RULES) is None
    order = m.map_sales_orders(
        [m.Deal(Id=DEAL, AccountId=NEW_US.Id, Date=date(2026, 11, 29))], [line(1)], [NEW_US], RULES
    ).records[0]
    assert order.refs == ((m.CUSTOMERS, NEW_US.Id),)
    assert order.payload["header"]["OrderingCustomerAccountNumber"] == "SF-Sb0000000002AAB"
    [link] = m.map_account_links({NEW_US.Id: "usmf/SF-Sb0000000002AAB"}, "ERP_Account_Number__c").records
    assert link.source_key == NEW_US.Id and link.payload == {"ERP_Account_Number__c": "usmf/SF-Sb0000000002AAB"}


def test_an_unresolved_country_waits_in_dead_letters_with_the_reason_and_so_do_its_deals():
    customers = m.map_customers([NEW_FR], RULES)
    [rejected] = customers.rejected
    assert "no legal entity for BillingCountry 'France'" in rejected.reason and "countries:" in rejected.reason
    orders = m.map_sales_orders(
        [m.Deal(Id=DEAL, AccountId=NEW_FR.Id, Date=date(2026, 11, 29))], [line(1)], [NEW_FR], RULES
    )
    assert not orders.records and "France" in orders.rejected[0].reason
    fixed = RULES.model_copy(
        update={"countries": {**RULES.countries, "france": m.Country(legal_entity="usmf", country_region="FRA")}}
    )
    assert m.map_customers([NEW_FR], fixed).records[0].payload["AddressCountryRegionId"] == "FRA"


def test_lines_that_did_not_come_from_fo_or_from_another_entity_reject_the_deal():
    deal = m.Deal(Id=DEAL, AccountId=KNOWN.Id, Date=date(2026, 11, 29))
    for lines, reason in (
        ([line(1, key=None)], "no ERP item number"),
        ([line(1, key="demf/D0001")], "released in demf"),
        ([], "no line items"),
    ):
        result = m.map_sales_orders([deal], lines, [KNOWN], RULES)
        assert not result.records and reason in result.rejected[0].reason
    too_long = m.map_sales_orders(
        [m.Deal(Id=DEAL, AccountId=KNOWN.Id, Date=date(2026, 11, 29), PoNumber="P" * 21)], [line(1)], [KNOWN], RULES
    )
    assert "CustomerRequisitionNumber" in too_long.rejected[0].reason


def test_order_numbers_go_back_to_the_object_the_deal_is():
    result = m.map_order_numbers(
        {DEAL: "usmf/000712", "801Sb0000000001AAA": "demf/000700"}, "ERP_Sales_Order_Number__c"
    )
    assert [r.payload for r in result["Opportunity"].records] == [{"ERP_Sales_Order_Number__c": "usmf/000712"}]
    assert [r.source_key for r in result["Order"].records] == ["801Sb0000000001AAA"]


CANADA = {**RULES.model_dump()["countries"], "Canada": {"legal_entity": "usmf", "country_region": "CAN"}}


@pytest.mark.parametrize(
    "country,typed,state_id",
    [
        ("United States", "Massachusetts", "MA"),
        ("United States", "california", "CA"),
        ("United States", "  NEW   york ", "NY"),
        ("United States", "US-MA", "MA"),
        ("United States", "us-tx", "TX"),
        ("United States", "ma", "MA"),
        ("United States", "Washington D.C.", "DC"),
        ("United States", "Puerto Rico", "PR"),
        ("United States", "GU", "GU"),
        ("Canada", "Québec", "QC"),
        ("Canada", "CA-BC", "BC"),
        ("Canada", "ontario", "ON"),
        ("Canada", "Newfoundland and Labrador", "NL"),
        ("Germany", "Bavaria", "BY"),
        ("Germany", "Baden Württemberg", "BW"),
    ],
)
def test_a_new_accounts_billing_state_becomes_the_fo_state_id_of_its_country(country, typed, state_id):
    rules = m.Rules(countries=CANADA)
    account = NEW_US.model_copy(update={"BillingCountry": country, "BillingState": typed})
    [customer] = m.map_customers([account], rules).records
    assert customer.payload["AddressState"] == state_id


@pytest.mark.parametrize(
    "country,typed",
    [("United States", "Atlantis"), ("United States", "Ontario"), ("Canada", "MA"), ("United States", "Mass.")],
)
def test_a_billing_state_its_country_does_not_know_is_a_dead_letter_with_the_reason(country, typed):
    account = NEW_US.model_copy(update={"BillingCountry": country, "BillingState": typed})
    result = m.map_customers([account], m.Rules(countries=CANADA))
    [rejected] = result.rejected
    assert not result.records and rejected.source_key == NEW_US.Id
    assert repr(typed.strip()) in rejected.reason and "`states:`" in rejected.reason


def test_the_mapping_rules_add_spellings_of_a_state():
    rules = m.Rules(states={"usa": {"Mass.": "MA"}})
    for typed in ("Mass.", "mass", "Massachusetts"):
        account = NEW_US.model_copy(update={"BillingState": typed})
        assert m.map_customers([account], rules).records[0].payload["AddressState"] == "MA"
    assert m.map_customers([NEW_US], rules).records[0].payload.get("AddressState") is None, "no state, none sent"
