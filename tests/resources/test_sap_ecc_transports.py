"""Both `sap_ecc` transports against the same seeded system: SAP Gateway OData v2 over HTTP and RFC_READ_TABLE
through the sandbox's pyrfc stand-in give identical rows; RFC specifics (512-character rows, 72-character OPTIONS
lines, communication failures, logon errors, a missing pyrfc) behave as documented."""

from datetime import UTC, date, datetime

import pytest
from ml_connector_dagster.resources.sap_ecc import SapEccResource
from ml_connector_dagster.resources.sap_ecc.query import Condition, Select, open_sql_lines

from ml_connector_dagster.http import ApiError, AuthError
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.sap_ecc import SapEccEmulator, rfc
from ml_connector_dagster.sandbox.sap_ecc.emulator import SAP_PASSWORD, SAP_USER
from ml_connector_dagster.sandbox.sap_ecc.schema import TABLES
from ml_connector_dagster.sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def sap():
    emulator = SapEccEmulator(
        clock=Clock(frozen_at=datetime(2026, 10, 2, 9, tzinfo=UTC)),
        vendors=45,
        customers=70,
        orders=30,
        start_date=date(2026, 10, 1),
        days=3,
    )
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("sap_ecc")


def odata(sap, **overrides) -> SapEccResource:
    return SapEccResource(
        **{
            "transport": "odata",
            "base_url": sap[1],
            "username": SAP_USER,
            "password": SAP_PASSWORD,
            "page_size": 17,
            **overrides,
        }
    )


def over_rfc(sap, **overrides) -> SapEccResource:
    return SapEccResource(
        **{
            "transport": "rfc",
            "ashost": sap[0].rfc_host,
            "username": SAP_USER,
            "password": SAP_PASSWORD,
            "rfc_module": rfc.__name__,
            "page_size": 17,
            **overrides,
        }
    )


def select_all(table: str, *where: Condition) -> Select:
    spec = TABLES[table]
    fields = tuple(f.name for f in spec.fields if f.name not in ("MANDT", "MANDANT"))
    return Select(table, fields, spec.keys, where)


@pytest.mark.parametrize("table", ["LFA1", "LFB1", "KNA1", "KNB1", "EKKO", "EKPO", "CDHDR", "CDPOS"])
def test_both_transports_read_identical_rows(sap, table):
    sap[0].update_row("LFA1", {"LIFNR": "0000100002"}, {"NAME1": "Geändert AG"})
    with odata(sap).open() as gateway, over_rfc(sap).open() as remote:
        by_gateway = list(gateway.select(select_all(table)))
        by_rfc = list(remote.select(select_all(table)))
    assert by_gateway and by_gateway == by_rfc


def test_filters_and_key_lists_agree(sap):
    query = Select(
        "LFA1",
        ("LIFNR", "NAME1", "ERDAT", "LAND1"),
        ("LIFNR",),
        (Condition("ERDAT", ">=", "20261002", is_date=True), Condition("LOEVM", "=", "")),
        any_of=("LAND1", ("DE", "PL", "FR")),
    )
    with odata(sap).open() as gateway, over_rfc(sap).open() as remote:
        rows = list(gateway.select(query))
        assert rows == list(remote.select(query))
    expected = [
        r
        for r in sap[0].rows("LFA1")
        if r["ERDAT"] >= "20261002" and not r["LOEVM"] and r["LAND1"] in ("DE", "PL", "FR")
    ]
    assert [r["LIFNR"] for r in rows] == [r["LIFNR"] for r in expected] and rows


def test_option_lines_never_exceed_72_characters_nor_split_a_literal():
    keys = tuple(f"{100000 + n:010d}" for n in range(40))
    lines = open_sql_lines(Select("LFA1", ("LIFNR",), ("LIFNR",), any_of=("LIFNR", keys)))
    assert all(len(line) <= 72 for line in lines) and len(lines) > 5
    assert all(line.count("'") % 2 == 0 for line in lines)


def test_wide_rows_are_read_in_column_groups_under_512_characters(sap):
    emulator, _ = sap
    wide = Select("CDPOS", tuple(f.name for f in TABLES["CDPOS"].fields), TABLES["CDPOS"].keys)
    with pytest.raises(rfc.ABAPApplicationError) as exceeded:
        rfc.read_table(emulator, QUERY_TABLE="CDPOS", FIELDS=[{"FIELDNAME": n} for n in wide.fields])
    assert exceeded.value.key == "DATA_BUFFER_EXCEEDED"
    with over_rfc(sap).open() as remote:
        rows = list(remote.select(wide))
        calls = remote.counter.total
    assert rows and all(set(row) == set(wide.fields) for row in rows) and calls >= 3


def test_communication_failures_are_retried_and_logon_errors_are_clear(sap):
    emulator, _ = sap
    emulator.update_settings({"rfc_communication_failures": 2})
    with over_rfc(sap).open() as remote:
        remote.sleep = lambda seconds: None
        assert list(remote.select(select_all("KNB1")))
    assert emulator.settings.rfc_communication_failures == 0
    with over_rfc(sap, password="wrong-password").open() as remote:
        with pytest.raises(AuthError, match="logon refused") as refused:
            list(remote.select(select_all("KNB1")))
    assert "wrong-password" not in str(refused.value)


def test_a_missing_pyrfc_is_a_clear_error():
    resource = SapEccResource(
        transport="rfc", ashost="sap.example.com", username="U", password="p", rfc_module="module_that_does_not_exist"
    )
    with pytest.raises(ApiError, match="sap-rfc"):
        with resource.open():
            pass


def test_a_bad_configuration_names_the_field():
    with pytest.raises(ValueError, match="base_url"):
        SapEccResource(transport="odata", username="U", password="p")
    with pytest.raises(ValueError, match="client"):
        SapEccResource(transport="odata", base_url="https://gw:44300", username="U", password="p", client="1")
