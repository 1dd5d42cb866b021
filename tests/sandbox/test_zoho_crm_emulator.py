"""The Zoho CRM emulator over HTTP with plain httpx: data-centre binding of tokens, the Zoho-oauthtoken scheme, GET
records rules and page tokens, search, upsert and its per-record results, credits, the concurrency cap, watch
channels and their callbacks to a local receiver (dropped or doubled on demand), the admin surface."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.zoho_crm import ZohoCrmEmulator

START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def zoho():
    emulator = ZohoCrmEmulator(clock=Clock(frozen_at=START), prospects=6)
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("zoho_crm")


def refresh(url: str, dc: str = "us", refresh_token: str = SANDBOX.zoho_refresh_token, **kw) -> httpx.Response:
    params = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": SANDBOX.zoho_client_id,
        "client_secret": SANDBOX.zoho_client_secret,
        **kw,
    }
    return httpx.post(f"{url}/accounts/{dc}/oauth/v2/token", params=params)


def api(url: str, dc: str = "us", refresh_token: str = SANDBOX.zoho_refresh_token) -> httpx.Client:
    token = refresh(url, dc, refresh_token).json()
    return httpx.Client(
        base_url=f"{token['api_domain']}/crm/v8", headers={"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
    )


# auth and data centres -----------------------------------------------------------------------------------------------
def test_a_refresh_token_works_only_at_its_own_data_centre(zoho):
    _, url = zoho
    good = refresh(url).json()
    assert good["api_domain"] == f"{url}/api/us" and good["expires_in"] == 3600 and "refresh_token" not in good
    elsewhere = refresh(url, "eu")
    assert elsewhere.status_code == 200 and elsewhere.json() == {"error": "invalid_code"}
    assert refresh(url, client_secret="wrong").json() == {"error": "invalid_client"}
    assert refresh(url, "eu", SANDBOX.zoho_eu_refresh_token).json()["api_domain"] == f"{url}/api/eu"


def test_an_access_token_works_only_at_its_own_api_domain_and_with_zoho_s_scheme(zoho):
    _, url = zoho
    token = refresh(url).json()["access_token"]
    invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
    params = {"fields": "Account_Name"}
    for dc, header in (("eu", f"Zoho-oauthtoken {token}"), ("us", f"Bearer {token}"), ("us", "")):
        answer = httpx.get(f"{url}/api/{dc}/crm/v8/Accounts", params=params, headers={"Authorization": header})
        assert answer.status_code == 401 and answer.json() == invalid
    ok = httpx.get(
        f"{url}/api/us/crm/v8/Accounts", params=params, headers={"Authorization": f"Zoho-oauthtoken {token}"}
    )
    assert ok.status_code == 200


def test_access_tokens_expire_after_an_hour_and_only_thirty_live_per_refresh_token(zoho):
    emulator, url = zoho
    client = api(url)
    emulator.clock.advance(3600)
    assert client.get("/Accounts", params={"fields": "Account_Name"}).status_code == 401
    first = refresh(url).json()["access_token"]
    for _ in range(30):
        refresh(url)
    answer = httpx.get(f"{url}/api/us/crm/v8/org", headers={"Authorization": f"Zoho-oauthtoken {first}"})
    assert answer.status_code == 401 and emulator.tokens.live_count(SANDBOX.zoho_refresh_token) == 30


def test_scopes_are_checked(zoho):
    emulator, url = zoho
    emulator.update_settings({"scopes": "ZohoCRM.modules.ALL"})
    client = api(url)
    assert client.get("/actions/watch").json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert client.get("/Accounts", params={"fields": "Account_Name"}).status_code == 200


# reading ------------------------------------------------------------------------------------------------------------
def test_get_records_requires_fields_and_keeps_zoho_s_limits(zoho):
    _, url = zoho
    client = api(url)
    assert client.get("/Accounts").json()["code"] == "REQUIRED_PARAM_MISSING"
    many = ",".join(["Account_Name"] * 26 + ["Phone"] * 25)
    assert client.get("/Accounts", params={"fields": many}).json()["code"] == "LIMIT_EXCEEDED"
    assert client.get("/Accounts", params={"fields": "Account_Name", "per_page": 201}).status_code == 400
    assert client.get("/Nope", params={"fields": "Account_Name"}).json()["code"] == "INVALID_MODULE"


def test_records_pages_carry_zoho_s_info_and_ids_are_19_digits(zoho):
    _, url = zoho
    answer = api(url).get("/Accounts", params={"fields": "Account_Name,Modified_Time,Owner", "per_page": 4}).json()
    assert set(answer["info"]) == {
        "per_page", "count", "page", "sort_by", "sort_order", "more_records", "next_page_token",
        "previous_page_token", "page_token_expiry",
    }  # fmt: skip
    assert answer["info"]["more_records"] and answer["info"]["count"] == 4
    record = answer["data"][0]
    assert len(record["id"]) == 19 and record["id"].isdigit()
    assert record["Modified_Time"] == "2026-10-01T02:30:00-07:00" and set(record["Owner"]) == {"name", "id", "email"}


def test_past_the_page_limit_only_page_tokens_read_on_and_they_expire(zoho):
    emulator, url = zoho
    emulator.update_settings({"page_limit_records": 4, "page_token_lifetime_seconds": 60})
    client = api(url)
    params = {"fields": "Account_Name", "per_page": 2, "sort_by": "id", "sort_order": "asc"}
    assert client.get("/Accounts", params={**params, "page": 3}).json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    seen, token = [], None
    while True:
        answer = client.get("/Accounts", params={**params, **({"page_token": token} if token else {})}).json()
        seen += [r["id"] for r in answer["data"]]
        token = answer["info"]["next_page_token"]
        if not answer["info"]["more_records"]:
            break
    assert seen == sorted(r["id"] for r in emulator.records("us", "Accounts"))
    first = client.get("/Accounts", params=params).json()["info"]["next_page_token"]
    emulator.clock.advance(61)
    assert client.get("/Accounts", params={**params, "page_token": first}).status_code == 400


def test_if_modified_since_answers_304_when_nothing_changed_and_204_when_empty(zoho):
    emulator, url = zoho
    client = api(url)
    later = (START + timedelta(minutes=1)).isoformat()
    assert (
        client.get("/Accounts", params={"fields": "Account_Name"}, headers={"If-Modified-Since": later}).status_code
        == 304
    )
    emulator.update_settings({"not_modified_status": 204})
    answer = client.get("/Accounts", params={"fields": "Account_Name"}, headers={"If-Modified-Since": later})
    assert answer.status_code == 204 and answer.content == b""
    assert (
        api(url, "eu", SANDBOX.zoho_eu_refresh_token).get("/Contacts/search", params={"word": "zzz"}).status_code == 204
    )


# writing ------------------------------------------------------------------------------------------------------------
def test_upsert_matches_on_the_asked_fields_and_answers_per_record(zoho):
    _, url = zoho
    client = api(url)
    body = {
        "data": [{"Account_Name": "JDE One", "JDE_Address_Number": "1001"}],
        "duplicate_check_fields": ["JDE_Address_Number"],
        "trigger": [],
    }
    created = client.post("/Accounts/upsert", json=body)
    assert created.status_code == 201 and created.json()["data"][0]["action"] == "insert"
    body["data"][0]["Phone"] = "+1 555 0100"
    again = client.post("/Accounts/upsert", json=body).json()["data"][0]
    assert again["action"] == "update" and again["duplicate_field"] == "JDE_Address_Number"
    assert again["details"]["id"] == created.json()["data"][0]["details"]["id"]
    mixed = client.post(
        "/Accounts/upsert",
        json={
            "data": [
                {"Account_Name": "A", "JDE_Address_Number": "1002"},
                {"Phone": "1"},
                {"Account_Name": "B", "Account_Type": "Nope"},
            ]
        },
    )
    assert mixed.status_code == 207
    results = mixed.json()["data"]
    assert results[1]["code"] == "MANDATORY_NOT_FOUND" and results[1]["details"]["api_name"] == "Account_Name"
    assert results[2]["code"] == "INVALID_DATA" and results[2]["details"]["json_path"] == "$.data[2].Account_Type"
    too_many = client.post("/Accounts/upsert", json={"data": [{"Account_Name": str(n)} for n in range(101)]})
    assert too_many.json()["code"] == "LIMIT_EXCEEDED"
    bad_field = client.post(
        "/Accounts/upsert", json={"data": [{"Account_Name": "x"}], "duplicate_check_fields": ["Phone"]}
    )
    assert bad_field.status_code == 400


def test_unique_fields_refuse_duplicates_naming_the_record(zoho):
    _, url = zoho
    client = api(url)
    first = client.post("/Accounts", json={"data": [{"Account_Name": "One", "JDE_Address_Number": "77"}]}).json()
    clash = client.post("/Accounts", json={"data": [{"Account_Name": "Two", "JDE_Address_Number": "77"}]})
    assert clash.status_code == 400
    error = clash.json()["data"][0]
    assert (
        error["code"] == "DUPLICATE_DATA"
        and error["details"]["duplicate_record"]["id"] == first["data"][0]["details"]["id"]
    )


def test_update_by_ids_and_lookups_are_checked(zoho):
    emulator, url = zoho
    client = api(url)
    account = emulator.records("us", "Accounts")[0]
    contact = client.post(
        "/Contacts", json={"data": [{"Last_Name": "Ng", "Account_Name": {"id": account["id"]}}]}
    ).json()
    contact_id = contact["data"][0]["details"]["id"]
    updated = client.put("/Contacts", json={"data": [{"id": contact_id, "Title": "CFO"}]}).json()["data"][0]
    assert updated["message"] == "record updated"
    read = client.get(f"/Contacts/{contact_id}").json()["data"][0]
    assert read["Title"] == "CFO" and read["Account_Name"] == {"name": account["Account_Name"], "id": account["id"]}
    assert read["Modified_By"]["name"] == "MLC Integration"
    bad = client.post("/Contacts", json={"data": [{"Last_Name": "X", "Account_Name": {"id": "1234567890123456789"}}]})
    assert bad.json()["data"][0]["code"] == "INVALID_DATA"


def test_search_parses_criteria_with_escapes_and_limits(zoho):
    _, url = zoho
    client = api(url)
    client.post("/Accounts", json={"data": [{"Account_Name": "Smith (North), Inc", "Billing_City": "San Jose"}]})
    found = client.get(
        "/Accounts/search",
        params={"criteria": r"((Account_Name:equals:Smith \(North\)\, Inc)and(Billing_City:starts_with:san))"},
    )
    assert found.status_code == 200 and found.json()["data"][0]["Billing_City"] == "San Jose"
    eleven = "(" + "and".join(["(Account_Name:equals:x)"] * 11) + ")"
    assert client.get("/Accounts/search", params={"criteria": eleven}).json()["code"] == "LIMIT_EXCEEDED"
    assert (
        client.get("/Accounts/search", params={"criteria": "(Account_Name:greater_than:x)"}).json()["code"]
        == "INVALID_QUERY"
    )
    assert client.get("/Accounts/search", params={"criteria": "(Account_Name:equals:nobody)"}).status_code == 204


def test_deleted_records_are_listed(zoho):
    emulator, url = zoho
    client = api(url)
    victim = emulator.records("us", "Contacts")[0]["id"]
    assert client.delete("/Contacts", params={"ids": victim}).json()["data"][0]["code"] == "SUCCESS"
    deleted = client.get("/Contacts/deleted", params={"type": "recycle"}).json()["data"]
    assert [d["id"] for d in deleted] == [victim]


# limits -------------------------------------------------------------------------------------------------------------
def test_spent_credits_refuse_calls_until_the_24_hour_window_moves_on(zoho):
    emulator, url = zoho
    emulator.update_settings({"daily_credits": 3})
    client = api(url)
    for _ in range(3):
        assert client.get("/org").status_code == 200
    refused = client.get("/org")
    assert refused.status_code == 429 and refused.json()["code"] == "LIMIT_REACHED"
    emulator.clock.advance(86400)
    assert api(url).get("/org").status_code == 200


def test_calls_over_the_concurrency_cap_get_429(zoho):
    emulator, url = zoho
    emulator.update_settings({"concurrency_limit": 1, "request_seconds": 0.5})
    client = api(url)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(client.get("/org"))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 429]
    assert [a.json()["code"] for a in answers if a.status_code == 429] == ["TOO_MANY_REQUESTS"]


# notifications --------------------------------------------------------------------------------------------------------
@pytest.fixture
def receiver():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/zoho?k=v", received
    server.shutdown()


def watch(client: httpx.Client, notify_url: str, **kw) -> httpx.Response:
    channel = {
        "channel_id": "1000000068001",
        "events": ["Accounts.all"],
        "token": SANDBOX.zoho_webhook_token,
        "notify_url": notify_url,
        **kw,
    }
    return client.post("/actions/watch", json={"watch": [channel]})


def test_watch_validates_channels(zoho, receiver):
    _, url = zoho
    client = api(url)
    assert watch(client, receiver[0], token="x" * 51).json()["watch"][0]["code"] == "INVALID_DATA"
    assert watch(client, receiver[0], events=["Accounts.merge"]).status_code == 400
    assert (
        client.post("/actions/watch", json={"watch": [{"channel_id": "1", "events": ["Accounts.all"]}]}).json()[
            "watch"
        ][0]["code"]
        == "MANDATORY_NOT_FOUND"
    )
    far = (START + timedelta(days=8)).isoformat()
    enabled = watch(client, receiver[0], channel_expiry=far).json()["watch"][0]
    assert enabled["details"]["events"][0]["channel_expiry"] == "2026-10-01T03:30:00-07:00"
    assert enabled["details"]["events"][0]["resource_uri"].endswith("/crm/v2/Accounts")
    assert client.get("/actions/watch").json()["watch"][0]["channel_id"] == "1000000068001"
    assert (
        client.delete("/actions/watch", params={"channel_ids": "1000000068001"}).json()["watch"][0]["code"] == "SUCCESS"
    )
    assert client.get("/actions/watch").status_code == 204


def test_a_bulk_write_makes_one_callback_and_an_admin_edit_another(zoho, receiver):
    emulator, url = zoho
    notify_url, received = receiver
    client = api(url)
    watch(client, notify_url)
    created = client.post("/Accounts", json={"data": [{"Account_Name": "A"}, {"Account_Name": "B"}]}).json()["data"]
    ids = [r["details"]["id"] for r in created]
    edited = httpx.patch(f"{url}/_admin/records/us/Accounts/{ids[0]}", json={"Phone": "+1 555 0199"})
    assert edited.status_code == 200
    assert emulator.notifier.idle()
    assert [c["operation"] for c in received] == ["insert", "update"]
    assert received[0]["ids"] == ids and received[0]["token"] == SANDBOX.zoho_webhook_token
    assert received[0]["query_params"] == {"k": "v"} and received[0]["module"] == "Accounts"
    assert received[1]["affected_fields"] == [{ids[0]: ["Phone"]}]
    assert (
        emulator.records("us", "Accounts")
        and [r for r in emulator.records("us", "Accounts") if r["id"] == ids[0]][0]["Modified_By"]["name"]
        == "Dana Nowak"
    )


def test_callbacks_stop_when_the_channel_expires_and_can_be_dropped_or_doubled(zoho, receiver):
    emulator, url = zoho
    notify_url, received = receiver
    client = api(url)
    watch(client, notify_url, channel_expiry=(START + timedelta(hours=2)).isoformat())
    emulator.update_settings({"duplicate_callbacks": True})
    emulator.create("us", "Accounts", [{"Account_Name": "Twice"}])
    assert emulator.notifier.idle() and len(received) == 2
    emulator.update_settings({"duplicate_callbacks": False, "drop_callbacks": True})
    emulator.create("us", "Accounts", [{"Account_Name": "Dropped"}])
    assert emulator.notifier.idle() and len(received) == 2
    emulator.update_settings({"drop_callbacks": False})
    emulator.clock.advance(2 * 3600)
    emulator.create("us", "Accounts", [{"Account_Name": "Too late"}])
    assert emulator.notifier.idle() and len(received) == 2


# admin and persistence ------------------------------------------------------------------------------------------------
def test_admin_surface_reports_credits_requests_and_seeded_orgs(zoho):
    emulator, url = zoho
    api(url).get("/org")
    assert httpx.get(f"{url}/_admin/credits").json()["us"]["used"] == 1
    logged = httpx.get(f"{url}/_admin/requests").json()["requests"][-1]
    assert logged["headers"]["authorization"].startswith("Zoho-oauthtoken ")
    assert all(not r.get("JDE_Address_Number") for r in emulator.records("us", "Accounts"))
    assert len(emulator.records("eu", "Accounts")) == 2


def test_state_persists_under_the_state_dir(tmp_path):
    first = ZohoCrmEmulator(clock=Clock(frozen_at=START), state_dir=tmp_path, prospects=3)
    first.create("us", "Accounts", [{"Account_Name": "Kept", "JDE_Address_Number": "9"}])
    again = ZohoCrmEmulator(clock=Clock(frozen_at=START), state_dir=tmp_path, prospects=3)
    assert [r["Account_Name"] for r in again.records("us", "Accounts") if r["JDE_Address_Number"] == "9"] == ["Kept"]
    assert len(again.records("us", "Accounts")) == 4
