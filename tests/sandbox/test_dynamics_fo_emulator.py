"""The F&O OData emulator over real HTTP, with tokens from the Entra emulator and business events delivered to a
local receiver."""

import json
import re
from datetime import UTC, datetime

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_fo import DynamicsFoEmulator
from ml_connector_dagster.sandbox.emulator import Emulator
from ml_connector_dagster.sandbox.entra import EntraEmulator
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.tokens import TokenSigner

NOW = datetime(2026, 10, 3, 12, tzinfo=UTC)
OTHER_APP, OTHER_SECRET = "22222222-2222-2222-2222-222222222222", "other-secret"
WRITE_EXCEPTION = "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException"


class Receiver(Emulator):
    """An HTTPS business-event endpoint stand-in: records what arrives, or fails the next `failures` deliveries."""

    name = "receiver"

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[dict, str]] = []
        self.failures = 0

    def routes(self) -> list[Route]:
        return [Route("/events", self._event, methods=["POST"])]

    async def _event(self, request: Request) -> Response:
        if self.failures:
            self.failures -= 1
            return Response(status_code=503)
        self.received.append((dict(request.headers), (await request.body()).decode()))
        return Response(status_code=202)

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def sandbox():
    clock, signer = Clock(frozen_at=NOW), TokenSigner()
    entra = EntraEmulator(clock=clock, signer=signer)
    entra.update_settings({"clients": {SANDBOX.client_id: SANDBOX.client_secret, OTHER_APP: OTHER_SECRET}})
    fo = DynamicsFoEmulator(clock=clock, signer=signer, customers=120)
    fo.update_settings({"event_retry_delay_seconds": 0})
    with SandboxServer([entra, fo, Receiver()]) as server:
        yield server


def token(
    sandbox, client_id: str = SANDBOX.client_id, secret: str = SANDBOX.client_secret, resource: str | None = None
) -> str:
    response = httpx.post(
        f"{sandbox.url('entra')}/{SANDBOX.tenant_id}/oauth2/v2.0/token",
        data={
            "client_id": client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
            "scope": f"{resource or sandbox.url('dynamics_fo')}/.default",
        },
    )
    return response.json()["access_token"]


def api(sandbox, **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{sandbox.url('dynamics_fo')}/data/", headers={"Authorization": f"Bearer {token(sandbox)}", **headers}
    )


def inner(response: httpx.Response) -> dict:
    error = response.json()["error"]
    assert error["code"] == "" and error["message"] == "An error has occurred."
    return error["innererror"]


def customer_url(company: str, account: str) -> str:
    return f"CustomersV3(dataAreaId='{company}',CustomerAccount='{account}')"


def batch(changesets: list[list[tuple[str, str, dict | None]]]) -> tuple[str, bytes]:
    """A $batch body with one change set per list, each part (method, url, body) numbered by Content-ID."""
    lines = []
    for number, parts in enumerate(changesets):
        lines += ["--batch_1", f"Content-Type: multipart/mixed; boundary=changeset_{number}", ""]
        for content_id, (method, url, body) in enumerate(parts, 1):
            payload = json.dumps(body) if body is not None else ""
            lines += [
                f"--changeset_{number}",
                "Content-Type: application/http",
                "Content-Transfer-Encoding: binary",
                f"Content-ID: {content_id}",
                "",
                f"{method} {url} HTTP/1.1",
                "Content-Type: application/json; type=entry",
                "",
                payload,
            ]
        lines.append(f"--changeset_{number}--")
    lines += ["--batch_1--", ""]
    return "multipart/mixed; boundary=batch_1", "\r\n".join(lines).encode()


def statuses(response: httpx.Response) -> list[int]:
    return [int(status) for status in re.findall(r"HTTP/1\.1 (\d{3})", response.text)]


