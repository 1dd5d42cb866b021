from decimal import Decimal

from ml_connector_dagster.mapping.dynamics_sales import bind
from ml_connector_dagster.odata import key_predicate, literal


def test_a_quote_inside_a_string_literal_is_doubled():
    assert literal("O'Brien & Sons") == "'O''Brien & Sons'"
    assert literal("''") == "''''''"
    assert literal("") == "''"


def test_numbers_booleans_and_null_are_literals_without_quotes():
    assert [literal(1001), literal(2.5), literal(Decimal("10.00")), literal(True), literal(False), literal(None)] == [
        "1001",
        "2.5",
        "10.00",
        "true",
        "false",
        "null",
    ]


def test_a_compound_key_names_each_part_in_the_order_given():
    assert key_predicate({"dataAreaId": "usmf", "CustomerAccount": "O'1"}) == "dataAreaId='usmf',CustomerAccount='O''1'"
    assert key_predicate({"salesorderid": "S-1", "lineitemnumber": 2}) == "salesorderid='S-1',lineitemnumber=2"


def test_a_bind_path_quotes_the_external_id_as_a_key_literal():
    assert (
        bind("accounts", "mlc_externalid", "oracle_ebs:party:O'Hara")
        == "/accounts(mlc_externalid='oracle_ebs:party:O''Hara')"
    )
