from datetime import datetime

import pytest

from ml_connector_dagster.ledger import Truncated
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as m

KEY = "mlc_externalid"
AS_OF = datetime(2026, 11, 1)  # the end of the day mapped, in the EBS server's time
RULES = m.load_pair_rules()


def org(pid, name="Acme Corp", **kw):
    return m.Party(PARTY_ID=pid, PARTY_NAME=name, PARTY_TYPE="ORGANIZATION", **kw)


def accounts(parties, cust=(), sites=(), vendors=(), vsites=(), rules=RULES, as_of=AS_OF):
    return m.map_accounts(
        list(parties), list(cust), list(sites), list(vendors), list(vsites), rules, key_column=KEY, as_of=as_of
    )


def state(record) -> tuple[int, int]:
    return record.payload["statecode"], record.payload["statuscode"]


def test_customer_with_primary_bill_to_site():
    result = accounts(
        [
            org(
                "1",
                " Acme   Corp ",
                EMAIL_ADDRESS="ap@acme.example",
                PRIMARY_PHONE_COUNTRY_CODE="1",
                PRIMARY_PHONE_AREA_CODE="415",
                PRIMARY_PHONE_NUMBER="555-0100",
            )
        ],
        [m.CustAccount(CUST_ACCOUNT_ID="9", PARTY_ID="1", ACCOUNT_NUMBER="1001")],
        [
            m.PartySite(PARTY_SITE_ID="5", PARTY_ID="1", IDENTIFYING_ADDRESS_FLAG="Y", ADDRESS1="Old St", CITY="Old"),
            m.PartySite(
                PARTY_SITE_ID="6",
                PARTY_ID="1",
                PRIMARY_BILL_TO_FLAG="Y",
                ADDRESS1="1 Main",
                ADDRESS3="Fl 2",
                ADDRESS4="Rear",
                CITY="Boston",
                STATE="MA",
                POSTAL_CODE="02110",
                COUNTRY="US",
            ),
        ],
    )
    [record] = result.records
    assert record.source_key == "oracle_ebs.party.1" and record.refs == ()
    p = record.payload
    assert p["name"] == "Acme Corp" and p["accountnumber"] == "1001" and p["customertypecode"] == 3
    assert p["telephone1"] == "+1 415 555-0100" and p["emailaddress1"] == "ap@acme.example"
    assert (p["address1_line1"], p["address1_line3"], p["address1_city"]) == ("1 Main", "Fl 2, Rear", "Boston")
    assert p["address1_addresstypecode"] == m.ADDRESS_BILL_TO
    assert p["parentaccountid@odata.bind"] is None


def test_supplier_only_and_both_get_their_types():
    vendors = [m.Vendor(VENDOR_ID="70", PARTY_ID="2"), m.Vendor(VENDOR_ID="71", PARTY_ID="3")]
    result = accounts(
        [org("2"), org("3")],
        [m.CustAccount(CUST_ACCOUNT_ID="9", PARTY_ID="3")],
        vendors=vendors,
        vsites=[
            m.VendorSite(
                VENDOR_SITE_ID="1",
                VENDOR_ID="70",
                PRIMARY_PAY_SITE_FLAG="Y",
                ADDRESS_LINE1="Dock 4",
                CITY="Oslo",
                ZIP="0150",
                COUNTRY="NO",
                AREA_CODE="22",
                PHONE="123456",
            )
        ],
    )
    by_key = {r.source_key: r.payload for r in result.records}
    assert by_key["oracle_ebs.party.2"]["customertypecode"] == RULES.vendor_type_code
    assert by_key["oracle_ebs.party.2"]["address1_city"] == "Oslo"
    assert by_key["oracle_ebs.party.2"]["telephone1"] == "22 123456"
    assert by_key["oracle_ebs.party.3"]["customertypecode"] == RULES.customer_and_vendor_type_code


def test_an_active_account_says_so_and_a_party_of_an_unmapped_type_is_left_out():
    result = accounts(
        [org("3"), m.Party(PARTY_ID="6", PARTY_NAME="Jane", PARTY_TYPE="PERSON")],
        [m.CustAccount(CUST_ACCOUNT_ID="1", PARTY_ID="3"), m.CustAccount(CUST_ACCOUNT_ID="2", PARTY_ID="6")],
    )
    [record] = result.records
    assert state(record) == (0, 1) and record.update_only is None
    assert [e.source_key for e in result.excluded] == ["oracle_ebs.party.6"]


def test_an_inactive_party_deactivates_its_account_keeping_its_type_and_is_never_created_so():
    result = accounts([org("5", STATUS="I")], [m.CustAccount(CUST_ACCOUNT_ID="1", PARTY_ID="5")])
    [record] = result.records
    assert state(record) == (1, 2) and record.payload["customertypecode"] == 3
    assert "party status I" in record.update_only and not result.excluded