def test_only_tokens_for_this_environment_and_registered_apps_get_in(sandbox):
    url = f"{sandbox.url('dynamics_fo')}/data/CustomersV3"
    missing = httpx.get(url)
    assert missing.status_code == 401 and "authorization_uri=" in missing.headers["www-authenticate"]
    assert inner(missing)["message"] == "Bearer token is required."
    foreign = token(sandbox, resource="https://contoso.operations.dynamics.com")
    assert httpx.get(url, headers={"Authorization": f"Bearer {foreign}"}).status_code == 401
    unregistered = httpx.get(url, headers={"Authorization": f"Bearer {token(sandbox, OTHER_APP, OTHER_SECRET)}"})
    assert unregistered.status_code == 401 and "Microsoft Entra applications" in inner(unregistered)["message"]
    good = token(sandbox)
    assert httpx.get(url, headers={"Authorization": f"Bearer {good}"}).status_code == 200
    sandbox["dynamics_fo"].clock.advance(3600)
    expired = httpx.get(url, headers={"Authorization": f"Bearer {good}"})
    assert expired.status_code == 401 and "expired" in inner(expired)["message"]


def test_queries_stay_in_the_default_company_unless_cross_company(sandbox):
    with api(sandbox) as client:
        default = client.get("CustomersV3", params={"$select": "dataAreaId,CustomerAccount"}).json()["value"]
        assert len(default) == 60 and {row["dataAreaId"] for row in default} == {"usmf"}
        filtered = client.get("CustomersV3", params={"$filter": "dataAreaId eq 'usrt'"}).json()
        assert filtered["value"] == []
        usrt = client.get(
            "CustomersV3", params={"$filter": "dataAreaId eq 'usrt'", "cross-company": "true", "$count": "true"}
        ).json()
        assert usrt["@odata.count"] == 36 and {row["dataAreaId"] for row in usrt["value"]} == {"usrt"}
        everywhere = client.get("CustomersV3", params={"cross-company": "true", "$select": "dataAreaId"}).json()
        assert {row["dataAreaId"] for row in everywhere["value"]} == {"usmf", "usrt", "demf"}
        # US-001 exists in both US companies: the key's dataAreaId tells them apart.
        assert client.get(customer_url("usrt", "US-001")).status_code == 404
        usrt_one = client.get(customer_url("usrt", "US-001"), params={"cross-company": "true"}).json()
        usmf_one = client.get(customer_url("usmf", "US-001")).json()
        assert usrt_one["dataAreaId"] == "usrt" and usmf_one["dataAreaId"] == "usmf"


def test_filters_in_fo_syntax_select_orderby_top_and_expand(sandbox):
    with api(sandbox) as client:
        coffee = client.get("CustomersV3", params={"$filter": "OrganizationName eq '*coffee*'"}).json()["value"]
        assert coffee and all("coffee" in row["OrganizationName"].lower() for row in coffee)
        held = client.get(
            "CustomersV3", params={"$filter": "OnHoldStatus eq Microsoft.Dynamics.DataEntities.CustVendorBlocked'All'"}
        ).json()["value"]
        assert held and {row["OnHoldStatus"] for row in held} == {"All"}
        top = client.get(
            "CustomersV3", params={"$orderby": "CustomerAccount desc", "$top": "3", "$select": "CustomerAccount"}
        ).json()["value"]
        assert [set(row) for row in top] == [{"@odata.etag", "CustomerAccount"}] * 3
        assert [row["CustomerAccount"] for row in top] == ["US-060", "US-059", "US-058"]
        orders = client.get(
            "SalesOrderHeadersV2",
            params={"$expand": "SalesOrderLines", "$filter": "OrderCreationDateTime ge 2026-09-10T00:00:00Z"},
        ).json()["value"]
        assert orders and all(order["OrderCreationDateTime"] >= "2026-09-10" for order in orders)
        for order in orders:
            assert order["SalesOrderLines"] and {line["SalesOrderNumber"] for line in order["SalesOrderLines"]} == {
                order["SalesOrderNumber"]
            }
            assert order["OrderTotalAmount"] == round(sum(line["LineAmount"] for line in order["SalesOrderLines"]), 2)
        unknown = client.get("CustomersV3", params={"$select": "ModifiedDateTime"})
        assert unknown.status_code == 400 and "ModifiedDateTime" in inner(unknown)["message"]


