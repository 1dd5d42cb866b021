"""The Procore emulator over HTTP with plain httpx: the client-credentials token and its lifetime, the
Procore-Company-Id header and the app's tools, paging headers and filters, sync actions (vendors, cost codes,
purchase order contracts, line items) with their per-entry errors, the rules of contract statuses and schedules of
values, requisitions and change orders entered by a user, webhooks delivered to a local receiver (headers, payload
versions, pause and backoff, the 24-hour flush, duplicates), rate-limit headers and 429s, the request log."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.procore import ProcoreEmulator
from ml_connector_dagster.sandbox.procore.errors import Invalid
from ml_connector_dagster.sandbox.server import SandboxServer

START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
COMPANY = SANDBOX.procore_company_id
DIVISION, LABOR = 8100001, 8100002  # the seeded cost codes 01 and 01-5100 of project 101


@pytest.fixture
def procore():
    emulator = ProcoreEmulator(clock=Clock(frozen_at=START))
    # The spike window runs on the emulator clock, which these tests freeze; its own test turns it back on.
    emulator.update_settings({"spike_limit": False, "webhook_timescale": 0.001})
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("procore")
        emulator.webhooks.drain(2)


def token(url: str, **form) -> httpx.Response:
    body = {
        "grant_type": "client_credentials",
        "client_id": SANDBOX.procore_client_id,
        "client_secret": SANDBOX.procore_client_secret,
        **form,
    }
    return httpx.post(f"{url}/oauth/token", data=body)


def api(url: str, company: int | None = COMPANY) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token(url).json()['access_token']}"}
    if company is not None:
        headers["Procore-Company-Id"] = str(company)
    return httpx.Client(base_url=f"{url}/rest/v1.0", headers=headers)


def vendor_sync(client: httpx.Client, updates: list[dict]) -> dict:
    answer = client.patch("/vendors/sync", json={"company_id": COMPANY, "updates": updates})
    assert answer.status_code == 200
    return answer.json()


def approved_contract(client: httpx.Client, project: int = 101, amount: str = "1000.00") -> dict:
    vendor = vendor_sync(client, [{"name": "Pacific Drywall", "origin_id": f"V-{project}"}])["entities"][0]
    body = {"project_id": project, "purchase_order_contract": {"vendor_id": vendor["id"], "title": "Drywall"}}
    contract = client.post("/purchase_order_contracts", json=body).json()
    lines = {"updates": [{"origin_id": "L1", "amount": amount, "cost_code_id": LABOR, "description": "Labor"}]}
    client.patch(
        f"/purchase_order_contracts/{contract['id']}/line_items/sync", params={"project_id": project}, json=lines
    )
    approve = {"project_id": project, "purchase_order_contract": {"status": "approved"}}
    return client.patch(f"/purchase_order_contracts/{contract['id']}", json=approve).json()


# token and company -------------------------------------------------------------------------------------------------
def test_a_token_is_granted_to_the_app_s_credentials_by_form_json_or_basic_and_refused_otherwise(procore):
    _, url = procore
    granted = token(url).json()
    assert granted["token_type"] == "bearer" and granted["expires_in"] == 5400
    assert granted["created_at"] == int(START.timestamp())
    as_json = httpx.post(
        f"{url}/oauth/token",
        json={"grant_type": "client_credentials", "client_id": SANDBOX.procore_client_id,
              "client_secret": SANDBOX.procore_client_secret},
    )  # fmt: skip
    basic = httpx.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(SANDBOX.procore_client_id, SANDBOX.procore_client_secret),
    )
    assert as_json.status_code == basic.status_code == 200
    refused = token(url, client_secret="wrong")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert token(url, grant_type="password").json()["error"] == "unsupported_grant_type"


def test_a_token_expires_on_the_emulator_clock_and_an_unknown_one_is_refused(procore):
    emulator, url = procore
    emulator.update_settings({"token_lifetime_seconds": 60})
    client = api(url)
    assert client.get("/projects", params={"company_id": COMPANY}).status_code == 200
    emulator.clock.advance(60)
    expired = client.get("/projects", params={"company_id": COMPANY})
    assert expired.status_code == 401 and expired.json()["error_description"] == "The access token expired"
    unknown = httpx.get(
        f"{url}/rest/v1.0/projects", params={"company_id": COMPANY},
        headers={"Authorization": "Bearer nope", "Procore-Company-Id": str(COMPANY)},
    )  # fmt: skip
    assert unknown.status_code == 401 and "X-Rate-Limit-Remaining" in unknown.headers


def test_every_call_needs_the_installed_company_s_header_and_names_its_own_projects(procore):
    _, url = procore
    assert api(url, company=None).get("/projects", params={"company_id": COMPANY}).status_code == 400
    assert api(url, company=999).get("/projects", params={"company_id": 999}).status_code == 403
    client = api(url)
    assert client.get("/projects", params={"company_id": 999}).status_code == 403
    assert client.get("/projects").status_code == 400  # company_id is required too
    assert client.get("/cost_codes").status_code == 400
    assert client.get("/cost_codes", params={"project_id": 555}).status_code == 404
    mismatch = client.patch("/vendors/sync", json={"company_id": 999, "updates": []})
    assert mismatch.status_code == 403
    two_projects = client.patch("/cost_codes/sync", params={"project_id": 101}, json={"project_id": 102, "updates": []})
    assert two_projects.status_code == 400


def test_a_tool_the_app_lacks_is_refused_and_read_only_allows_reads_only(procore):
    emulator, url = procore
    tools = dict(emulator.settings.tools)
    emulator.update_settings({"tools": {**tools, "commitments": "none", "directory": "read_only"}})
    client = api(url)
    assert client.get("/purchase_order_contracts", params={"project_id": 101}).status_code == 403
    assert client.get("/vendors", params={"company_id": COMPANY}).status_code == 200
    refused = client.patch("/vendors/sync", json={"company_id": COMPANY, "updates": []})
    assert refused.status_code == 403 and "permission" in refused.json()["errors"]
    emulator.update_settings({"tools": tools, "project_ids": [101]})
    assert client.get("/cost_codes", params={"project_id": 102}).status_code == 403
    assert [p["id"] for p in client.get("/projects", params={"company_id": COMPANY}).json()] == [101]


# paging and filters ------------------------------------------------------------------------------------------------
def test_lists_are_bare_arrays_with_total_per_page_and_link_headers(procore):
    emulator, url = procore
    client = api(url)
    vendor_sync(client, [{"name": f"Vendor {n}", "origin_id": f"V{n}"} for n in range(5)])
    first = client.get("/vendors", params={"company_id": COMPANY, "per_page": 2})
    assert isinstance(first.json(), list) and len(first.json()) == 2
    assert first.headers["Total"] == "5" and first.headers["Per-Page"] == "2"
    rels = {part.split('rel="')[1].rstrip('"') for part in first.headers["Link"].split(", ")}
    assert rels == {"next", "last"} and "page=3" in first.headers["Link"]
    middle = client.get("/vendors", params={"company_id": COMPANY, "per_page": 2, "page": 2}).headers["Link"]
    assert {p.split('rel="')[1].rstrip('"') for p in middle.split(", ")} == {"first", "prev", "next", "last"}
    last = client.get("/vendors", params={"company_id": COMPANY, "per_page": 2, "page": 3})
    assert (
        len(last.json()) == 1 and 'rel="next"' not in last.headers["Link"] and 'rel="last"' not in last.headers["Link"]
    )
    emulator.update_settings({"max_per_page": 3})
    capped = client.get("/vendors", params={"company_id": COMPANY, "per_page": 10000})
    assert capped.headers["Per-Page"] == "3" and len(capped.json()) == 3


def test_filters_select_by_updated_at_range_origin_id_and_ids(procore):
    emulator, url = procore
    client = api(url)
    early = vendor_sync(client, [{"name": "Early", "origin_id": "E"}])["entities"][0]
    emulator.clock.advance(3600)
    late = vendor_sync(client, [{"name": "Late", "origin_id": "L"}])["entities"][0]
    params = {"company_id": COMPANY}
    window = f"{START.isoformat()}...{(START + timedelta(minutes=30)).isoformat()}"
    assert [v["id"] for v in client.get("/vendors", params={**params, "filters[updated_at]": window}).json()] == [
        early["id"]
    ]
    whole_day = client.get("/vendors", params={**params, "filters[updated_at]": "2026-10-01...2026-10-01"}).json()
    assert len(whole_day) == 2
    assert [v["id"] for v in client.get("/vendors", params={**params, "filters[origin_id]": "L"}).json()] == [
        late["id"]
    ]
    ids = client.get("/vendors", params=[("company_id", COMPANY), ("filters[id][]", late["id"]), ("filters[id][]", 1)])
    assert [v["id"] for v in ids.json()] == [late["id"]]
    assert client.get("/vendors", params={**params, "filters[updated_at]": "yesterday"}).status_code == 400


# vendors -----------------------------------------------------------------------------------------------------------
def test_vendor_sync_matches_by_id_then_origin_id_and_answers_errors_per_entry(procore):
    emulator, url = procore
    client = api(url)
    created = vendor_sync(
        client, [{"name": "Acme Steel", "origin_id": "EBS-1", "country_code": "US", "state_code": "CA"}]
    )
    acme = created["entities"][0]
    emulator.clock.advance(60)
    answer = vendor_sync(
        client,
        [
            {"origin_id": "EBS-1", "city": "Oakland"},  # matched by origin_id: updated
            {"id": acme["id"], "email_address": "ap@acme.example"},  # matched by id
            {"id": 1, "name": "Ghost"},  # unknown id: that entry's error
            {"name": "Bad Place", "origin_id": "EBS-2", "country_code": "XX"},
            {"name": "Bad State", "country_code": "US", "state_code": "ON"},
            {"name": "Bad Mail", "email_address": "not-an-address"},
            {"origin_id": "EBS-3"},  # a new vendor needs a name
            {"name": "Typo", "nmae": "x"},  # an attribute vendors do not have
            {"name": "Too long" * 40},
        ],
    )
    assert [e["id"] for e in answer["entities"]] == [acme["id"], acme["id"]]
    assert answer["entities"][1]["city"] == "Oakland" and answer["entities"][1]["email_address"] == "ap@acme.example"
    assert answer["entities"][0]["updated_at"] == (START + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    errors = answer["errors"]
    assert errors[0] == {"id": 1, "name": "Ghost", "errors": {"id": ["could not be found"]}}
    assert list(errors[1]["errors"]) == ["country_code"] and errors[1]["name"] == "Bad Place"
    assert list(errors[2]["errors"]) == ["state_code"]
    assert errors[3]["errors"] == {"email_address": ["is invalid"]}
    assert errors[4]["errors"] == {"name": ["can't be blank"]}
    assert errors[5]["errors"] == {"nmae": ["is not a known attribute"]}
    assert "is too long" in errors[6]["errors"]["name"][0]
    numeric = vendor_sync(client, [{"name": "Numbered", "origin_id": 1001}])["entities"][0]
    assert numeric["origin_id"] == "1001"  # a JSON number for a string attribute is cast, as Rails does
    assert vendor_sync(client, [{"origin_id": "1001", "zip": 94607}])["entities"][0]["id"] == numeric["id"]
    too_many = client.patch("/vendors/sync", json={"company_id": COMPANY, "updates": [{"name": "x"}] * 1001})
    assert too_many.status_code == 413


def test_a_vendor_created_with_a_taken_origin_id_is_a_conflict_and_an_unchanged_update_keeps_updated_at(procore):
    emulator, url = procore
    client = api(url)
    body = {"company_id": COMPANY, "vendor": {"name": "Acme", "origin_id": "EBS-1"}}
    created = client.post("/vendors", json=body)
    assert created.status_code == 201
    conflict = client.post("/vendors", json=body)
    assert conflict.status_code == 409 and conflict.json() == {"errors": {"origin_id": ["has already been taken"]}}
    assert client.post("/vendors", json={"company_id": COMPANY, "vendor": {"city": "x"}}).status_code == 422
    assert (
        client.post("/vendors", json={"company_id": COMPANY, "vendor": {"name": "x", "colour": 1}}).status_code == 406
    )
    emulator.clock.advance(60)
    same = client.patch(f"/vendors/{created.json()['id']}", json={"company_id": COMPANY, "vendor": {"name": "Acme"}})
    assert same.json()["updated_at"] == created.json()["updated_at"]
    assert client.get("/vendors/1", params={"company_id": COMPANY}).status_code == 404


# cost codes --------------------------------------------------------------------------------------------------------
def test_cost_codes_are_divisions_and_codes_under_them_with_full_codes(procore):
    emulator, url = procore
    client = api(url)
    seeded = client.get("/cost_codes", params={"project_id": 101}).json()
    assert [(c["code"], c["full_code"], c["parent"], c["origin_id"]) for c in seeded] == [
        ("01", "01", None, None),
        ("5100", "01-5100", {"id": DIVISION}, None),
    ]
    updates = [
        {"code": "03", "name": "Concrete", "origin_id": "SEG4-03"},
        {"code": "5100", "name": "Duplicate labor", "parent_id": DIVISION},
        {"code": "5200", "name": "Site Supervision", "parent_id": DIVISION, "origin_id": "01-5200"},
        {"code": "9", "name": "Orphan", "parent_id": 42},
    ]
    answer = client.patch("/cost_codes/sync", params={"project_id": 101}, json={"updates": updates}).json()
    assert [c["full_code"] for c in answer["entities"]] == ["03", "01-5200"]
    assert [e["errors"] for e in answer["errors"]] == [
        {"code": ["has already been taken"]},
        {"parent_id": ["is invalid"]},
    ]
    concrete = answer["entities"][0]["id"]
    under_concrete = {"project_id": 101, "updates": [{"code": "5100", "name": "Formwork labor", "parent_id": concrete}]}
    formwork = client.patch("/cost_codes/sync", json=under_concrete).json()["entities"][0]
    assert formwork["full_code"] == "03-5100"
    forming = emulator.create_cost_code(101, "04", "Forming")  # a project admin reorganizes the codes
    moved = emulator.edit_cost_code(101, formwork["id"], {"parent_id": forming["id"]})
    assert moved["full_code"] == "04-5100" and moved["id"] == formwork["id"]
    with pytest.raises(Invalid):  # 5100 is taken under 01
        emulator.edit_cost_code(101, formwork["id"], {"parent_id": DIVISION})
    assert client.get("/cost_codes", params={"project_id": 102}).json() == []
    emulator.delete_cost_code(101, answer["entities"][1]["id"])
    listed = [c["full_code"] for c in client.get("/cost_codes", params={"project_id": 101}).json()]
    assert "01-5200" not in listed
    deleted = client.get("/cost_codes", params={"project_id": 101, "filters[include_deleted]": "only"}).json()
    assert [(c["full_code"], c["deleted_at"] is not None) for c in deleted] == [("01-5200", True)]


# purchase order contracts ------------------------------------------------------------------------------------------
def test_contract_sync_numbers_contracts_checks_vendors_and_refuses_what_procore_refuses(procore):
    emulator, url = procore
    client = api(url)
    vendor = vendor_sync(client, [{"name": "Acme", "origin_id": "V1"}])["entities"][0]
    updates = [
        {"origin_id": "PO-1", "vendor_id": vendor["id"], "title": "Steel"},
        {"origin_id": "PO-2", "vendor_id": vendor["id"], "title": "Rebar", "number": "1"},
        {"origin_id": "PO-3", "vendor_id": 1, "title": "Nobody"},
        {"origin_id": "PO-4", "vendor_id": vendor["id"], "status": "void"},  # a subcontract status, not a PO one
        {"origin_id": "PO-5", "vendor_id": vendor["id"], "status": "approved", "executed": True, "number": "PO-5"},
    ]
    answer = client.patch("/purchase_order_contracts/sync", json={"project_id": 101, "updates": updates}).json()
    assert [(c["origin_id"], c["number"], c["status"]) for c in answer["entities"]] == [
        ("PO-1", "1", "draft"),
        ("PO-5", "PO-5", "approved"),
    ]
    assert [e["errors"] for e in answer["errors"]] == [
        {"number": ["has already been taken"]},
        {"vendor_id": ["must be a vendor in the company directory"]},
        {"status": ["is not included in the list"]},
    ]
    steel = answer["entities"][0]
    again = client.patch(
        "/purchase_order_contracts/sync",
        json={"project_id": 101, "updates": [{"origin_id": "PO-1", "status": "approved"}]},
    ).json()
    assert again["entities"][0]["id"] == steel["id"] and again["entities"][0]["status"] == "approved"
    assert client.get(f"/purchase_order_contracts/{steel['id']}", params={"project_id": 102}).status_code == 404
    listed = client.get("/purchase_order_contracts", params={"project_id": 101, "filters[status]": "approved"}).json()
    assert sorted(c["origin_id"] for c in listed) == ["PO-1", "PO-5"] and "line_items" not in listed[0]


def test_a_contract_with_a_requisition_cannot_return_to_draft(procore):
    emulator, url = procore
    client = api(url)
    contract = approved_contract(client)
    emulator.create_requisition(101, contract["id"], items=[{"cost_code_id": LABOR, "work_completed_this_period": 1}])
    back = client.patch(
        f"/purchase_order_contracts/{contract['id']}",
        json={"project_id": 101, "purchase_order_contract": {"status": "draft"}},
    )
    assert back.status_code == 422 and list(back.json()["errors"]) == ["status"]


def test_line_item_sync_checks_cost_codes_amounts_and_origin_ids_and_an_approved_schedule_is_locked(procore):
    _, url = procore
    client = api(url)
    vendor = vendor_sync(client, [{"name": "Acme", "origin_id": "V1"}])["entities"][0]
    body = {"project_id": 101, "purchase_order_contract": {"vendor_id": vendor["id"], "accounting_method": "unit"}}
    contract = client.post("/purchase_order_contracts", json=body).json()
    other_project = client.patch(
        "/cost_codes/sync", json={"project_id": 102, "updates": [{"code": "09", "name": "Finishes"}]}
    ).json()["entities"][0]
    path, params = f"/purchase_order_contracts/{contract['id']}/line_items/sync", {"project_id": 101}
    updates = [
        {"origin_id": "L1", "cost_code_id": LABOR, "quantity": "10", "unit_cost": "12.50", "uom": "hr"},
        {"origin_id": "L2", "cost_code_id": other_project["id"], "quantity": "1", "unit_cost": "1"},
        {"origin_id": "L3", "cost_code_id": LABOR, "quantity": "2", "unit_cost": "5", "amount": "11"},
        {"origin_id": "L4", "quantity": "2", "unit_cost": "5"},
    ]
    answer = client.patch(path, params=params, json={"updates": updates}).json()
    assert [(e["origin_id"], e["amount"], e["cost_code"]["full_code"]) for e in answer["entities"]] == [
        ("L1", "125.0", "01-5100")
    ]
    assert [e["errors"] for e in answer["errors"]] == [
        {"cost_code_id": ["must be a cost code of the project"]},
        {"amount": ["must equal quantity multiplied by unit cost"]},
        {"cost_code_id": ["can't be blank"]},
    ]
    assert client.patch(path, params=params, json={"updates": [{"amount": "1"}] * 1001}).status_code == 413
    approve = {"project_id": 101, "purchase_order_contract": {"status": "approved"}}
    assert client.patch(f"/purchase_order_contracts/{contract['id']}", json=approve).json()["grand_total"] == "125.0"
    locked = client.patch(path, params=params, json={"updates": [{"origin_id": "L1", "quantity": "11"}]})
    assert locked.status_code == 200 and locked.json()["entities"] == []
    assert locked.json()["errors"][0]["errors"] == {
        "base": ["Line items cannot be changed while the contract is approved"]
    }


# requisitions and change orders -----------------------------------------------------------------------------------
def test_a_user_s_requisition_carries_this_period_s_work_by_cost_code_and_its_approval_moves_updated_at(procore):
    emulator, url = procore
    client = api(url)
    contract = approved_contract(client, amount="1000.00")
    created = httpx.post(
        f"{url}/_admin/projects/101/requisitions",
        json={"commitment_id": contract["id"], "invoice_number": "INV-7",
              "items": [{"cost_code_id": LABOR, "work_completed_this_period": "250"}]},
    )  # fmt: skip
    assert created.status_code == 201
    requisition = created.json()
    assert (requisition["number"], requisition["status"], requisition["billing_date"]) == (1, "draft", "2026-10-01")
    detail = client.get(f"/requisitions/{requisition['id']}/detail", params={"project_id": 101}).json()
    assert [(d["cost_code_id"], d["work_completed_this_period"], d["balance_to_finish"]) for d in detail] == [
        (LABOR, "250.0", "750.0")
    ]
    emulator.clock.advance(3600)
    approved = emulator.edit_requisition(101, requisition["id"], {"status": "approved"})
    assert approved["updated_at"] == "2026-10-01T10:30:00Z" and approved["submitted_at"] == "2026-10-01"
    window = {"project_id": 101, "filters[updated_at]": "2026-10-01T10:00:00Z...2026-10-01T11:00:00Z"}
    assert [r["id"] for r in client.get("/requisitions", params=window).json()] == [requisition["id"]]
    by_id = client.get("/requisitions", params=[("project_id", 101), ("filters[id][]", requisition["id"])]).json()
    assert by_id[0]["status"] == "approved" and by_id[0]["commitment_id"] == contract["id"]
    second = emulator.create_requisition(
        101,
        contract["id"],
        billing_date="2026-11-02",
        items=[{"cost_code_id": LABOR, "work_completed_this_period": 100}],
    )
    lines = client.get(f"/requisitions/{second['id']}/detail", params={"project_id": 101}).json()
    assert lines[0]["work_completed_from_previous_application"] == "250.0"
    assert second["summary"]["less_previous_certificates_for_payment"] == "250.0"
    with pytest.raises(Invalid):  # one invoice per contract and period
        emulator.create_requisition(101, contract["id"], billing_date="2026-11-20")
    draft = client.post(
        "/purchase_order_contracts", json={"project_id": 101, "purchase_order_contract": {"title": "Not yet"}}
    ).json()
    refused = httpx.post(f"{url}/_admin/projects/101/requisitions", json={"commitment_id": draft["id"]})
    assert refused.status_code == 422


def test_a_user_s_change_orders_are_read_with_their_line_items_on_both_paths(procore):
    emulator, url = procore
    client = api(url)
    contract = approved_contract(client)
    order = emulator.create_change_order(
        101,
        contract["id"],
        "Extra framing",
        line_items=[{"cost_code_id": LABOR, "amount": "120.50", "description": "Add"}],
    )
    assert order["status"] == "draft" and order["grand_total"] == "120.5" and order["number"] == "001"
    emulator.clock.advance(60)
    approved = emulator.edit_change_order(101, order["id"], {"status": "approved"})
    assert approved["reviewed_at"] == "2026-10-01T09:31:00Z" and approved["reviewed_by"]["id"] == 160586
    listed = client.get("/commitment_change_orders", params={"project_id": 101, "filters[status]": "approved"}).json()
    procore_path = client.get("/projects/101/commitment_change_orders").json()
    assert listed == procore_path
    assert listed[0]["line_items"] == [
        {"id": listed[0]["line_items"][0]["id"], "cost_code_id": LABOR, "amount": "120.5", "description": "Add"}
    ]
    shown = client.get(f"/commitment_change_orders/{order['id']}", params={"project_id": 101}).json()
    assert shown["contract_id"] == contract["id"]
    contract_now = client.get(f"/purchase_order_contracts/{contract['id']}", params={"project_id": 101}).json()
    assert contract_now["approved_change_orders"] == "120.5" and contract_now["revised_contract"] == "1120.5"
    with pytest.raises(Invalid):
        emulator.create_change_order(101, contract["id"], "Bad", line_items=[{"cost_code_id": 1, "amount": "1"}])


# webhooks ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def receiver():
    received: list[dict] = []
    statuses: list[int] = []  # answers to give, in order; 200 once they run out

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"headers": dict(self.headers), "body": body})
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/webhooks/procore", received, statuses
    server.shutdown()


def hook(client: httpx.Client, destination: str, version: str = "v2", resources=("Requisitions",)) -> dict:
    created = client.post(
        "/webhooks/hooks",
        json={"company_id": COMPANY, "hook": {"api_version": version, "namespace": "ml-connector",
              "destination_url": destination,
              "destination_headers": {"Authorization": f"Bearer {SANDBOX.procore_webhook_key}"}}},
    )  # fmt: skip
    assert created.status_code == 201
    for resource in resources:
        for event_type in ("create", "update"):
            trigger = {"resource_name": resource, "event_type": event_type}
            client.post(
                f"/webhooks/hooks/{created.json()['id']}/triggers",
                json={"company_id": COMPANY, "api_version": version, "trigger": trigger},
            )
    return created.json()


def test_hooks_and_triggers_are_scoped_validated_and_answered_as_v1_does(procore, receiver):
    _, url = procore
    destination, _, _ = receiver
    client = api(url)
    created = hook(client, destination)
    assert created["destination_headers"] == {"Authorization": f"*****{SANDBOX.procore_webhook_key[-5:]}"}
    assert created["owned_by_company_id"] == COMPANY and created["owned_by_project_id"] is None
    listed = client.get("/webhooks/hooks", params={"company_id": COMPANY, "namespace": "ml-connector"}).json()
    assert [h["id"] for h in listed] == [created["id"]]
    triggers = client.get(f"/webhooks/hooks/{created['id']}/triggers", params={"company_id": COMPANY}).json()
    assert [(t["resource_name"], t["event_type"]) for t in triggers] == [
        ("Requisitions", "CREATE"),
        ("Requisitions", "UPDATE"),
    ]
    both = client.post("/webhooks/hooks", json={"company_id": COMPANY, "project_id": 101, "hook": {}})
    assert both.status_code == 400
    bad = {"company_id": COMPANY, "hook": {"namespace": "ML_Connector", "destination_url": destination}}
    assert client.post("/webhooks/hooks", json=bad).json()["errors"] == {"namespace": ["is invalid"]}
    path = f"/webhooks/hooks/{created['id']}/triggers"
    again = client.post(
        path, json={"company_id": COMPANY, "trigger": {"resource_name": "Requisitions", "event_type": "create"}}
    )
    unknown = client.post(
        path, json={"company_id": COMPANY, "trigger": {"resource_name": "RFIz", "event_type": "create"}}
    )
    assert again.status_code == unknown.status_code == 422
    assert client.get(path, params={"project_id": 101}).status_code == 404  # a company hook is not the project's
    moved = client.patch(
        f"/webhooks/hooks/{created['id']}",
        json={"company_id": COMPANY, "hook": {"destination_url": f"{destination}/v2", "destination_headers": {}}},
    )
    assert moved.json()["destination_url"] == f"{destination}/v2" and moved.json()["destination_headers"] == {}
    assert client.delete(f"{path}/{triggers[0]['id']}", params={"company_id": COMPANY}).status_code == 200
    assert [t["event_type"] for t in client.get(path, params={"company_id": COMPANY}).json()] == ["UPDATE"]
    assert client.delete(f"/webhooks/hooks/{created['id']}", params={"company_id": COMPANY}).status_code == 200
    assert client.get("/webhooks/hooks", params={"company_id": COMPANY}).json() == []


def test_a_triggered_change_is_posted_with_the_destination_headers_in_the_hook_s_payload_version(procore, receiver):
    emulator, url = procore
    destination, received, _ = receiver
    client = api(url)
    contract = approved_contract(client)
    hook(client, destination, "v2", ("Requisitions",))
    hook(client, destination, "v3", ("Purchase Order Contract Line Items",))
    hook(client, destination, "v4", ("Commitment Change Orders",))
    requisition = emulator.create_requisition(101, contract["id"])
    line = client.post(
        f"/purchase_order_contracts/{contract['id']}/line_items",
        json={"project_id": 101, "line_item": {"amount": "5", "cost_code_id": LABOR}},
    )
    assert line.status_code == 422  # the approved schedule is locked: no change, no event
    client.patch(
        f"/purchase_order_contracts/{contract['id']}",
        json={"project_id": 101, "purchase_order_contract": {"status": "processing"}},
    )
    line = client.post(
        f"/purchase_order_contracts/{contract['id']}/line_items",
        json={"project_id": 101, "line_item": {"amount": "5", "cost_code_id": LABOR}},
    ).json()
    order = emulator.create_change_order(101, contract["id"], "CO", line_items=[{"cost_code_id": LABOR, "amount": "1"}])
    assert emulator.webhooks.drain(5)
    bodies = {r["body"].get("resource_name") or r["body"]["resource_type"]: r for r in received}
    assert set(bodies) == {"Requisitions", "Purchase Order Contract Line Items", "Commitment Change Orders"}
    assert all(r["headers"]["Authorization"] == f"Bearer {SANDBOX.procore_webhook_key}" for r in received)
    v2 = bodies["Requisitions"]["body"]
    assert (v2["api_version"], v2["event_type"], v2["resource_id"], v2["project_id"]) == (
        "v2.0", "create", requisition["id"], 101
    )  # fmt: skip
    assert v2["user_id"] == 160586 and len(v2["ulid"]) == 26 and v2["company_id"] == COMPANY
    v3 = bodies["Purchase Order Contract Line Items"]["body"]
    assert v3["related_resources"] == [{"id": contract["id"], "name": "Purchase Order Contracts"}]
    assert v3["metadata"]["source_application_id"] == SANDBOX.procore_client_id and v3["resource_id"] == line["id"]
    v4 = bodies["Commitment Change Orders"]["body"]
    assert (v4["reason"], v4["resource_id"], v4["company_id"], v4["project_id"]) == (
        "create", str(order["id"]), str(COMPANY), "101"
    )  # fmt: skip


def test_a_failing_receiver_pauses_its_destination_and_the_events_follow_in_order_once_it_answers(procore, receiver):
    emulator, url = procore
    destination, received, statuses = receiver
    client = api(url)
    contract = approved_contract(client)
    hook(client, destination)
    statuses.extend([500, 503, 404])
    first = emulator.create_requisition(101, contract["id"])
    second = emulator.edit_requisition(101, first["id"], {"invoice_number": "INV-2"})
    assert emulator.webhooks.drain(5)
    assert [(r["body"]["event_type"], r["body"]["resource_id"]) for r in received] == [("create", first["id"])] * 4 + [
        ("update", second["id"])
    ]
    outcomes = [d["outcome"] for d in emulator.deliveries()]
    assert outcomes == ["retried", "retried", "retried", "ok", "ok"]
    assert [d["response_status"] for d in emulator.deliveries()][:3] == [500, 503, 404]


def test_after_a_day_of_failures_the_queue_is_flushed_its_events_failed_and_the_next_event_starts_afresh(
    procore, receiver
):
    emulator, url = procore
    destination, received, statuses = receiver
    client = api(url)
    contract = approved_contract(client)
    created = hook(client, destination)
    statuses.extend([503] * 1000)
    requisition = emulator.create_requisition(101, contract["id"])
    emulator.edit_requisition(101, requisition["id"], {"status": "under_review"})
    deadline = time.monotonic() + 5
    while len(received) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(received) >= 3 and all(r["body"]["event_type"] == "create" for r in received)
    emulator.clock.advance(86400)
    assert emulator.webhooks.drain(5)
    failed = [d for d in emulator.deliveries() if d["outcome"] == "failed"]
    assert [d["event"]["event_type"] for d in failed] == ["create", "update"]
    listed = (
        api(url)
        .get(  # a new token: the day went by
            f"/webhooks/hooks/{created['id']}/deliveries", params={"company_id": COMPANY, "filters[status]": "failing"}
        )
        .json()
    )
    assert {d["outcome"] for d in listed} == {"retried", "failed"}
    statuses.clear()
    received.clear()
    emulator.edit_requisition(101, requisition["id"], {"status": "approved"})
    assert emulator.webhooks.drain(5)
    assert [r["body"]["event_type"] for r in received] == ["update"]


def test_duplicate_deliveries_carry_the_same_ulid(procore, receiver):
    emulator, url = procore
    destination, received, _ = receiver
    client = api(url)
    contract = approved_contract(client)
    hook(client, destination)
    emulator.update_settings({"webhook_duplicates": True})
    emulator.create_requisition(101, contract["id"])
    assert emulator.webhooks.drain(5)
    assert len(received) == 2 and received[0]["body"]["ulid"] == received[1]["body"]["ulid"]


def test_events_held_back_are_released_newest_first(procore, receiver):
    emulator, url = procore
    destination, received, _ = receiver
    client = api(url)
    contract = approved_contract(client)
    hook(client, destination)
    emulator.update_settings({"webhook_hold": True})
    requisition = emulator.create_requisition(101, contract["id"])
    emulator.edit_requisition(101, requisition["id"], {"status": "under_review"})
    assert emulator.webhooks.drain(5) and received == []
    assert emulator.webhooks.release(newest_first=True) == 2 and emulator.webhooks.drain(5)
    assert [r["body"]["event_type"] for r in received] == ["update", "create"]


def test_a_change_that_changes_nothing_fires_no_event(procore, receiver):
    emulator, url = procore
    destination, received, _ = receiver
    client = api(url)
    contract = approved_contract(client)
    hook(client, destination)
    requisition = emulator.create_requisition(101, contract["id"], invoice_number="A")
    emulator.edit_requisition(101, requisition["id"], {"invoice_number": "A"})
    assert emulator.webhooks.drain(5) and len(received) == 1


# rate limits and the request log ----------------------------------------------------------------------------------
def test_every_answer_carries_the_rate_headers_and_past_the_hourly_limit_a_plain_text_429(procore):
    emulator, url = procore
    emulator.update_settings({"hourly_limit": 3})
    client = api(url)
    answers = [client.get("/projects", params={"company_id": COMPANY}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    reset = int(START.timestamp()) + 3600
    assert {a.headers["X-Rate-Limit-Reset"] for a in answers} == {str(reset)}
    refused = answers[-1]
    assert refused.headers["content-type"].startswith("text/plain") and refused.headers["Retry-After"] == "3600"
    assert "requests" in refused.text
    # The same token in another company has a bucket of its own: refused for the company, not for the rate.
    assert client.get("/projects", params={"company_id": 999}, headers={"Procore-Company-Id": "999"}).status_code == 403
    emulator.clock.advance(3600)
    assert client.get("/projects", params={"company_id": COMPANY}).headers["X-Rate-Limit-Remaining"] == "2"


def test_the_spike_limit_refuses_a_burst_until_the_window_moves_on(procore):
    emulator, url = procore
    emulator.update_settings({"spike_limit": True, "spike_requests": 5, "spike_seconds": 10})
    client = api(url)
    statuses = [client.get("/projects", params={"company_id": COMPANY}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    emulator.clock.advance(10)
    assert client.get("/projects", params={"company_id": COMPANY}).status_code == 200


def test_every_request_is_recorded_with_its_headers(procore):
    emulator, url = procore
    client = api(url)
    client.get("/projects", params={"company_id": COMPANY})
    logged = httpx.get(f"{url}/_admin/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in logged] == [
        ("POST", "/oauth/token", 200),
        ("GET", "/rest/v1.0/projects", 200),
    ]
    assert logged[1]["headers"]["procore-company-id"] == str(COMPANY) and logged[1]["query"] == f"company_id={COMPANY}"


def test_the_admin_surface_reads_any_record_and_the_state_survives_a_restart(tmp_path):
    first = ProcoreEmulator(clock=Clock(frozen_at=START), state_dir=tmp_path)
    first.create_cost_code(102, "16", "Electrical")
    again = ProcoreEmulator(clock=Clock(frozen_at=START), state_dir=tmp_path)
    assert [c["full_code"] for c in again.state("cost_codes", 102)] == ["16"]
    assert [p["name"] for p in again.state("projects")] == [
        "Harbor Point Tower",
        "Riverside Clinic",
        "Depot Yard Expansion",
    ]
