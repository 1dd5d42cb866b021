"""The SAP Gateway emulator over real HTTP: SAP's own OData v2 client (pyodata) reads it unchanged, and the protocol
details a hand-written client depends on hold (envelope, /Date()/, paging, filters, errors, change documents)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pyodata
import pytest
import requests

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.sap_ecc import SapEccEmulator
from ml_connector_dagster.sandbox.sap_ecc.emulator import SAP_PASSWORD, SAP_USER
from ml_connector_dagster.sandbox.server import SandboxServer

SERVICE = "/sap/opu/odata/sap/ZMLC_ECC_SYNC_SRV/"


@pytest.fixture(scope="module")
def sap():
    emulator = SapEccEmulator(
        clock=Clock(frozen_at=datetime(2026, 10, 2, 9, 30, tzinfo=UTC)),
        vendors=60,
        customers=90,
        orders=40,
        start_date=date(2026, 10, 1),
        days=3,
    )
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("sap_ecc") + SERVICE


def get(url: str, **params) -> httpx.Response:
    return httpx.get(url, params={"sap-client": "100", "$format": "json", **params}, auth=(SAP_USER, SAP_PASSWORD))


def test_pyodata_reads_every_entity_set_unchanged(sap):
    emulator, root = sap
    session = requests.Session()
    session.auth = (SAP_USER, SAP_PASSWORD)
    session.params = {"sap-client": "100"}
    client = pyodata.Client(root, session)
    vendors = client.entity_sets.LFA1Set.get_entities().execute()
    assert len(vendors) == 60 and vendors[0].LIFNR == "0000100001"
    assert isinstance(vendors[0].ERDAT, datetime)
    one = client.entity_sets.EKPOSet.get_entity(EBELN="4500000001", EBELP="00010").execute()
    assert Decimal(one.NETWR) == Decimal(emulator.rows("EKPO", EBELN="4500000001", EBELP="00010")[0]["NETWR"])
    filtered = client.entity_sets.KNA1Set.get_entities().filter("LAND1 eq 'DE'").execute()
    assert all(c.LAND1 == "DE" for c in filtered)
    assert client.entity_sets.EKKOSet.get_entities().count().execute() == 40


def test_the_v2_envelope_dates_decimals_and_initial_values(sap):
    _, root = sap
    body = get(root + "EKPOSet", **{"$top": "2", "$inlinecount": "allpages"}).json()["d"]
    first = body["results"][0]
    assert first["__metadata"]["type"] == "ZMLC_ECC_SYNC_SRV.EKPO"
    assert first["__metadata"]["uri"].endswith("EKPOSet(EBELN='4500000001',EBELP='00010')")
    assert first["AEDAT"].startswith("/Date(") and isinstance(first["NETWR"], str) and first["LOEKZ"] == ""
    assert int(body["__count"]) > 2 and "__next" not in body
    assert "MANDT" not in first


def test_server_driven_paging_and_datetime_filters(sap):
    emulator, root = sap
    emulator.update_settings({"server_page_size": 25})
    try:
        url, seen = root + "LFA1Set", []
        params = {"$filter": "ERDAT ge datetime'2026-10-02T00:00:00'"}
        while url:
            body = (get(url, **params) if params else httpx.get(url, auth=(SAP_USER, SAP_PASSWORD))).json()["d"]
            seen += [row["LIFNR"] for row in body["results"]]
            url, params = body.get("__next"), None
    finally:
        emulator.update_settings({"server_page_size": 1000})
    expected = sorted(r["LIFNR"] for r in emulator.rows("LFA1") if r["ERDAT"] >= "20261002")
    assert seen == expected and len(seen) > 25
    assert get(root + "LFA1Set", **{"$filter": "ERDAT ge datetime'2026-10-02T00:00:00Z'"}).status_code == 400


def test_auth_client_and_errors_in_sap_shape(sap):
    _, root = sap
    assert httpx.get(root + "LFA1Set", params={"$format": "json"}).status_code == 401
    assert get(root + "LFA1Set", **{"sap-client": "800"}).status_code == 401
    missing = get(root + "LFA1Set('9999999999')")
    assert missing.status_code == 404 and missing.json()["error"]["message"]["lang"] == "en"
    bad = get(root + "LFA1Set", **{"$filter": "NOPE eq 'x'"})
    assert bad.status_code == 400 and bad.json()["error"]["innererror"]["errordetails"][0]["severity"] == "error"
    assert get(root + "LFA1Set/$count").text == "60"


def test_an_edit_writes_change_documents(sap):
    emulator, root = sap
    row = emulator.update_row("LFA1", {"LIFNR": "0000100003"}, {"NAME1": "Renamed Lieferant GmbH"})
    assert row["NAME1"] == "Renamed Lieferant GmbH"
    [header] = emulator.rows("CDHDR", OBJECTCLAS="KRED", OBJECTID="0000100003")
    assert (header["UDATE"], header["UTIME"], header["TCODE"]) == ("20261002", "093000", "XK02")
    [item] = emulator.rows("CDPOS", CHANGENR=header["CHANGENR"])
    assert (item["TABNAME"], item["FNAME"], item["VALUE_NEW"]) == ("LFA1", "NAME1", "Renamed Lieferant GmbH")
    changed = get(root + "CDHDRSet", **{"$filter": "OBJECTCLAS eq 'KRED' and UDATE eq datetime'2026-10-02T00:00:00'"})
    assert [r["OBJECTID"] for r in changed.json()["d"]["results"]] == ["0000100003"]


def test_dormant_partners_are_created_before_the_start_date_and_leave_the_rest_of_the_seed_as_it_was():
    size = {"vendors": 60, "customers": 90, "orders": 40, "start_date": date(2026, 10, 1), "days": 3}
    plain = SapEccEmulator(**size)
    go_live = SapEccEmulator(**size, dormant_vendors=5, dormant_customers=7)
    for table, key, dormant in (("LFA1", "LIFNR", 5), ("LFB1", "LIFNR", 5), ("KNA1", "KUNNR", 7), ("KNB1", "KUNNR", 7)):
        seeded = {row[key] for row in plain.rows(table)}
        rows = go_live.rows(table)
        assert [row for row in rows if row[key] in seeded] == plain.rows(table)
        older = {row[key] for row in rows if row[key] not in seeded}
        assert len(older) == dormant and all(row["ERDAT"] < "20261001" for row in rows if row[key] in older)
    assert go_live.rows("EKKO") == plain.rows("EKKO") and not go_live.rows("CDHDR")