def test_server_driven_paging_follows_next_links(sandbox):
    with api(sandbox, Prefer="odata.maxpagesize=25") as client:
        page = client.get("CustomersV3", params={"$count": "true", "$select": "CustomerAccount"})
        assert page.headers["preference-applied"] == "odata.maxpagesize=25"
        total, accounts, pages = page.json()["@odata.count"], [], 0
        while True:
            pages += 1
            accounts += [row["CustomerAccount"] for row in page.json()["value"]]
            if "@odata.nextLink" not in page.json():
                break
            page = client.get(page.json()["@odata.nextLink"])
        assert total == 60 and pages == 3 and len(set(accounts)) == 60
    sandbox["dynamics_fo"].update_settings({"max_page_size": 50})
    with api(sandbox, Prefer="odata.maxpagesize=20000") as client:
        capped = client.get("CustomersV3").json()
        assert len(capped["value"]) == 50 and "$skip=50" in capped["@odata.nextLink"]


def test_key_addressed_reads_updates_deletes_and_key_errors(sandbox):
    fo = sandbox["dynamics_fo"]
    with api(sandbox) as client:
        read = client.get(customer_url("usmf", "US-002"))
        assert read.status_code == 200 and read.headers["etag"] == read.json()["@odata.etag"]
        assert read.json()["@odata.context"].endswith("/data/$metadata#CustomersV3/$entity")
        for bad in ("CustomersV3(CustomerAccount='US-002')", "CustomersV3('US-002')"):
            refused = client.get(bad)
            assert refused.status_code == 400 and "number of keys" in inner(refused)["message"]
        missing = client.get(customer_url("usmf", "US-999"))
        assert missing.status_code == 404 and inner(missing)["type"] == "Microsoft.OData.ODataException"
        changed = client.patch(customer_url("usmf", "US-002"), json={"CreditLimit": 1234, "SalesMemo": "VIP"})
        assert changed.status_code == 204
        again = client.get(customer_url("usmf", "US-002")).json()
        assert (again["CreditLimit"], again["SalesMemo"]) == (1234, "VIP")
        assert again["@odata.etag"] != read.json()["@odata.etag"]
        stale = client.patch(
            customer_url("usmf", "US-002"), json={"SalesMemo": "x"}, headers={"If-Match": read.headers["etag"]}
        )
        assert stale.status_code == 412
        unknown = client.patch(customer_url("usmf", "US-002"), json={"Nickname": "x"})
        assert unknown.status_code == 400 and "'Nickname' does not exist" in inner(unknown)["message"]
        group = client.patch(customer_url("usmf", "US-002"), json={"CustomerGroupId": "XX"})
        assert group.status_code == 400 and inner(group)["type"] == WRITE_EXCEPTION
        assert "not found in the related table 'Customer groups'" in inner(group)["message"]
        ordering = {row["OrderingCustomerAccountNumber"] for row in fo.rows("SalesOrderHeadersV2", dataAreaId="usmf")}
        with_orders = sorted(ordering)[0]
        without = next(
            row["CustomerAccount"]
            for row in fo.rows("CustomersV3", dataAreaId="usmf")
            if row["CustomerAccount"] not in ordering
        )
        assert client.delete(customer_url("usmf", with_orders)).status_code == 400
        assert client.delete(customer_url("usmf", without)).status_code == 204
        assert client.get(customer_url("usmf", without)).status_code == 404
        assert client.delete(customer_url("usmf", without)).status_code == 404