def test_ended_or_disabled_suppliers_deactivate_a_supplier_only_account():
    ended = m.Vendor(VENDOR_ID="1", PARTY_ID="4", END_DATE_ACTIVE="2026-01-01T00:00:00.000+00:00")
    disabled = m.Vendor(VENDOR_ID="2", PARTY_ID="7", ENABLED_FLAG="N")
    result = accounts([org("4"), org("7")], vendors=[ended, disabled])
    for record in result.records:
        assert state(record) == (1, 2) and record.payload["customertypecode"] == RULES.vendor_type_code
        assert "no active customer account and no active supplier" in record.update_only


def test_an_end_date_counts_from_the_day_it_falls_in_as_of_the_end_of_the_day_mapped():
    party, vendor = org("8"), m.Vendor(VENDOR_ID="3", PARTY_ID="8", END_DATE_ACTIVE="2026-10-15T00:00:00")
    [day_before] = accounts([party], vendors=[vendor], as_of=datetime(2026, 10, 15)).records
    [that_day] = accounts([party], vendors=[vendor], as_of=datetime(2026, 10, 16)).records
    assert state(day_before) == (0, 1) and state(that_day) == (1, 2)


def test_a_customer_and_supplier_whose_supplier_ends_is_retyped_a_customer_and_back_when_the_end_goes():
    party, customer = org("9"), m.CustAccount(CUST_ACCOUNT_ID="4", PARTY_ID="9")
    ended = m.Vendor(VENDOR_ID="5", PARTY_ID="9", END_DATE_ACTIVE="2026-10-31T00:00:00")
    [retyped] = accounts([party], [customer], vendors=[ended]).records
    assert state(retyped) == (0, 1) and retyped.payload["customertypecode"] == 3
    [both] = accounts([party], [customer], vendors=[ended.model_copy(update={"END_DATE_ACTIVE": None})]).records
    assert both.payload["customertypecode"] == RULES.customer_and_vendor_type_code


def test_a_customer_account_set_inactive_leaves_a_supplier_typed_vendor_and_reactivation_brings_it_back():
    party, vendor = org("12"), m.Vendor(VENDOR_ID="6", PARTY_ID="12")
    inactive = m.CustAccount(CUST_ACCOUNT_ID="5", PARTY_ID="12", ACCOUNT_NUMBER="C5", STATUS="I")
    [vendor_only] = accounts([party], [inactive], vendors=[vendor]).records
    assert vendor_only.payload["customertypecode"] == RULES.vendor_type_code and state(vendor_only) == (0, 1)
    [both] = accounts([party], [inactive.model_copy(update={"STATUS": "A"})], vendors=[vendor]).records
    assert both.payload["customertypecode"] == RULES.customer_and_vendor_type_code and both.payload["accountnumber"]


def test_a_party_set_back_to_active_is_an_active_account_that_may_be_created():
    customer = m.CustAccount(CUST_ACCOUNT_ID="6", PARTY_ID="13")
    [inactive] = accounts([org("13", STATUS="I")], [customer]).records
    [active] = accounts([org("13")], [customer]).records
    assert state(inactive) == (1, 2) and state(active) == (0, 1) and active.update_only is None
    assert {k: v for k, v in inactive.payload.items() if k not in ("statecode", "statuscode")} == {
        k: v for k, v in active.payload.items() if k not in ("statecode", "statuscode")
    }


def test_a_pay_site_made_inactive_after_the_day_mapped_still_gives_the_address():
    vendor = m.Vendor(VENDOR_ID="7", PARTY_ID="14")
    site = m.VendorSite(VENDOR_SITE_ID="1", VENDOR_ID="7", CITY="Oslo", INACTIVE_DATE="2026-12-01T00:00:00")
    [record] = accounts([org("14")], vendors=[vendor], vsites=[site]).records
    assert record.payload["address1_city"] == "Oslo"
    [later] = accounts([org("14")], vendors=[vendor], vsites=[site], as_of=datetime(2026, 12, 2)).records
    assert later.payload["address1_city"] is None


def test_hierarchy_binds_parent_by_alternate_key_and_declares_the_dependency():
    result = accounts([org("10", PARENT_PARTY_ID="11")], [m.CustAccount(CUST_ACCOUNT_ID="1", PARTY_ID="10")])
    [record] = result.records
    assert record.payload["parentaccountid@odata.bind"] == "/accounts(mlc_externalid='oracle_ebs.party.11')"
    assert record.refs == (("account", "oracle_ebs.party.11"),)


