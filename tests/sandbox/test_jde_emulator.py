"""The JDE AIS emulator over plain httpx: strict where AIS is (content type, credentials, devices, timeouts,
returnControlIDs, operators, date literals, result-set expiry, orchestration inputs)."""

from datetime import UTC, date, datetime

import httpx
import pytest

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.jde import JdeEmulator
from ml_connector_dagster.sandbox.server import SandboxServer

CREDENTIALS = {
    "username": SANDBOX.jde_user,
    "password": SANDBOX.jde_password,
    "environment": SANDBOX.jde_environment,
    "role": SANDBOX.jde_role,
    "deviceName": "tests",
}


@pytest.fixture
def ais():
    emulator = JdeEmulator(clock=Clock(frozen_at=datetime(2026, 10, 4, 9, tzinfo=UTC)), customers=12, vendors=3, days=3)
    with SandboxServer([emulator]) as server, httpx.Client(base_url=server.url("jde")) as http:
        yield emulator, http


def token(http: httpx.Client) -> str:
    answer = http.post("/jderest/v2/tokenrequest", json=CREDENTIALS)
    assert answer.status_code == 200
    return answer.json()["userInfo"]["token"]


def headers(value: str, device: str = "tests") -> dict:
    return {"jde-AIS-Auth": value, "jde-AIS-Auth-Device": device}


def browse(http, value, **body) -> httpx.Response:
    request = {"targetName": "F0101", "targetType": "table", "dataServiceType": "BROWSE", **body}
    return http.post("/jderest/v2/dataservice", json=request, headers=headers(value))


def condition(alias: str, operator: str, *values) -> dict:
    return {
        "controlId": f"F0101.{alias}",
        "operator": operator,
        "value": [{"content": v, "specialValueId": "LITERAL"} for v in values],
    }


def test_the_token_answer_has_the_documented_shape(ais):
    _, http = ais
    answer = http.post("/jderest/v2/tokenrequest", json=CREDENTIALS).json()
    assert answer["userInfo"]["simpleDateFormat"] == "MM/dd/yyyy" and answer["userInfo"]["dateFormat"] == "MDE"
    assert {"username", "environment", "role", "jasserver", "aisSessionCookie"} <= answer.keys()
    assert "dateSeperator" in answer["userInfo"]


def test_basic_credentials_with_the_auth_headers_are_accepted(ais):
    _, http = ais
    answer = http.post(
        "/jderest/v2/tokenrequest",
        json={},
        auth=(SANDBOX.jde_user, SANDBOX.jde_password),
        headers={"jde-AIS-Auth-Environment": SANDBOX.jde_environment, "jde-AIS-Auth-Device": "tests"},
    )
    assert answer.status_code == 200


@pytest.mark.parametrize("change", [{"password": "nope"}, {"environment": "JPD920"}, {"role": "ADMIN"}])
def test_refused_credentials_are_a_403_service_error(ais, change):
    _, http = ais
    answer = http.post("/jderest/v2/tokenrequest", json={**CREDENTIALS, **change})
    assert answer.status_code == 403 and answer.json()["status"] == "ERROR" and "message" in answer.json()


def test_a_body_that_is_not_json_is_refused(ais):
    _, http = ais
    assert http.post("/jderest/v2/tokenrequest", content="x", headers={"Content-Type": "text/plain"}).status_code == 415


def test_a_token_is_bound_to_its_device_and_dies_at_logout(ais):
    _, http = ais
    value = token(http)
    rows = {"returnControlIDs": "F0101.AN8", "query": {"condition": [condition("AN8", "GREATER", "0")]}}
    assert browse(http, value, **rows).status_code == 200
    other = http.post("/jderest/v2/dataservice", json={"targetName": "F0101", **rows}, headers=headers(value, "else"))
    assert other.status_code == 444
    assert http.post("/jderest/v2/tokenrequest/validate", json={"token": value}).json()["isValidSession"]
    assert http.post("/jderest/v2/tokenrequest/logout", json={"token": value}).status_code == 200
    assert browse(http, value, **rows).status_code == 444
    assert http.post("/jderest/v2/tokenrequest/logout", json={"token": value}).status_code == 444