def test_create_fills_defaults_numbers_orders_and_validates_references(sandbox):
    fo = sandbox["dynamics_fo"]
    with api(sandbox) as client:
        created = client.post(
            "CustomersV3",
            json={
                "dataAreaId": "USMF",
                "CustomerAccount": "NEW-1",
                "OrganizationName": "Newco",
                "CustomerGroupId": "10",
                "SalesCurrencyCode": "USD",
            },
        )
        assert created.status_code == 201
        body = created.json()
        assert body["dataAreaId"] == "usmf" and body["PaymentMethod"] == "" and body["CreditLimitIsMandatory"] == "No"
        assert body["AddressValidFrom"] == "1900-01-01T00:00:00Z" and body["PartyNumber"]
        assert created.headers["location"].endswith(customer_url("usmf", "NEW-1"))
        duplicate = client.post(
            "CustomersV3", json={"CustomerAccount": "new-1", "CustomerGroupId": "10", "SalesCurrencyCode": "USD"}
        )
        assert duplicate.status_code == 400 and "already exists" in inner(duplicate)["message"]
        highest = max(int(row["SalesOrderNumber"]) for row in fo.rows("SalesOrderHeadersV2", dataAreaId="usmf"))
        first, second = (
            client.post("SalesOrderHeadersV2", json={"OrderingCustomerAccountNumber": "NEW-1"}).json() for _ in range(2)
        )
        assert [first["SalesOrderNumber"], second["SalesOrderNumber"]] == [f"{highest + 1:06d}", f"{highest + 2:06d}"]
        assert (first["CurrencyCode"], first["SalesOrderName"], first["SalesOrderStatus"]) == (
            "USD",
            "Newco",
            "Backorder",
        )
        assert first["RequestedShippingDate"] == "1900-01-01T12:00:00Z"
        assert first["OrderCreationDateTime"] == "2026-10-03T12:00:00Z"
        line = client.post(
            "SalesOrderLines",
            json={
                "dataAreaId": "usmf",
                "SalesOrderNumber": first["SalesOrderNumber"],
                "ItemNumber": "D0002",
                "OrderedSalesQuantity": 2,
            },
        ).json()
        assert (line["SalesPrice"], line["SalesUnitSymbol"], line["LineAmount"]) == (780.0, "ea", 1560.0)
        assert line["InventoryLotId"] and line["LineCreationSequenceNumber"] == 1
        header = client.get(f"SalesOrderHeadersV2(dataAreaId='usmf',SalesOrderNumber='{first['SalesOrderNumber']}')")
        assert header.json()["OrderTotalAmount"] == 1560.0
        stranger = client.post("SalesOrderHeadersV2", json={"OrderingCustomerAccountNumber": "NOBODY"})
        assert stranger.status_code == 400 and "'Customer account'" in inner(stranger)["message"]
        no_currency = next(
            row["CustomerAccount"] for row in fo.rows("CustomersV3", dataAreaId="usmf") if not row["SalesCurrencyCode"]
        )
        unpriced = client.post("SalesOrderHeadersV2", json={"OrderingCustomerAccountNumber": no_currency})
        assert "Field 'Currency' must be filled in." in inner(unpriced)["message"]
        fo.update_settings({"write_error_status": 500})
        bad_item = client.post(
            "SalesOrderLines", json={"SalesOrderNumber": first["SalesOrderNumber"], "ItemNumber": "NOPE"}
        )
        assert bad_item.status_code == 500 and "'NOPE' in field 'Item number'" in inner(bad_item)["message"]


def test_a_batch_change_set_commits_header_and_lines_together_or_not_at_all(sandbox):
    fo = sandbox["dynamics_fo"]
    header = ("POST", "SalesOrderHeadersV2", {"dataAreaId": "usmf", "OrderingCustomerAccountNumber": "US-002"})
    line = ("POST", "$1/SalesOrderLines", {"ItemNumber": "D0001", "OrderedSalesQuantity": 3})
    bad_line = ("POST", "$1/SalesOrderLines", {"ItemNumber": "NO-SUCH-ITEM"})
    with api(sandbox) as client:
        content_type, body = batch([[header, line, line]])
        ok = client.post("$batch", content=body, headers={"Content-Type": content_type})
        assert ok.status_code == 200 and statuses(ok) == [201, 201, 201]
        number = re.search(r'"SalesOrderNumber": "(\d+)"', ok.text).group(1)
        lines = fo.rows("SalesOrderLines", dataAreaId="usmf", SalesOrderNumber=number)
        assert [row["LineCreationSequenceNumber"] for row in lines] == [1, 2]
        headers_before, lines_before = fo.stats()["rows_SalesOrderHeadersV2"], fo.stats()["rows_SalesOrderLines"]
        content_type, body = batch([[header, line, bad_line]])
        failed = client.post("$batch", content=body, headers={"Content-Type": content_type})
        assert failed.status_code == 200 and statuses(failed) == [500]
        assert WRITE_EXCEPTION in failed.text and "NO-SUCH-ITEM" in failed.text
    assert fo.stats()["rows_SalesOrderHeadersV2"] == headers_before
    assert fo.stats()["rows_SalesOrderLines"] == lines_before


