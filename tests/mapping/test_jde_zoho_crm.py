"""JD Edwards ↔ Zoho CRM mapping: both sides read into one shared form and written out of it, so what one direction
writes reads back equal on the other side (the echo suppression rests on it); merges, matches and creates."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ml_connector_dagster.mapping import jde_zoho_crm as m
from ml_connector_dagster.mapping import zoho_crm_jde as r
from ml_connector_dagster.mapping.two_way import Counterpart, Counterparts, Side

RULES = m.load_pair_rules()
ZONE = ZoneInfo("America/Denver")
AS_OF = date(2026, 11, 2)


def entry(an8=4242, *, at1="C", alph="Acme Supply Co", **master) -> m.AddressBookEntry:
    return m.entries(
        {
            "F0101": [
                m.AddressBook(
                    AN8=an8, ALPH=alph, AT1=at1, TAX="84-1234567", SIC="7372", UPMJ=date(2026, 10, 5), UPMT=91530
                )
            ],
            "F03012": [
                m.CustomerMaster(
                    AN8=an8,
                    CO="00001",
                    ACL=Decimal("50000"),
                    TRAR="N30",
                    AC01="WHL",
                    UPMJ=date(2026, 10, 6),
                    UPMT=500,
                    **master,
                )
            ],
            "F0116": [
                m.PostalAddress(AN8=an8, EFTB=date(2020, 1, 1), ADD1="1 Old Rd", CTY1="Boulder", CTR="US"),
                m.PostalAddress(
                    AN8=an8,
                    EFTB=date(2026, 1, 1),
                    ADD1="12 Main St",
                    ADD2="Suite 5",
                    CTY1="Denver",
                    ADDS="CO",
                    ADDZ="80202",
                    CTR="US",
                ),
                m.PostalAddress(AN8=an8, EFTB=date(2027, 1, 1), ADD1="future", CTY1="Later", CTR="US"),
            ],
            "F0115": [
                m.PhoneNumber(AN8=an8, IDLN=0, RCK7=1, AR1="303", PH1="555-0100"),
                m.PhoneNumber(AN8=an8, IDLN=1, RCK7=1, PH1="555-0111"),
            ],
            "F01151": [
                m.ElectronicAddress(AN8=an8, IDLN=0, RCK7=2, ETP="E", EMAL="second@acme.example"),
                m.ElectronicAddress(AN8=an8, IDLN=0, RCK7=1, ETP="E", EMAL="ap@acme.example"),
                m.ElectronicAddress(AN8=an8, IDLN=1, RCK7=1, ETP="E", EMAL="jo@acme.example"),
            ],
            "F0111": [
                m.WhosWho(AN8=an8, IDLN=0, MLNM=alph),
                m.WhosWho(AN8=an8, IDLN=1, GNNM="Jo", SRNM="Ngata", ATTL="Buyer", UPMJ=date(2026, 10, 7), UPMT=120000),
                m.WhosWho(AN8=an8, IDLN=2, MLNM="Ana María López"),
            ],
        }
    )[an8]


def test_an_entry_reads_into_the_shared_form():
    values = m.account_from_jde(entry(), RULES, as_of=AS_OF)
    assert values == {
        "name": "Acme Supply Co",
        "account_type": "Customer",
        "tax_id": "84-1234567",
        "email": "ap@acme.example",
        "phone": "303 555-0100",
        "street": "12 Main St\nSuite 5",
        "city": "Denver",
        "state": "CO",
        "postal_code": "80202",
        "country": "US",
        "industry": "Software",
        "payment_terms": "N30",
        "credit_limit": "50000.00",
        "customer_category": "WHL",
    }
    assert m.jde_changed_at([entry().book, *entry().customer], ZONE) == datetime(2026, 10, 6, 0, 5, tzinfo=ZONE)


def test_what_goes_to_zoho_reads_back_equal_and_what_goes_to_jde_too():
    values = m.account_from_jde(entry(), RULES, as_of=AS_OF)
    zoho_record = {"id": "1", **m.zoho_account(values), "Credit_Limit": 50000}  # Zoho answers a number
    assert m.account_from_zoho(zoho_record) == values
    inputs = m.jde_customer(values, RULES)
    assert (
        inputs["AddressLine1"] == "12 Main St" and inputs["AddressLine2"] == "Suite 5" and inputs["AddressLine3"] == ""
    )
    assert inputs["SearchType"] == "C" and inputs["Industry"] == "7372" and inputs["CreditLimit"] == "50000.00"


def test_contacts_read_given_and_surname_or_split_the_mailing_name():
    e = entry()
    assert m.contact_from_jde(e, e.lines[1]) == {
        "first_name": "Jo",
        "last_name": "Ngata",
        "email": "jo@acme.example",
        "phone": "555-0111",
        "title": "Buyer",
    }
    assert m.contact_from_jde(e, e.lines[2])["first_name"] == "Ana María"
    assert m.contact_from_jde(e, e.lines[2])["last_name"] == "López"


def test_forward_creates_by_jde_key_updates_linked_records_and_refuses_ambiguous_ones():
    entries = {4242: entry(4242), 4243: entry(4243), 4244: entry(4244, at1="E"), 4245: entry(4245)}
    values = m.account_from_jde(entries[4243], RULES, as_of=AS_OF)
    zoho = {
        "id": "z43",
        m.ACCOUNT_KEY_FIELD: None,
        **m.zoho_account({**values, "phone": "720 555-0000"}),
        "Modified_Time": "2026-10-06T10:00:00-06:00",
    }
    counterparts = Counterparts(
        {"4243": m.zoho_counterpart(zoho, m.ACCOUNT_KEY_FIELD, m.account_from_zoho, None)},
        {"4245": "ambiguous duplicate match: ..."},
    )
    result = m.map_accounts(entries, counterparts, RULES, as_of=AS_OF, zone=ZONE)
    by_key = {record.source_key: record for record in result.records}
    assert by_key["4242"].payload[m.ACCOUNT_KEY_FIELD] == "4242" and "id" not in by_key["4242"].payload
    linked = by_key["4243"]
    assert linked.payload["id"] == "z43" and linked.payload[m.ACCOUNT_KEY_FIELD] == "4243"
    assert linked.payload["Phone"] == "720 555-0000"  # Zoho owns the phone
    assert not linked.agrees_with_target()  # Zoho lacks its JDE key
    assert [e.source_key for e in result.excluded] == ["4244"]
    assert [x.source_key for x in result.rejected] == ["4245"]
    assert result.agreements["4243"].crm_key == "z43"
    # never agreed before, and JDE still waits for Zoho's phone: no agreement on it yet
    assert "phone" not in result.agreements["4243"].values
    assert result.agreements["4243"].values["name"] == "Acme Supply Co"


def test_reverse_creates_new_accounts_leaves_prospects_and_merges_linked_ones():
    values = m.account_from_jde(entry(), RULES, as_of=AS_OF)
    linked = {
        "id": "z1",
        m.ACCOUNT_KEY_FIELD: "4242",
        **m.zoho_account({**values, "phone": "720 1"}),
        "Modified_Time": "2026-11-01T10:00:00+00:00",
    }
    new = {
        "id": "z2",
        "Account_Name": "Prospect Co",
        "Account_Type": None,
        "Modified_Time": "2026-11-01T10:00:00+00:00",
    }
    prospect = {"id": "z3", "Account_Name": "Maybe Co", "Account_Type": "Prospect"}
    jde = Counterparts(
        {
            "z1": Counterpart(
                "4242", Side("jde", values, datetime(2026, 10, 6, tzinfo=UTC)), {"AddressNumber": "4242"}, values
            )
        }
    )
    result = r.map_customers([linked, new, prospect], jde, RULES)
    by_key = {record.source_key: record for record in result.records}
    assert by_key["z1"].payload["AddressNumber"] == "4242" and by_key["z1"].payload["PhoneNumber"] == "720 1"
    assert by_key["z1"].current["PhoneNumber"] == "303 555-0100"
    assert by_key["z2"].payload["Company"] == "00001" and by_key["z2"].payload["SearchType"] == "C"
    assert [e.source_key for e in result.excluded] == ["z3"]
    assert result.agreements["z2"].erp_key is None


def test_reverse_contacts_wait_for_their_account_in_jde():
    contact = {"id": "c1", "Last_Name": "Ngata", "Account_Name": {"id": "z9", "name": "Acme"}}
    result = r.map_contacts([contact], Counterparts(), {}, RULES)
    (record,) = result.records
    assert record.refs == ((r.CUSTOMERS, "z9"),)
    result = r.map_contacts([contact], Counterparts(), {"z9": "4242"}, RULES)
    assert result.records[0].payload["AddressNumber"] == "4242" and result.records[0].refs == ()
