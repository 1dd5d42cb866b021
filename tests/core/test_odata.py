from decimal import Decimal
from urllib.parse import unquote

from ml_connector_dagster.mapping.dynamics_sales import bind
from ml_connector_dagster.odata import key_path, key_predicate, literal


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


def test_a_bind_path_quotes_the_external_id_as_a_key_literal_and_percent_encodes_it_for_a_url():
    assert bind("accounts", "mlc_externalid", "o.p.O'Hara") == "/accounts(mlc_externalid='o.p.O''Hara')"
    assert bind("accounts", "mlc_externalid", 'a b"é%41') == "/accounts(mlc_externalid='a%20b%22%C3%A9%2541')"


def test_a_key_path_encodes_what_a_service_would_decode_split_or_refuse_and_keeps_the_literal_quotes():
    path = key_path("accounts", {"mlc_externalid": "%41 #?/&+:日🚀'"})
    assert path == "accounts(mlc_externalid='%2541%20%23%3F%2F%26%2B%3A%E6%97%A5%F0%9F%9A%80''')"
    assert path.isascii() and unquote(path) == "accounts(mlc_externalid='%41 #?/&+:日🚀''')"
    assert key_path("lines", {"doc": "S-1", "n": 2}) == "lines(doc='S-1',n=2)"