def test_supplier_hierarchy_through_parent_vendor_party():
    result = accounts([org("12")], vendors=[m.Vendor(VENDOR_ID="5", PARTY_ID="12", PARENT_VENDOR_PARTY_ID="13")])
    assert result.records[0].refs == (("account", "oracle_ebs.party.13"),)


@pytest.mark.parametrize(
    "party, reason",
    [
        (
            org("20", "x" * 200),
            "name: String should have at most 160 characters as Dataverse counts them (UTF-16 code units) (got 200)",
        ),
        (org("21", "   "), "name"),
        (org("22", EMAIL_ADDRESS="sales at example.com"), "emailaddress1: Value error, is not an e-mail address"),
    ],
)
def test_invalid_accounts_are_rejected_with_a_reason(party, reason):
    result = accounts([party], [m.CustAccount(CUST_ACCOUNT_ID="1", PARTY_ID=party.PARTY_ID)])
    [rejected] = result.rejected
    assert reason in rejected.reason and rejected.source["PARTY_ID"] == party.PARTY_ID


def test_long_names_can_be_truncated_by_rule():
    rules = RULES.model_copy(update={"truncate_long_names": True})
    result = accounts([org("23", "y" * 300)], [m.CustAccount(CUST_ACCOUNT_ID="1", PARTY_ID="23")], rules=rules)
    assert len(result.records[0].payload["name"]) == 160


def test_a_name_is_cut_in_utf16_units_never_inside_a_character_and_the_cut_goes_with_the_record_for_the_audit_log():
    rules = RULES.model_copy(update={"truncate_long_names": True})
    long_name = "Ö" + "🚀" * 100  # 201 UTF-16 code units in 101 characters
    result = accounts(
        [org("23", long_name), org("24", "Short Ltd")],
        [m.CustAccount(CUST_ACCOUNT_ID=n, PARTY_ID=n) for n in ("23", "24")],
        rules=rules,
    )
    cut = result.records[0].payload["name"]
    assert cut == "Ö" + "🚀" * 79 and len(cut.encode("utf-16-le")) == 2 * 159
    assert result.records[0].truncated == (Truncated("name", long_name, length=201, kept=159),)
    assert result.records[1].truncated == ()


def test_a_name_of_100_emoji_is_200_units_long_and_refused_without_the_rule():
    [rejected] = accounts([org("25", "🚀" * 100)], [m.CustAccount(CUST_ACCOUNT_ID="1", PARTY_ID="25")]).rejected
    assert "name: String should have at most 160 characters" in rejected.reason and "(got 200)" in rejected.reason


def test_contacts_bind_to_their_organization():
    result = m.map_contacts(
        [
            m.Contact(
                RELATIONSHIP_ID="100",
                ORG_PARTY_ID="1",
                PERSON_FIRST_NAME="Zoë",
                PERSON_LAST_NAME="Łukasz",
                EMAIL_ADDRESS="z@acme.example",
                JOB_TITLE="Buyer",
            ),
            m.Contact(RELATIONSHIP_ID="101", ORG_PARTY_ID="1", PERSON_FIRST_NAME="No", PERSON_LAST_NAME=None),
            m.Contact(RELATIONSHIP_ID="102", ORG_PARTY_ID="1", PERSON_LAST_NAME="Gone", STATUS="I"),
        ],
        RULES,
        key_column=KEY,
        as_of=AS_OF,
    )
    record, ended = result.records
    assert record.source_key == "oracle_ebs.contact.100" and state(record) == (0, 1)
    assert record.payload["parentcustomerid_account@odata.bind"] == "/accounts(mlc_externalid='oracle_ebs.party.1')"
    assert record.payload["lastname"] == "Łukasz" and record.refs == (("account", "oracle_ebs.party.1"),)
    assert result.rejected[0].source_key == "oracle_ebs.contact.101" and "lastname" in result.rejected[0].reason
    assert ended.source_key == "oracle_ebs.contact.102" and state(ended) == (1, 2) and ended.update_only


def test_a_contact_whose_relationship_end_date_has_passed_as_of_the_day_mapped_is_deactivated():
    contact = m.Contact(
        RELATIONSHIP_ID="103", ORG_PARTY_ID="1", PERSON_LAST_NAME="Leaving", END_DATE="2026-10-15T12:00:00"
    )
    [day_before] = m.map_contacts([contact], RULES, key_column=KEY, as_of=datetime(2026, 10, 15)).records
    [that_day] = m.map_contacts([contact], RULES, key_column=KEY, as_of=datetime(2026, 10, 16)).records
    assert state(day_before) == (0, 1) and not day_before.update_only
    assert state(that_day) == (1, 2) and "relationship ended 2026-10-15T12:00:00" in that_day.update_only
