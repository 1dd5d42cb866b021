"""F&O → Salesforce forward mapping: pure functions, no HTTP."""

from ml_connector_dagster.mapping import dynamics_fo_salesforce as m


def test_customers_become_accounts_keyed_by_legal_entity_and_account_number():
    customers = [
        m.Customer(
            dataAreaId="usmf",
            CustomerAccount="US-001",
            OrganizationName="  Contoso   Retail ",
            AddressCity="San Diego",
            AddressCountryRegionISOCode="US",
            PrimaryContactPhone="",
        ),
        m.Customer(dataAreaId="usrt", CustomerAccount="US-001", OrganizationName="Contoso Retail West"),
        m.Customer(
            dataAreaId="usmf",
            CustomerAccount="US-009",
            PartyType="Person",
            PersonFirstName="Jane",
            PersonLastName="Doe",
        ),
    ]
    result = m.map_accounts(customers, m.Rules())
    payloads = {r.source_key: r.payload for r in result.records}
    assert set(payloads) == {"usmf/US-001", "usrt/US-001", "usmf/US-009"}
    assert payloads["usmf/US-001"]["Name"] == "Contoso Retail" and payloads["usmf/US-001"]["Phone"] is None
    assert payloads["usmf/US-001"]["BillingCountry"] == "US" and payloads["usmf/US-001"]["Type"] == "Customer"
    assert payloads["usmf/US-009"]["Name"] == "Jane Doe"


def test_a_nameless_customer_is_rejected_with_a_reason():
    blank = m.Customer(dataAreaId="usmf", CustomerAccount="US-100", OrganizationName="   ")
    result = m.map_accounts([blank], m.Rules())
    assert "Name" in result.rejected[0].reason


def test_a_customer_on_hold_stays_an_account_showing_its_hold_and_a_lifted_hold_shows_no():
    held = m.Customer(dataAreaId="usmf", CustomerAccount="US-101", OrganizationName="Held", OnHoldStatus="All")
    rules = m.Rules(on_hold_field="ERP_On_Hold__c")
    [record] = m.map_accounts([held], rules).records
    assert record.payload["ERP_On_Hold__c"] == "All" and record.payload["Name"] == "Held"
    [lifted] = m.map_accounts([held.model_copy(update={"OnHoldStatus": "No"})], rules).records
    assert lifted.payload["ERP_On_Hold__c"] == "No"
    [plain] = m.map_accounts([held], m.Rules()).records
    assert "ERP_On_Hold__c" not in plain.payload


def test_products_take_the_product_name_where_known():
    products = [
        m.ReleasedProduct(dataAreaId="USMF", ItemNumber="A0001", ProductNumber="A0001", SearchName="HDMI"),
        m.ReleasedProduct(dataAreaId="usmf", ItemNumber="A0002", SearchName="Cable", SalesUnitSymbol="ea"),
    ]
    result = m.map_products(products, names={"A0001": "HDMI cable 2 m"})
    payloads = {r.source_key: r.payload for r in result.records}
    assert payloads["usmf/A0001"]["Name"] == "HDMI cable 2 m" and payloads["usmf/A0002"]["Name"] == "Cable"
    assert payloads["usmf/A0002"]["ProductCode"] == "A0002" and payloads["usmf/A0002"]["QuantityUnitOfMeasure"] == "ea"


def test_a_customer_made_from_a_salesforce_account_waits_until_that_account_carries_its_key():
    made = m.Customer(dataAreaId="usmf", CustomerAccount="SF-Sb0000000002AAB", OrganizationName="Fabrikam Inc")
    waiting = m.map_accounts([made], m.Rules(), frozenset({"usmf/SF-Sb0000000002AAB"}))
    assert not waiting.records and "does not show its ERP key yet" in waiting.excluded[0].reason
    assert [r.source_key for r in m.map_accounts([made], m.Rules()).records] == ["usmf/SF-Sb0000000002AAB"]