@pytest.mark.parametrize("minutes, valid", [(29, True), (31, False)])
def test_an_idle_token_expires(ais, minutes, valid):
    emulator, http = ais
    value = token(http)
    emulator.clock.advance(minutes * 60)
    assert http.post("/jderest/v2/tokenrequest/validate", json={"token": value}).json()["isValidSession"] is valid


def test_a_token_outlives_no_time_to_live_however_busy(ais):
    emulator, http = ais
    value = token(http)
    for _ in range(3):
        emulator.clock.advance(25 * 60)
        http.post("/jderest/v2/tokenrequest/validate", json={"token": value, "touch": True})
    assert not http.post("/jderest/v2/tokenrequest/validate", json={"token": value}).json()["isValidSession"]


def test_return_control_ids_are_required_and_checked(ais):
    _, http = ais
    value = token(http)
    assert browse(http, value).status_code == 500
    assert browse(http, value, returnControlIDs="F0111.AN8").status_code == 500


def test_rows_are_keyed_by_table_and_alias_with_dates_and_times_rendered_as_ais_does(ais):
    _, http = ais
    answer = browse(
        http,
        token(http),
        returnControlIDs="F0101.AN8|F0101.ALPH|F0101.UPMJ|F0101.UPMT",
        query={"condition": [condition("AN8", "EQUAL", "4001")]},
    ).json()
    grid = answer["fs_DATABROWSE_F0101"]["data"]["gridData"]
    [row] = grid["rowset"]
    assert set(row) == {"F0101_AN8", "F0101_ALPH", "F0101_UPMJ", "F0101_UPMT"}
    assert isinstance(row["F0101_AN8"], int) and isinstance(row["F0101_UPMT"], int)
    assert len(row["F0101_UPMJ"]) == 8 and row["F0101_UPMJ"].startswith("2026")
    assert grid["summary"] == {"records": 1, "moreRecords": False} and "links" not in answer


@pytest.mark.parametrize(
    "conditions, match, expected",
    [
        ([condition("AN8", "BETWEEN", "4002", "4004")], "MATCH_ALL", [4002, 4003, 4004]),
        ([condition("AN8", "LIST", "4001", "4005")], "MATCH_ALL", [4001, 4005]),
        ([condition("AN8", "LESS", "4003"), condition("AN8", "EQUAL", "4010")], "MATCH_ANY", [4001, 4002, 4010]),
        ([condition("AN8", "LESS", "4004"), condition("AN8", "NOT_EQUAL", "4002")], "MATCH_ALL", [4001, 4003]),
        ([condition("AT1", "EQUAL", "V")], "MATCH_ALL", [4013, 4014, 4015]),
        ([condition("ALKY", "STR_START_WITH", "V")], "MATCH_ALL", [4013, 4014, 4015]),
    ],
)
def test_conditions_select_rows(ais, conditions, match, expected):
    _, http = ais
    answer = browse(
        http,
        token(http),
        returnControlIDs="F0101.AN8",
        maxPageSize="No Max",
        query={"matchType": match, "condition": conditions},
    )
    assert [row["F0101_AN8"] for row in answer.json()["fs_DATABROWSE_F0101"]["data"]["gridData"]["rowset"]] == expected


def test_unverified_operators_are_refused_unless_enabled(ais):
    emulator, http = ais
    value = token(http)
    query = {"condition": [condition("AN8", "GREATER_EQUAL", "4014")]}
    assert browse(http, value, returnControlIDs="F0101.AN8", query=query).status_code == 500
    emulator.update_settings({"unverified_operators": True})
    assert (
        len(
            browse(http, value, returnControlIDs="F0101.AN8", query=query).json()["fs_DATABROWSE_F0101"]["data"][
                "gridData"
            ]["rowset"]
        )
        == 2
    )


@pytest.mark.parametrize(
    "mode, good, bad",
    [("user", "10/01/2026", "20261001"), ("julian", "126274", "10/01/2026"), ("yyyyMMdd", "20261001", "126274")],
)
def test_a_date_literal_is_accepted_only_in_the_configured_format(ais, mode, good, bad):
    emulator, http = ais
    emulator.update_settings({"date_literal": mode})
    value = token(http)
    assert (
        browse(
            http, value, returnControlIDs="F0101.AN8", query={"condition": [condition("UPMJ", "GREATER", good)]}
        ).status_code
        == 200
    )
    refused = browse(
        http, value, returnControlIDs="F0101.AN8", query={"condition": [condition("UPMJ", "GREATER", bad)]}
    )
    assert refused.status_code == 500 and "Invalid date value" in refused.json()["message"]


