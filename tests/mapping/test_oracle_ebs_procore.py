"""The EBS ↔ Procore mapping, pure: vendors, cost codes linked at the first sync, purchase orders placed by the
project rule, and journals that post exactly the difference between a cost and what EBS holds."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from ml_connector_dagster.mapping import oracle_ebs_procore as forward
from ml_connector_dagster.mapping import procore_oracle_ebs as journals
from ml_connector_dagster.mapping.common import RulesError
from ml_connector_dagster.mapping.oracle_ebs import Vendor, VendorSite
from ml_connector_dagster.mapping.oracle_ebs_procore import CodeCombination, Distribution, Linked, PurchaseOrder

AS_OF = datetime(2026, 10, 20, 12, 0)
RULES = forward.load_pair_rules()
NOTHING = Linked({})


def combination(ccid: str, center: str = "1100", account: str = "5100", division: str = "03", **extra):
    return CodeCombination.model_validate(
        {
            "CODE_COMBINATION_ID": ccid,
            "SEGMENT1": "01",
            "SEGMENT2": center,
            "SEGMENT3": account,
            "SEGMENT4": division,
            "SEGMENT3_DESC": f"Account {account}",
            "SEGMENT4_DESC": f"Division {division}",
            "CONCATENATED_SEGMENTS": f"01-{center}-{account}-{division}",
            **extra,
        }
    )


def test_vendors_carry_the_pay_site_and_go_inactive_only_as_updates():
    vendors = [
        Vendor(VENDOR_ID="7", VENDOR_NAME="Acme Concrete", SEGMENT1="1007", VENDOR_TYPE_LOOKUP_CODE="VENDOR"),
        Vendor(
            VENDOR_ID="8",
            VENDOR_NAME="Old Steel",
            VENDOR_TYPE_LOOKUP_CODE="VENDOR",
            END_DATE_ACTIVE="2026-10-01T00:00:00",
        ),
        Vendor(VENDOR_ID="9", VENDOR_NAME="J. Employee", VENDOR_TYPE_LOOKUP_CODE="EMPLOYEE"),
    ]
    sites = [
        VendorSite(VENDOR_SITE_ID="70", VENDOR_ID="7", ADDRESS_LINE1="1 Main St", CITY="Boston", STATE="MA"),
        VendorSite(
            VENDOR_SITE_ID="71",
            VENDOR_ID="7",
            ADDRESS_LINE1="9 Pay Rd",
            CITY="Quincy",
            STATE="MA",
            COUNTRY="US",
            PRIMARY_PAY_SITE_FLAG="Y",
        ),
    ]
    result = forward.map_vendors(vendors, sites, RULES, as_of=AS_OF)
    by_key = {record.source_key: record for record in result.records}
    assert by_key["7"].payload["address"] == "9 Pay Rd" and by_key["7"].payload["country_code"] == "US"
    assert by_key["7"].payload["is_active"] is True and by_key["7"].update_only is None
    assert by_key["8"].payload["is_active"] is False and by_key["8"].update_only
    assert [e.source_key for e in result.excluded] == ["9"]


def test_a_bad_country_is_a_dead_letter_naming_the_field():
    vendor = Vendor(VENDOR_ID="7", VENDOR_NAME="Acme", VENDOR_TYPE_LOOKUP_CODE="VENDOR")
    site = VendorSite(VENDOR_SITE_ID="70", VENDOR_ID="7", COUNTRY="United States")
    result = forward.map_vendors([vendor], [site], RULES, as_of=AS_OF)
    assert "country_code" in result.rejected[0].reason


def test_cost_codes_sit_under_their_division_in_the_project_of_their_cost_centre():
    result = forward.map_cost_codes(
        [combination("100"), combination("101", center="1200"), combination("102", account="2110")],
        RULES,
        as_of=AS_OF,
        linked=NOTHING,
        in_procore={},
    ).result
    by_key = {record.source_key: record for record in result.records}
    assert by_key["100"].payload == {
        "project_id": 101,
        "code": "5100",
        "name": "Account 5100",
        "parent_id": {"origin_id": "division.1100.03"},
    }
    assert by_key["100"].refs == (("cost_codes", "division.1100.03"),)
    assert by_key["division.1100.03"].payload["parent_id"] is None
    assert by_key["101"].payload["project_id"] == 102
    assert [e.source_key for e in result.excluded] == ["102"]


def test_first_sync_links_cost_codes_entered_in_procore_by_code_else_name():
    existing = {
        101: [
            {"id": 900, "code": "03", "full_code": "03", "name": "Concrete", "parent": None, "origin_id": None},
            {"id": 901, "code": "5100", "full_code": "03-5100", "name": "x", "parent": {"id": 900}, "origin_id": None},
            {"id": 902, "code": "77", "full_code": "03-77", "name": "Account 5200", "parent": {"id": 900}},
        ]
    }
    mapped = forward.map_cost_codes(
        [combination("100"), combination("110", account="5200"), combination("120", account="5300")],
        RULES,
        as_of=AS_OF,
        linked=NOTHING,
        in_procore=existing,
    )
    assert mapped.links == {"division.1100.03": "101:900", "100": "101:901", "110": "101:902"}
    assert all("id" not in record.payload for record in mapped.result.records), "payloads stay the same later"
    # once the ledger links them, nothing is matched again
    linked = Linked(mapped.links)
    again = forward.map_cost_codes([combination("100")], RULES, as_of=AS_OF, linked=linked, in_procore=existing)
    assert again.links == {} and [r.payload for r in again.result.records] == [
        r.payload for r in mapped.result.records if r.source_key in ("100", "division.1100.03")
    ]


def test_two_candidates_are_a_dead_letter_naming_both():
    existing = {
        101: [{"id": 900, "code": "D3", "name": "Division 03"}, {"id": 905, "code": "C3", "name": "division 03"}]
    }
    result = forward.map_cost_codes(
        [combination("100")], RULES, as_of=AS_OF, linked=NOTHING, in_procore=existing
    ).result
    assert [r.source_key for r in result.rejected] == ["division.1100.03"]
    assert "900" in result.rejected[0].reason and "905" in result.rejected[0].reason


def test_disabled_or_ended_combinations_are_not_cost_codes():
    result = forward.map_cost_codes(
        [combination("100", ENABLED_FLAG="N"), combination("101", END_DATE_ACTIVE="2026-10-01T00:00:00")],
        RULES,
        as_of=AS_OF,
        linked=NOTHING,
        in_procore={},
    ).result
    assert not result.records and {e.source_key for e in result.excluded} == {"100", "101"}


def order(po: str = "500", **extra) -> PurchaseOrder:
    return PurchaseOrder.model_validate(
        {
            "PO_HEADER_ID": po,
            "SEGMENT1": f"PO-{po}",
            "TYPE_LOOKUP_CODE": "STANDARD",
            "VENDOR_ID": "7",
            "AUTHORIZATION_STATUS": "APPROVED",
            "COMMENTS": "Concrete for level 3",
            "APPROVED_DATE": "2026-10-05T09:00:00",
            **extra,
        }
    )


def distribution(po: str = "500", number: str = "1", center: str = "1100", ccid: str = "100", **extra):
    return Distribution.model_validate(
        {
            "PO_HEADER_ID": po,
            "PO_LINE_ID": f"{po}{number}",
            "LINE_NUM": number,
            "ITEM_DESCRIPTION": "Ready-mix",
            "UNIT_MEAS_LOOKUP_CODE": "CY",
            "UNIT_PRICE": "125.50",
            "PO_DISTRIBUTION_ID": f"{po}{number}1",
            "DISTRIBUTION_NUM": "1",
            "QUANTITY_ORDERED": "10",
            "CODE_COMBINATION_ID": ccid,
            "SEGMENT2": center,
            "SEGMENT3": "5100",
            **extra,
        }
    )


def test_purchase_orders_land_in_the_project_their_charge_accounts_name_naming_vendor_and_cost_codes_by_key():
    result = forward.map_purchase_orders(
        [order()],
        [distribution()],
        RULES,
        contracts=NOTHING,
    )
    payload = result.records[0].payload
    assert (
        payload["project_id"] == 101 and payload["vendor_id"] == {"origin_id": "7"} and payload["status"] == "approved"
    )
    assert payload["line_items"] == [
        {
            "origin_id": "50011",
            "description": "Ready-mix",
            "quantity": "10",
            "unit_cost": "125.50",
            "uom": "CY",
            "amount": "1255.00",
            "cost_code_id": {"origin_id": "100"},
        }
    ]
    assert result.records[0].refs == (("vendors", "7"), ("cost_codes", "100"))


def test_a_purchase_order_charging_two_projects_or_an_overhead_account_is_a_dead_letter():
    split = forward.map_purchase_orders(
        [order()],
        [distribution(), distribution(number="2", center="1200")],
        RULES,
        contracts=NOTHING,
    )
    assert "several projects" in split.rejected[0].reason
    overhead = forward.map_purchase_orders(
        [order()],
        [distribution(), distribution(number="2", SEGMENT3="6100")],
        RULES,
        contracts=NOTHING,
    )
    assert "line 2" in overhead.rejected[0].reason


def test_a_contract_the_rule_moves_names_where_it_was():
    result = forward.map_purchase_orders(
        [order()],
        [distribution(center="1300")],
        RULES,
        contracts=Linked({"500": "101:77"}),
    )
    payload = result.records[0].payload
    assert payload["project_id"] == 103 and payload["moved_from"] == "101:77"


def test_the_attribute_rule_names_the_project_and_refuses_one_it_does_not_serve():
    rules = RULES.model_copy(update={"project_rule": "attribute"})
    placed = forward.map_purchase_orders(
        [order(ATTRIBUTE1="103")],
        [distribution(center="1300")],
        rules,
        contracts=NOTHING,
    )
    assert placed.records[0].payload["project_id"] == 103
    unknown = forward.map_purchase_orders([order(ATTRIBUTE1="999")], [distribution()], rules, contracts=NOTHING)
    assert "ATTRIBUTE1 '999'" in unknown.rejected[0].reason


def test_unapproved_purchase_orders_wait_and_cancelled_ones_are_never_created():
    result = forward.map_purchase_orders(
        [order("1", AUTHORIZATION_STATUS="INCOMPLETE"), order("2", CANCEL_FLAG="Y")],
        [distribution("1"), distribution("2")],
        RULES,
        contracts=NOTHING,
    )
    assert [e.source_key for e in result.excluded] == ["1"]
    cancelled = result.records[0]
    assert cancelled.payload["status"] == "closed" and cancelled.update_only
    assert [line["amount"] for line in cancelled.payload["line_items"]] == ["0.00"]


def test_bad_rules_name_the_field(tmp_path):
    path = tmp_path / "oracle_ebs__procore.yaml"
    path.write_text((forward.DEFAULT_RULES_FILE.read_text()).replace('"1300": 103', '"1300": 101'))
    with pytest.raises(RulesError, match="projects"):
        forward.load_pair_rules(path)


# --- journals -----------------------------------------------------------------------------------------------------
def cost(status: str = "approved", amounts=(("901", "1000.00"),), kind="requisition", cost_id=55):
    return journals.Cost(
        kind,
        cost_id,
        101,
        "3",
        77,
        status,
        date(2026, 10, 20),
        tuple(journals.CostLine(int(code), Decimal(amount)) for code, amount in amounts),
    )


MATCH = {
    "purchase_orders": {77: "500"},
    "currencies": {"500": "USD"},
    "cost_codes": {901: "100", 902: "110"},
    "combinations": {"100": combination("100"), "110": combination("110", account="5200")},
}


def test_an_approved_requisition_is_one_balanced_journal_under_its_first_reference():
    result = journals.map_journals([cost()], RULES, posted={}, **MATCH)
    payload = result.records[0].payload
    assert payload["reference"] == "procore.requisition.101.55.1"
    assert payload["lines"] == [
        {"code_combination_id": "100", "dr": "1000.00", "cr": None, "description": payload["lines"][0]["description"]},
        {
            "segments": {"SEGMENT1": "01", "SEGMENT2": "1000", "SEGMENT3": "2110", "SEGMENT4": "00"},
            "dr": None,
            "cr": "1000.00",
            "description": payload["lines"][1]["description"],
        },
    ]
    assert payload["currency_code"] == "USD" and payload["category"] == "Procore Requisition"


def test_what_ebs_holds_already_posts_nothing_and_a_revision_posts_the_difference():
    held = {"procore.requisition.101.55": journals.Posted({"100": Decimal("1000.00")}, 1, "9001")}
    same = journals.map_journals([cost()], RULES, posted=held, **MATCH)
    assert same.records[0].agrees_with_target() and same.records[0].target_id == "9001"
    revised = journals.map_journals([cost(amounts=(("901", "1200.00"), ("902", "50.00")))], RULES, posted=held, **MATCH)
    payload = revised.records[0].payload
    assert payload["reference"] == "procore.requisition.101.55.2"
    assert [(line.get("code_combination_id"), line["dr"], line["cr"]) for line in payload["lines"]] == [
        ("100", "200.00", None),
        ("110", "50.00", None),
        (None, None, "250.00"),
    ]


def test_an_approval_withdrawn_reverses_what_was_posted_and_an_unposted_draft_is_skipped():
    held = {"procore.requisition.101.55": journals.Posted({"100": Decimal("1000.00")}, 1)}
    reversed_ = journals.map_journals([cost(status="revise_and_resubmit")], RULES, posted=held, **MATCH)
    lines = reversed_.records[0].payload["lines"]
    assert (lines[0]["cr"], lines[1]["dr"]) == ("1000.00", "1000.00")
    draft = journals.map_journals([cost(status="draft")], RULES, posted={}, **MATCH)
    assert not draft.records and draft.excluded


def test_unknown_purchase_orders_and_unmapped_cost_codes_are_dead_letters_with_the_reason():
    unknown_po = journals.map_journals([cost()], RULES, posted={}, **{**MATCH, "purchase_orders": {}})
    assert "commitment 77" in unknown_po.rejected[0].reason
    unmapped = journals.map_journals([cost(amounts=(("903", "10.00"),))], RULES, posted={}, **MATCH)
    assert "cost code 903" in unmapped.rejected[0].reason


def test_posted_journals_are_read_back_net_of_their_accrual_lines_with_the_latest_one_s_id():
    rows = [
        {
            "REFERENCE": "procore.requisition.101.55.2",
            "JE_HEADER_ID": "9002",
            "LINES": [
                {"CODE_COMBINATION_ID": "100", "SEGMENT3": "5100", "ENTERED_DR": "200.00", "ENTERED_CR": None},
                {"CODE_COMBINATION_ID": "300", "SEGMENT3": "2110", "ENTERED_DR": None, "ENTERED_CR": "200.00"},
            ],
        },
        {
            "REFERENCE": "procore.requisition.101.55.1",
            "JE_HEADER_ID": "9001",
            "LINES": [
                {"CODE_COMBINATION_ID": "100", "SEGMENT3": "5100", "ENTERED_DR": "1000.00", "ENTERED_CR": None},
                {"CODE_COMBINATION_ID": "300", "SEGMENT3": "2110", "ENTERED_DR": None, "ENTERED_CR": "1000.00"},
            ],
        },
        {"REFERENCE": "procore.requisition.101.555.1", "LINES": []},
    ]
    posted = journals.posted_of(rows, ["procore.requisition.101.55"], RULES)
    assert posted == {"procore.requisition.101.55": journals.Posted({"100": Decimal("1200.00")}, 2, "9002")}
