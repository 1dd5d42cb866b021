"""SourceRows without HTTP: a row with a value its model (or converter) cannot read fails the record it belongs to,
named with the field and the raw value, and the other rows map; through `sync` that record is a validation dead
letter counted as failed, resolved by the run that reads the value fixed."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from ml_connector_dagster.assets.salesforce.dynamics_fo import account_payloads
from ml_connector_dagster.resources.jde.rows import decoded
from ml_connector_dagster.resources.sap_ecc.gateway import decimal_text
from pydantic import BaseModel, ConfigDict

from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import WriteResult
from ml_connector_dagster.mapping import dynamics_fo_salesforce as fo
from ml_connector_dagster.mapping import jde_zoho_crm as jde
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as ebs
from ml_connector_dagster.mapping import oracle_ebs_procore as ebs_procore
from ml_connector_dagster.mapping import procore_oracle_ebs as procore
from ml_connector_dagster.mapping import salesforce_dynamics_fo as salesforce
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as sap
from ml_connector_dagster.mapping.common import Excluded, MappingResult
from ml_connector_dagster.mapping.jde_zoho_crm import TwoWayResult
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.sync import SyncTarget, sync

AS_OF = datetime(2026, 10, 3, 18, 0)
PAIR = ebs.PAIR


def party(party_id: str, name: str) -> dict:
    return {"PARTY_ID": party_id, "PARTY_NAME": name, "PARTY_TYPE": "ORGANIZATION", "STATUS": "A"}


def supplier(vendor_id: str, party_id: str, end: str | None) -> dict:
    return {"VENDOR_ID": vendor_id, "PARTY_ID": party_id, "VENDOR_NAME": "x", "END_DATE_ACTIVE": end}


def ebs_accounts(vendors: list[dict]) -> MappingResult:
    """EBS parties 1-3, each a supplier only, mapped as the account payload asset maps them."""
    rows = SourceRows()

    def of_party(row) -> str:
        return ebs.account_key(row["PARTY_ID"])

    result = ebs.map_accounts(
        rows.models(pd.DataFrame([party("1", "One"), party("2", "Two"), party("3", "Three")]), ebs.Party, of_party),
        [],
        [],
        rows.models(vendors, ebs.Vendor, of_party),
        [],
        ebs.Rules(),
        key_column="mlc_externalid",
        as_of=AS_OF,
    )
    return rows.reject_in(result)


@pytest.mark.parametrize("bad", ["2026-02-31T00:00:00", "0000-00-00T00:00:00", "31.12.2026"])
def test_a_bad_date_in_a_supplier_row_rejects_its_partys_account_naming_field_and_value_and_the_rest_map(bad):
    result = ebs_accounts([supplier("10", "1", None), supplier("20", "2", bad), supplier("30", "3", None)])

    assert sorted(r.source_key for r in result.records) == ["oracle_ebs.party.1", "oracle_ebs.party.3"]
    [rejected] = result.rejected
    assert rejected.source_key == "oracle_ebs.party.2", "not mapped as if it had no supplier"
    assert rejected.reason == f"Vendor: END_DATE_ACTIVE {bad!r} is not a date"
    assert rejected.source == {"source_rows": {"Vendor": [supplier("20", "2", bad)]}}
    assert not result.excluded


def test_a_row_whose_key_is_the_bad_value_is_named_by_what_it_holds_and_fails_nothing_else():
    rows = SourceRows()
    good = rows.models(
        [{"VENDOR_ID": None, "VENDOR_NAME": "Nameless"}, {"VENDOR_ID": "7"}],
        ebs_procore.Vendor,
        lambda r: r["VENDOR_ID"],
    )
    result = rows.reject_in(MappingResult(excluded=[Excluded("7", "not a mapped type")]))

    assert [v.VENDOR_ID for v in good] == ["7"]
    [rejected] = result.rejected
    assert rejected.source_key == "unkeyed Vendor: VENDOR_NAME='Nameless'"
    assert rejected.reason == "Vendor: VENDOR_ID is empty"
    assert [e.source_key for e in result.excluded] == ["7"]


def test_an_fo_customer_without_its_number_is_named_by_what_it_holds_and_the_others_map():
    class NoLinks:
        def target_ids_without(self, *args):
            return {}

    customers = pd.DataFrame(
        [
            {"dataAreaId": "USMF", "CustomerAccount": "US-001", "OrganizationName": "Contoso"},
            {"dataAreaId": "USMF", "CustomerAccount": None, "OrganizationName": "Nameless"},
        ]
    )
    result = account_payloads(customers, fo.Rules(), NoLinks())
    assert [r.source_key for r in result.records] == ["usmf/US-001"]
    [rejected] = result.rejected
    assert rejected.source_key == "unkeyed Customer: dataAreaId='USMF', OrganizationName='Nameless'"
    assert rejected.reason == "Customer: CustomerAccount is empty"


def test_an_owner_that_names_no_record_leaves_the_row_out_and_rejects_nothing():
    rows = SourceRows()
    assert rows.models([{"VENDOR_ID": "1", "END_DATE_ACTIVE": "2026-13-01"}], ebs.Vendor, lambda row: None) == []
    assert rows.reject_in(MappingResult()).rejected == []


def test_every_bad_row_of_a_record_is_named_in_its_one_rejection():
    rows = SourceRows()
    rows.models([{"VENDOR_ID": "1", "PARTY_ID": "9", "END_DATE_ACTIVE": "x"}], ebs.Vendor, lambda r: r["PARTY_ID"])
    rows.models([{"VENDOR_SITE_ID": "5", "VENDOR_ID": "1", "INACTIVE_DATE": "y"}], ebs.VendorSite, lambda r: "9")
    [rejected] = rows.reject_in(MappingResult()).rejected
    assert rejected.reason == "Vendor: END_DATE_ACTIVE 'x' is not a date; VendorSite: INACTIVE_DATE 'y' is not a date"


def test_a_two_way_result_keeps_its_kind_and_a_rejected_record_loses_its_write_back_and_agreement():
    rows = SourceRows()
    rows.models([{"AN8": "7", "UPMJ": 126400}], jde.AddressBook, lambda r: jde.account_key(r["AN8"]))
    result = TwoWayResult(agreements={"7": object(), "8": object()})
    kept = rows.reject_in(result)
    assert isinstance(kept, TwoWayResult) and list(kept.agreements) == ["8"]
    assert kept.rejected[0].reason == "AddressBook: UPMJ 126400 is not a date"


def test_a_frames_rows_reach_the_model_as_python_values_with_a_missing_one_as_none():
    class Typed(BaseModel):
        model_config = ConfigDict(strict=True)
        number: int
        amount: float | None
        text: str | None

    frame = pd.DataFrame({"number": [1, 2], "amount": [1.5, float("nan")], "text": ["a", None]})
    by_object = pd.DataFrame({"number": pd.Series([np.int64(3)], dtype=object), "amount": [None], "text": ["b"]})
    rows = SourceRows()
    models = rows.models(frame, Typed, lambda row: "x") + rows.models(by_object, Typed, lambda row: "x")
    assert [m.model_dump() for m in models] == [
        {"number": 1, "amount": 1.5, "text": "a"},
        {"number": 2, "amount": None, "text": None},
        {"number": 3, "amount": None, "text": "b"},
    ]
    assert not rows.bad


@pytest.mark.parametrize(
    ("model", "row", "problem"),
    [
        (ebs.Contact, {"RELATIONSHIP_ID": "1", "ORG_PARTY_ID": "2", "END_DATE": "2026-02-31"}, "END_DATE '2026-02-31'"),
        (
            ebs_procore.Distribution,
            {
                **{k: "1" for k in ("PO_HEADER_ID", "PO_LINE_ID", "LINE_NUM", "PO_DISTRIBUTION_ID")},
                **{"DISTRIBUTION_NUM": "1", "UNIT_PRICE": "12,50", "QUANTITY_ORDERED": "3", "CODE_COMBINATION_ID": "4"},
            },
            "UNIT_PRICE '12,50' is not a number",
        ),
        (ebs_procore.CodeCombination, {"CODE_COMBINATION_ID": "1", "END_DATE_ACTIVE": "0000-00-00"}, "END_DATE_ACTIVE"),
        (sap.PurchaseOrderItem, {"EBELN": "45", "EBELP": "00010", "NETWR": "*6.38600-"}, "NETWR '*6.38600-'"),
        (sap.PurchaseOrderItem, {"EBELN": "45", "EBELP": "1O"}, "EBELP '1O' is not a whole number"),
        (jde.CustomerMaster, {"AN8": "7", "CO": "00001", "UPMJ": "20261301"}, "UPMJ '20261301' is not a date"),
        (jde.WhosWho, {"AN8": "7", "IDLN": "1", "UPMT": "12:30"}, "UPMT '12:30' is not a whole number"),
        (salesforce.Deal, {"Id": "006", "CloseDate": "2026-02-31"}, "Date '2026-02-31' is not a date"),
        (salesforce.DealLine, {"Id": "00k", "DealId": "006", "Quantity": "two"}, "Quantity 'two' is not a number"),
    ],
)
def test_each_sources_model_names_a_value_it_cannot_read(model, row, problem):
    rows = SourceRows()
    assert rows.models([row], model, lambda r: "the record") == []
    assert problem in rows.bad["the record"][0]


def test_a_reader_passes_on_a_value_it_cannot_convert_for_the_model_to_name():
    assert decimal_text("*6.38600-") == "*6.38600-", "cut on the left: the digits left are not the amount"
    assert decimal_text("12,5") == "12,5"
    assert decimal_text("12.50-") == "-12.5"
    row = decoded("F03012", {"F03012_AN8": 7, "F03012_UPMJ": 126400, "F03012_UPMT": "12:30"}, None)
    assert row == {"AN8": 7, "UPMJ": 126400, "UPMT": "12:30"}
    assert decoded("F0101", {"F0101_UPMJ": 126276}, None)["UPMJ"] == date(2026, 10, 3)


def test_a_journal_reads_only_a_combinations_segments_so_a_bad_end_date_of_it_stops_no_journal():
    combination = ebs_procore.Segments.model_validate(
        {"CODE_COMBINATION_ID": "4", "SEGMENT1": "01", "SEGMENT1_DESC": "Vision", "END_DATE_ACTIVE": "0000-00-00"}
    )
    assert (combination.segment("SEGMENT1"), combination.description("SEGMENT1")) == ("01", "Vision")


def requisition(cost_id: int, billing_date: str, amount: str = "100.00") -> dict:
    return {
        "id": cost_id,
        "project_id": 101,
        "commitment_id": 5,
        "status": "approved",
        "billing_date": billing_date,
        "updated_at": "2026-10-03T12:00:00Z",
        "items": [{"cost_code_id": 9, "work_completed_this_period": amount}],
    }


def test_a_procore_cost_a_field_of_which_cannot_be_read_is_rejected_by_its_key_and_the_others_convert():
    rows = SourceRows()
    costs = rows.converted(
        [requisition(1, "2026-10-01"), requisition(2, "2026-02-31"), requisition(3, "2026-10-01", "1.234,50")],
        procore.requisition_cost,
        procore.cost_owner("requisition"),
        "requisition",
    )
    assert [cost.id for cost in costs] == [1]
    assert rows.bad == {
        "procore.requisition.101.2": ["requisition: billing_date '2026-02-31' is not a date"],
        "procore.requisition.101.3": ["requisition: work_completed_this_period '1.234,50' is not an amount"],
    }


class Writer:
    def __init__(self):
        self.counter = CallCounter()
        self.rows: dict[str, dict] = {}

    def upsert(self, target_object, records):
        self.rows.update({record.source_key: record.payload for record in records})
        return [WriteResult(record.source_key, True, f"id-{record.source_key}") for record in records]

    def existing_keys(self, target_object, known):
        return set(known) & set(self.rows)


def test_through_sync_the_record_is_an_open_validation_dead_letter_counted_failed_and_its_fix_resolves_it(ledger):
    target = SyncTarget(PAIR, "account", Writer(), batch_size=10)
    vendors = [supplier("10", "1", None), supplier("20", "2", "2026-02-31T00:00:00"), supplier("30", "3", None)]
    summary = sync(ebs_accounts(vendors), target, ledger, run_id="r1", partition="2026-10-03")

    assert (summary.created, summary.failed, summary.failures_by_class) == (2, 1, {ErrorClass.VALIDATION: 1})
    [letter] = ledger.open_dead_letters(PAIR, "account")
    assert letter.source_key == "oracle_ebs.party.2" and letter.error_class == ErrorClass.VALIDATION
    assert "END_DATE_ACTIVE '2026-02-31T00:00:00' is not a date" in letter.error_message

    vendors[1] = supplier("20", "2", "2027-01-01T00:00:00")
    fixed = sync(ebs_accounts(vendors), target, ledger, run_id="r2", partition="2026-10-04")
    assert fixed.created == 1 and not ledger.open_dead_letters(PAIR, "account")
    assert ledger.dead_letter(letter.id).resolved_at is not None