def test_the_throttle_answers_429_with_retry_after_until_the_window_passes(sandbox):
    fo = sandbox["dynamics_fo"]
    fo.update_settings({"request_budget": 3, "budget_window_seconds": 60})
    with api(sandbox) as client:
        assert [client.get("ReleasedProductsV2").status_code for _ in range(3)] == [200] * 3
        throttled = client.get("ReleasedProductsV2")
        assert throttled.status_code == 429 and 1 <= int(throttled.headers["retry-after"]) <= 60
        assert "high resource utilization" in inner(throttled)["message"]
        fo.clock.advance(int(throttled.headers["retry-after"]))
        assert client.get("ReleasedProductsV2").status_code == 200
    assert fo.requests_throttled == 1


def register(sandbox, **endpoint) -> str:
    body = {"url": f"{sandbox.url('receiver')}/events", "business_events": ["CustomerChangedBusinessEvent"], **endpoint}
    response = httpx.post(f"{sandbox.url('dynamics_fo')}/_admin/business-events/endpoints", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_business_events_carry_the_envelope_and_identifiers_only(sandbox):
    fo, receiver = sandbox["dynamics_fo"], sandbox["receiver"]
    register(sandbox, headers={"x-functions-key": "sandbox-key"}, legal_entity="USMF")
    with api(sandbox) as client:
        assert client.patch(customer_url("usmf", "US-003"), json={"SalesMemo": "called"}).status_code == 204
        assert client.patch(customer_url("usmf", "US-003"), json={"CustomerGroupId": "XX"}).status_code == 400
        assert (
            client.patch(
                customer_url("demf", "DE-003"), json={"SalesMemo": "x"}, params={"cross-company": "true"}
            ).status_code
            == 204
        )
    edited = httpx.patch(
        f"{sandbox.url('dynamics_fo')}/_admin/entities/CustomersV3/usmf,US-004",
        json={"PrimaryContactEmail": "ap@newco.example"},
    )
    assert edited.status_code == 200 and edited.json()["PrimaryContactEmail"] == "ap@newco.example"
    assert fo.events.wait_idle(5)
    (headers, _), _ = receiver.received
    assert headers["x-functions-key"] == "sandbox-key" and headers["content-type"] == "application/json"
    api_event, admin_event = receiver.events()
    assert list(api_event) == sorted(api_event)
    assert set(api_event) == {
        "BusinessEventId",
        "BusinessEventLegalEntity",
        "ContextRecordSubject",
        "ControlNumber",
        "CustomerAccount",
        "EventId",
        "EventTime",
        "EventTimeIso8601",
        "InitiatingUserAADObjectId",
        "LegalEntity",
        "MajorVersion",
        "MinorVersion",
        "ParentContextRecordSubjects",
    }
    assert (api_event["BusinessEventId"], api_event["LegalEntity"], api_event["CustomerAccount"]) == (
        "CustomerChangedBusinessEvent",
        "usmf",
        "US-003",
    )
    assert api_event["EventTime"] == f"/Date({int(NOW.timestamp() * 1000)})/"
    assert api_event["EventTimeIso8601"] == "2026-10-03T12:00:00.0000000Z"
    assert re.fullmatch(r"[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}", api_event["EventId"])
    assert re.fullmatch(r"\{[0-9A-F-]{36}\}", api_event["InitiatingUserAADObjectId"])
    assert admin_event["CustomerAccount"] == "US-004" and admin_event["ControlNumber"] > api_event["ControlNumber"]
    assert admin_event["InitiatingUserAADObjectId"] != api_event["InitiatingUserAADObjectId"]


def test_duplicate_out_of_order_and_failed_deliveries_can_be_provoked(sandbox):
    fo, receiver = sandbox["dynamics_fo"], sandbox["receiver"]
    register(sandbox)
    admin = f"{sandbox.url('dynamics_fo')}/_admin"

    def touch(account: str) -> None:
        assert httpx.patch(f"{admin}/entities/CustomersV3/usmf,{account}", json={"SalesMemo": "t"}).status_code == 200

    fo.update_settings({"duplicate_events": True})
    touch("US-005")
    assert fo.events.wait_idle(5)
    first, second = receiver.events()
    assert first == second
    receiver.received.clear()
    fo.update_settings({"duplicate_events": False, "hold_events": True})
    for account in ("US-010", "US-011", "US-012"):
        touch(account)
    assert receiver.received == [] and len(httpx.get(f"{admin}/business-events/log").json()["held"]) == 3
    assert httpx.post(f"{admin}/business-events/release", json={"order": "newest_first"}).json() == {"released": 3}
    assert fo.events.wait_idle(5)
    arrived = receiver.events()
    assert [event["CustomerAccount"] for event in arrived] == ["US-012", "US-011", "US-010"]
    assert [event["ControlNumber"] for event in arrived] == sorted((e["ControlNumber"] for e in arrived), reverse=True)
    receiver.received.clear()
    fo.update_settings({"hold_events": False})
    receiver.failures = 4
    touch("US-009")
    assert fo.events.wait_idle(5) and receiver.received == []
    [error] = httpx.get(f"{admin}/business-events/log").json()["errors"]
    assert error["attempts"] == 4 and error["error"].startswith("HTTP 503")
    assert httpx.post(f"{admin}/business-events/errors/{error['id']}/resend").status_code == 200
    assert fo.events.wait_idle(5)
    assert [event["CustomerAccount"] for event in receiver.events()] == ["US-009"]
    assert httpx.get(f"{admin}/business-events/log").json()["errors"] == []


def test_rows_and_number_sequences_survive_a_restart(tmp_path):
    first = DynamicsFoEmulator(state_dir=tmp_path, customers=30)
    first.edit("CustomersV3", {"dataAreaId": "usmf", "CustomerAccount": "US-001"}, {"SalesMemo": "kept"})
    highest = max(int(row["SalesOrderNumber"]) for row in first.rows("SalesOrderHeadersV2", dataAreaId="usmf"))
    again = DynamicsFoEmulator(state_dir=tmp_path, customers=30)
    assert again.rows("CustomersV3", dataAreaId="usmf", CustomerAccount="US-001")[0]["SalesMemo"] == "kept"
    assert again.stats()["rows_CustomersV3"] == first.stats()["rows_CustomersV3"]
    assert again.store.next_number("SalesOrderNumber/usmf") == highest + 1


@pytest.mark.parametrize(
    "region,state,accepted",
    [("USA", "MA", True), ("USA", "ca", True), ("CAN", "QC", True), ("USA", "California", False), ("USA", "ON", False)],
)
def test_a_customers_state_must_be_a_state_id_of_its_country(sandbox, region, state, accepted):
    with api(sandbox) as client:
        created = client.post(
            "CustomersV3",
            json={
                "dataAreaId": "usmf",
                "CustomerAccount": f"ST-{region}-{state}",
                "OrganizationName": "Stateco",
                "CustomerGroupId": "10",
                "SalesCurrencyCode": "USD",
                "AddressCountryRegionId": region,
                "AddressState": state,
            },
        )
    if accepted:
        assert created.status_code == 201
    else:
        assert created.status_code == 400
        assert (
            f"The value '{state}' in field 'State' is not found in the related table 'States'"
            in inner(created)["message"]
        )