def test_next_links_only_when_asked_and_result_sets_expire(ais):
    emulator, http = ais
    value = token(http)
    body = {
        "returnControlIDs": "F0101.AN8",
        "maxPageSize": "5",
        "query": {"condition": [condition("AN8", "GREATER", "0")]},
    }
    assert "links" not in browse(http, value, **body).json()
    first = browse(http, value, enableNextPageProcessing="true", **body).json()
    href = first["links"][0]["href"]
    second = http.get(href, headers=headers(value)).json()
    assert [r["F0101_AN8"] for r in second["fs_DATABROWSE_F0101"]["data"]["gridData"]["rowset"]] == [
        4006,
        4007,
        4008,
        4009,
        4010,
    ]
    emulator.clock.advance(61)
    assert http.post(second["links"][0]["href"], headers=headers(value)).status_code == 500


def test_orchestrations_validate_as_the_forms_do(ais):
    emulator, http = ais
    value = token(http)

    def run(name, inputs):
        return http.post(f"/jderest/v3/orchestrator/{name}", json=inputs, headers=headers(value))

    for inputs, text in [
        ({"SearchType": "C"}, "AlphaName is required"),
        ({"AlphaName": "x" * 41, "SearchType": "C"}, "length of 40"),
        ({"AlphaName": "A", "SearchType": "E"}, "Search Type"),
        ({"AlphaName": "A", "SearchType": "C", "Country": "XX"}, "UDC 00/CN"),
        ({"AlphaName": "A", "SearchType": "C", "CreditLimit": "-1"}, "negative"),
        ({"AlphaName": "A", "SearchType": "C", "CreditLimit": 5}, "must be a string"),
        ({"AlphaName": "A", "SearchType": "C", "Colour": "red"}, "Unknown input"),
    ]:
        refused = run("MLC_AddCustomer", inputs)
        assert refused.status_code == 500 and text in refused.json()["message"], inputs
    assert "Address Number" in run("MLC_UpdateContact", {"AddressNumber": "1", "LineNumber": "1"}).json()["message"]
    assert run("MLC_Nope", {}).status_code == 404
    standard = run(
        "MLC_AddContact", {"inputs": [{"name": "AddressNumber", "value": "4001"}, {"name": "Surname", "value": "Li"}]}
    )
    assert standard.json()["jde__status"] == "SUCCESS" and standard.json()["LineNumber"].isdigit()
    assert (
        http.post(
            "/jderest/v2/orchestrator/MLC_AddCustomer",
            json={"AlphaName": "B", "SearchType": "V"},
            headers=headers(value),
        ).status_code
        == 200
    )


def test_an_admin_edit_stamps_the_row_as_a_jde_user_would(ais):
    emulator, http = ais
    edited = http.patch("/_admin/tables/F0101/4001", json={"ALPH": "Renamed"}).json()
    assert (edited["ALPH"], edited["UPMJ"], edited["UPMT"]) == ("Renamed", 126277, 90000)
    assert http.get("/_admin/tables/F0101/4001").json()["ALPH"] == "Renamed"
    assert http.patch("/_admin/tables/F0101/4001", json={"AN8": 1}).status_code == 422
    assert http.get("/_admin/tables/F0101/1").status_code == 404


def test_the_seed_holds_customers_suppliers_contacts_and_awkward_values(ais):
    emulator, _ = ais
    people = emulator.rows("F0101")
    assert {p["AT1"] for p in people} == {"C", "V"}
    assert any(len(p["ALPH"]) == 40 for p in people) and any(not p["ALPH"].isascii() for p in people)
    assert any(r["EMAL"] == "" for r in emulator.rows("F01151"))
    assert any(r["IDLN"] >= 1 for r in emulator.rows("F0111"))
    assert len(emulator.rows("F03012")) == 12
    assert all(r["UPMJ"] >= 126274 for r in people), "no dormant records asked for"
    assert date(2026, 10, 1).timetuple().tm_yday == 274
