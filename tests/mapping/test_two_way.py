"""Field ownership, echo suppression and duplicate matching of two-way pairs, without HTTP or Dagster."""

from datetime import UTC, datetime, timedelta

import pytest

from ml_connector_dagster.mapping.two_way import (
    Counterpart,
    Side,
    check_ownership,
    merge,
    reconcile,
    unique_matches,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OWNERS = {"credit": "jde", "phone": "zoho_crm", "terms": "last_writer"}


def sides(jde: dict, zoho: dict, *, jde_at=T0, zoho_at=T0):
    return Side("jde", jde, jde_at), Side("zoho_crm", zoho, zoho_at)


def test_what_the_connector_wrote_coming_back_is_no_change():
    agreed = {"credit": "5000.00", "phone": "1", "terms": "N30"}
    merged = merge(*sides(dict(agreed), dict(agreed)), agreed=agreed, owners=OWNERS, tie="jde")
    assert merged.to == {"jde": {}, "zoho_crm": {}}
    assert merged.conflicts == ()


def test_an_edit_on_one_side_goes_to_the_other():
    agreed = {"credit": "5000.00", "phone": "1", "terms": "N30"}
    merged = merge(*sides(agreed, {**agreed, "terms": "N60"}), agreed=agreed, owners=OWNERS, tie="jde")
    assert merged.to == {"jde": {"terms": "N60"}, "zoho_crm": {}}
    merged = merge(*sides({**agreed, "terms": "N10"}, agreed), agreed=agreed, owners=OWNERS, tie="jde")
    assert merged.to == {"jde": {}, "zoho_crm": {"terms": "N10"}}


def test_the_owner_puts_back_an_edit_on_the_other_side():
    agreed = {"credit": "5000.00", "phone": "1", "terms": "N30"}
    merged = merge(
        *sides(agreed, {**agreed, "credit": "9999.00", "phone": "2"}), agreed=agreed, owners=OWNERS, tie="jde"
    )
    assert merged.to == {"jde": {"phone": "2"}, "zoho_crm": {"credit": "5000.00"}}
    assert merged.conflicts == ()  # one side edited each: not a conflict


def test_both_sides_editing_a_field_is_settled_by_the_owner_and_keeps_both_values():
    agreed = {"credit": "5000.00", "phone": "1", "terms": "N30"}
    merged = merge(
        *sides({**agreed, "credit": "6000.00"}, {**agreed, "credit": "7000.00"}),
        agreed=agreed,
        owners=OWNERS,
        tie="jde",
    )
    assert merged.values["credit"] == "6000.00"
    (conflict,) = merged.conflicts
    assert conflict.audited() == {
        "field": "credit",
        "jde": "6000.00",
        "zoho_crm": "7000.00",
        "agreed": "5000.00",
        "winner": "jde",
        "rule": "owned by jde",
    }


@pytest.mark.parametrize(("jde_later", "winner", "value"), [(True, "jde", "N10"), (False, "zoho_crm", "N60")])
def test_last_writer_goes_to_the_side_that_changed_later(jde_later, winner, value):
    agreed = {"credit": "5000.00", "phone": "1", "terms": "N30"}
    later = T0 + timedelta(minutes=5)
    merged = merge(
        *sides(
            {**agreed, "terms": "N10"},
            {**agreed, "terms": "N60"},
            jde_at=later if jde_later else T0,
            zoho_at=T0 if jde_later else later,
        ),
        agreed=agreed,
        owners=OWNERS,
        tie="jde",
    )
    assert merged.values["terms"] == value
    assert merged.conflicts[0].winner == winner
    assert merged.conflicts[0].rule == f"last_writer: {winner} changed later"


def test_never_agreed_records_fill_blanks_and_count_every_other_difference_as_a_conflict():
    merged = merge(
        *sides({"credit": "1.00", "phone": "1", "terms": None}, {"credit": "2.00", "phone": "2", "terms": "A"}),
        agreed=None,
        owners=OWNERS,
        tie="jde",
    )
    assert merged.values == {"credit": "1.00", "phone": "2", "terms": "A"}
    assert {c.field for c in merged.conflicts} == {"credit", "phone"}


def test_agreement_after_a_write_keeps_what_the_source_must_still_receive():
    agreed = {"credit": "5000.00", "phone": "1", "terms": "N30"}
    jde, zoho = sides({**agreed, "credit": "6000.00"}, {**agreed, "phone": "2"})
    merged = merge(jde, zoho, agreed=agreed, owners=OWNERS, tie="jde")
    # the forward write sends credit to Zoho; JDE still waits for the phone, so its agreement stays as it was
    assert merged.agreed_after(jde) == {"credit": "6000.00", "phone": "1", "terms": "N30"}


def test_reconcile_writes_only_where_a_side_differs_and_puts_back_what_the_owner_holds():
    agreed = {"credit": "5000.00", "phone": "1", "terms": "N30"}
    source = Side("jde", dict(agreed), T0)

    def reconciled(zoho_values):
        counterpart = Counterpart("z1", Side("zoho_crm", zoho_values, T0), {"id": "z1"}, agreed)
        return reconcile(
            "4242",
            source,
            counterpart,
            ident={"id": "z1"},
            payload_of=dict,
            owners=OWNERS,
            tie="jde",
            back_ident={"AddressNumber": "4242"},
            back_of=dict,
        )

    done = reconciled({**agreed, "phone": "2"})
    assert done.record.agrees_with_target()  # Zoho's phone edit goes to JDE; Zoho needs nothing
    assert done.back.payload == {"AddressNumber": "4242", **agreed, "phone": "2"}
    assert done.back.current["phone"] == "1" and not done.back.agrees_with_target()
    done = reconciled({**agreed, "credit": "1.00"})  # JDE owns the credit limit: Zoho's edit is put back
    assert not done.record.agrees_with_target() and done.back is None
    assert done.record.payload["credit"] == "5000.00" and done.record.current["credit"] == "1.00"


def test_ownership_rules_name_every_shared_field():
    fields = {"account": ("credit", "phone", "terms")}
    check_ownership({"account": OWNERS}, ("jde", "zoho_crm"), fields)
    with pytest.raises(ValueError) as refused:
        check_ownership({"account": {"credit": "sap_ecc", "phone": "jde", "fax": "jde"}}, ("jde", "zoho_crm"), fields)
    message = str(refused.value)
    assert "account.terms: no owner" in message
    assert "account.fax: not a shared field" in message
    assert "account.credit: owner 'sap_ecc'" in message


def test_a_duplicate_matches_on_either_key_and_an_ambiguous_one_is_never_guessed():
    zoho = [
        {"id": "z1", "Account_Email": "AP@Acme.example", "Tax_ID": None, "JDE_Address_Number": None},
        {"id": "z2", "Account_Email": None, "Tax_ID": "DE123", "JDE_Address_Number": None},
        {"id": "z3", "Account_Email": "ap@other.example", "Tax_ID": "FR9", "JDE_Address_Number": None},
        {"id": "z4", "Account_Email": "x@y.example", "Tax_ID": None, "JDE_Address_Number": "77"},
    ]
    wanted = {
        "1": {"Account_Email": "ap@acme.example ", "Tax_ID": "DE123"},  # e-mail → z1, tax → z2
        "2": {"Account_Email": "ap@other.example", "Tax_ID": None},  # → z3
        "3": {"Account_Email": "nobody@none.example", "Tax_ID": "FR9"},  # → z3 too: two claim z3
        "77": {"Account_Email": None, "Tax_ID": None},  # its own key
        "5": {"Account_Email": "x@y.example", "Tax_ID": None},  # z4 belongs to 77
    }
    matches = unique_matches(wanted, zoho, key_field="JDE_Address_Number")
    unique, ambiguous = matches.unique, matches.ambiguous
    assert {key: record["id"] for key, record in unique.items()} == {"77": "z4"}
    assert set(ambiguous) == {"1", "2", "3"}
    assert "z1 matches on Account_Email" in ambiguous["1"] and "z2 matches on Tax_ID" in ambiguous["1"]
    assert "z3 matches this record and 3 too" in ambiguous["2"]
