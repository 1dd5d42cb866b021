"""The Salesforce REST emulator over HTTP, through simple-salesforce (a third-party client, unchanged) and plain
httpx: token and sessions, sObject rows, upsert by External ID, errors, SOQL filters and paging, sObject
Collections, Bulk API 2.0, the daily request limit, persistence."""

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.faults import FaultPlan
from ml_connector_dagster.sandbox.salesforce import SalesforceEmulator
from ml_connector_dagster.sandbox.salesforce.emulator import CLIENT_ID, CLIENT_SECRET
from ml_connector_dagster.sandbox.salesforce.errors import SfError
from ml_connector_dagster.sandbox.salesforce.ids import record_id
from ml_connector_dagster.sandbox.server import SandboxServer
from tests.awkward import AWKWARD

START = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


@pytest.fixture
def org():
    emulator = SalesforceEmulator(clock=Clock(frozen_at=START))
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("salesforce")


def token(url: str, **form) -> httpx.Response:
    return httpx.post(
        f"{url}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form},
    )


def bearer(url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(url).json()['access_token']}"}


class PlainHttp(requests.adapters.HTTPAdapter):
    """simple-salesforce always speaks https to the instance; the sandbox listens on plain http. Only the transport
    is swapped: the client's requests are otherwise sent as it builds them."""

    def send(self, request, **kwargs):
        request.url = request.url.replace("https://", "http://", 1)
        return super().send(request, **kwargs)


def client(url: str) -> Salesforce:
    answer = token(url).json()
    session = requests.Session()
    session.mount(url.replace("http://", "https://"), PlainHttp())
    return Salesforce(
        instance_url=answer["instance_url"], session_id=answer["access_token"], version="63.0", session=session
    )


# token and sessions ------------------------------------------------------------------------------------------------
def test_token_names_the_instance_and_refuses_bad_clients(org):
    _, url = org
    answer = token(url)
    body = answer.json()
    assert answer.status_code == 200 and body["instance_url"] == url and body["token_type"] == "Bearer"
    assert "expires_in" not in body and "refresh_token" not in body
    assert body["issued_at"] == str(int(START.timestamp() * 1000)) and body["access_token"].startswith("00D")
    expected = hmac.new(CLIENT_SECRET.encode(), f"{body['id']}{body['issued_at']}".encode(), hashlib.sha256).digest()
    assert base64.b64decode(body["signature"]) == expected
    basic = httpx.post(
        f"{url}/services/oauth2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)
    )
    assert basic.status_code == 200 and basic.json()["access_token"] != body["access_token"]
    refused = token(url, client_secret="wrong")
    assert refused.status_code == 400 and refused.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    assert token(url, client_id="3MVG9someone-else").status_code == 400
    other = token(url, grant_type="password")
    assert other.status_code == 400 and other.json()["error"] == "unsupported_grant_type"


def test_sessions_lapse_after_their_lifetime_unused_and_on_command(org):
    emulator, url = org
    emulator.update_settings({"token_lifetime_seconds": 600})
    headers = bearer(url)
    limits = f"{url}/services/data/v63.0/limits"
    emulator.clock.advance(599)
    assert httpx.get(limits, headers=headers).status_code == 200
    emulator.clock.advance(599)
    assert httpx.get(limits, headers=headers).status_code == 200, "each use starts the inactivity timeout again"
    emulator.clock.advance(600)
    lapsed = httpx.get(limits, headers=headers)
    assert lapsed.status_code == 401
    assert lapsed.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert httpx.get(limits, headers={"Authorization": "Bearer 00Dnot-a-session"}).status_code == 401
    assert httpx.get(limits).status_code == 401
    sf = client(url)
    assert httpx.post(f"{url}/_admin/expire-tokens").status_code == 200
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")


def test_versions_58_to_63_are_served_and_others_are_not_found(org):
    emulator, url = org
    headers = bearer(url)
    listed = httpx.get(f"{url}/services/data/").json()
    assert [v["version"] for v in listed] == ["58.0", "59.0", "60.0", "61.0", "62.0", "63.0"]
    assert httpx.get(f"{url}/services/data/v58.0/limits", headers=headers).status_code == 200
    unknown = httpx.get(f"{url}/services/data/v57.0/limits", headers=headers)
    assert unknown.status_code == 404 and unknown.json()[0]["errorCode"] == "NOT_FOUND"
    assert emulator.api_used == 1, "neither the versions list nor an unknown version counts as an API request"


# sObject rows ------------------------------------------------------------------------------------------------------
def test_simple_salesforce_creates_reads_updates_upserts_and_deletes(org):
    emulator, url = org
    sf = client(url)
    assert sf.Account.upsert("ERP_Account_Number__c/usmf%2FC-1001", {"Name": "Contoso"}) == 201
    updated = sf.Account.upsert("ERP_Account_Number__c/USMF%2Fc-1001", {"Name": "Contoso Retail"}, raw_response=True)
    assert updated.status_code == 200 and updated.json()["created"] is False, "External ID matching ignores case"
    [account] = emulator.rows("Account")
    assert account["Name"] == "Contoso Retail" and account["ERP_Account_Number__c"] == "usmf/C-1001"
    assert re.fullmatch(r"001[0-9A-Za-z]{15}", account["Id"]) and updated.json()["id"] == account["Id"]
    emulator.update_settings({"pre_v46_upsert": True})
    assert sf.Account.upsert("ERP_Account_Number__c/usmf%2FC-1001", {"Phone": "+1 555 0100"}) == 204

    created = sf.Product2.create({"Name": "Cable", "ProductCode": "A0001"})
    assert created["success"] is True and created["errors"] == [] and created["id"].startswith("01t")
    product = sf.Product2.get(created["id"])
    assert product["attributes"] == {
        "type": "Product2",
        "url": f"/services/data/v63.0/sobjects/Product2/{created['id']}",
    }
    assert product["IsDeleted"] is False and STAMP.match(product["CreatedDate"])
    emulator.clock.advance(90)
    assert sf.Product2.update(created["id"], {"IsActive": True}) == 204
    again = sf.Product2.get(created["id"])
    assert again["IsActive"] is True and again["SystemModstamp"] > product["SystemModstamp"]
    assert again["CreatedDate"] == product["CreatedDate"]
    assert sf.Product2.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Product2.get(created["id"])
    assert sf.query("SELECT Id FROM Product2")["totalSize"] == 0
    deleted = sf.query_all_iter("SELECT Id, IsDeleted FROM Product2", include_deleted=True)
    assert [r["IsDeleted"] for r in deleted] == [True], "queryAll still finds what is in the Recycle Bin"
    assert sf.Account.get_by_custom_id("ERP_Account_Number__c", "usmf/C-1001")["Id"] == account["Id"]
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {
        "Account",
        "Contact",
        "Product2",
        "Pricebook2",
        "PricebookEntry",
        "Opportunity",
        "OpportunityLineItem",
        "Order",
        "OrderItem",
    } <= names
    fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    assert fields["ERP_Account_Number__c"]["externalId"] is True and fields["Name"]["length"] == 255


def test_field_errors_surface_as_simple_salesforce_exceptions(org):
    _, url = org
    sf = client(url)

    def error(call) -> dict:
        with pytest.raises(SalesforceMalformedRequest) as refused:
            call()
        [body] = refused.value.content
        return body

    missing = error(lambda: sf.Opportunity.create({"Name": "Big deal"}))
    assert missing == {
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["StageName", "CloseDate"],
        "message": "Required fields are missing: [StageName, CloseDate]",
    }
    too_long = error(lambda: sf.Account.create({"Name": "x" * 256}))
    assert too_long["errorCode"] == "STRING_TOO_LONG" and "(max length=255)" in too_long["message"]
    assert error(lambda: sf.Account.create({"Name": "A", "Colour__c": "red"}))["errorCode"] == "INVALID_FIELD"
    assert (
        error(lambda: sf.Account.create({"Name": "A", "CreatedDate": "2026-01-01T00:00:00.000+0000"}))["errorCode"]
        == "INVALID_FIELD_FOR_INSERT_UPDATE"
    )
    assert (
        error(lambda: sf.Account.upsert("ERP_Account_Number__c/C-1", {"Id": "001000000000000AAA", "Name": "A"}))[
            "errorCode"
        ]
        == "INVALID_FIELD_FOR_INSERT_UPDATE"
    )
    assert (
        error(lambda: sf.Opportunity.create({"Name": "Deal", "StageName": "Prospecting", "CloseDate": "soon"}))[
            "errorCode"
        ]
        == "JSON_PARSER_ERROR"
    )
    assert (
        error(lambda: sf.Contact.create({"LastName": "Doe", "AccountId": "003Sb0000000001AAA"}))["errorCode"]
        == "FIELD_INTEGRITY_EXCEPTION"
    )
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.upsert("AccountNumber/42", {"Name": "A"})
    with pytest.raises(SalesforceResourceNotFound):
        sf.Widget__c.create({"Name": "A"})


def test_duplicate_external_ids(org):
    emulator, url = org
    sf = client(url)
    sf.Account.create({"Name": "One", "ERP_Account_Number__c": "C-1"})
    with pytest.raises(SalesforceMalformedRequest) as clash:
        sf.Account.create({"Name": "Two", "ERP_Account_Number__c": "c-1"})
    assert clash.value.content[0]["errorCode"] == "DUPLICATE_VALUE"

    emulator.update_settings({"unique_external_ids": False})
    first = emulator.rows("Account")[0]["Id"]
    second = sf.Account.create({"Name": "Two", "ERP_Account_Number__c": "c-1"})["id"]
    with pytest.raises(SalesforceMoreThanOneRecord) as several:
        sf.Account.upsert("ERP_Account_Number__c/C-1", {"Name": "Three"})
    assert several.value.status == 300
    assert several.value.content == [
        f"/services/data/v63.0/sobjects/Account/{first}",
        f"/services/data/v63.0/sobjects/Account/{second}",
    ]
    answer = httpx.patch(
        f"{url}/services/data/v63.0/composite/sobjects/Account/ERP_Account_Number__c",
        headers=bearer(url),
        json={"records": [{"attributes": {"type": "Account"}, "ERP_Account_Number__c": "C-1", "Name": "Three"}]},
    )
    [result] = answer.json()
    assert result["success"] is False and result["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert {r["Name"] for r in emulator.rows("Account")} == {"One", "Two"}, "nothing was written"


def test_relationships_by_external_id_and_computed_fields(org):
    emulator, url = org
    sf = client(url)
    account = sf.Account.create({"Name": "Contoso", "ERP_Account_Number__c": "C-1"})["id"]
    contact = sf.Contact.create(
        {"FirstName": "Ada", "LastName": "Lovelace", "Account": {"ERP_Account_Number__c": "c-1"}}
    )["id"]
    assert sf.Contact.get(contact)["AccountId"] == account and sf.Contact.get(contact)["Name"] == "Ada Lovelace"
    deal = sf.Opportunity.create(
        {"Name": "Deal", "AccountId": account, "StageName": "Closed Won", "CloseDate": "2026-10-31"}
    )["id"]
    assert (sf.Opportunity.get(deal)["IsClosed"], sf.Opportunity.get(deal)["IsWon"]) == (True, True)
    product = sf.Product2.create({"Name": "Cable"})["id"]
    custom_book = sf.Pricebook2.create({"Name": "Wholesale", "IsActive": True})["id"]
    with pytest.raises(SalesforceMalformedRequest) as no_standard:
        sf.PricebookEntry.create({"Pricebook2Id": custom_book, "Product2Id": product, "UnitPrice": 9})
    assert no_standard.value.content[0]["errorCode"] == "STANDARD_PRICE_NOT_DEFINED"
    [standard] = emulator.rows("Pricebook2", IsStandard=True)
    sf.PricebookEntry.create({"Pricebook2Id": standard["Id"], "Product2Id": product, "UnitPrice": 10})
    entry = sf.PricebookEntry.create({"Pricebook2Id": custom_book, "Product2Id": product, "UnitPrice": 9})["id"]
    order = sf.Order.create(
        {"AccountId": account, "EffectiveDate": "2026-10-01", "Status": "Draft", "Pricebook2Id": custom_book}
    )["id"]
    item = sf.OrderItem.create({"OrderId": order, "PricebookEntryId": entry, "Quantity": 3, "UnitPrice": 9})["id"]
    assert sf.OrderItem.get(item)["TotalPrice"] == 27 and sf.Order.get(order)["OrderNumber"] == "00000100"


# SOQL --------------------------------------------------------------------------------------------------------------
def test_soql_filters_orders_and_limits(org):
    emulator, url = org
    sf = client(url)
    emulator.insert(
        "Account",
        [
            {"Name": "Alpha", "Type": "Customer", "NumberOfEmployees": 10},
            {"Name": "Beta", "Type": "Partner", "NumberOfEmployees": 250},
        ],
    )
    emulator.clock.advance(3600)
    [gamma] = emulator.insert("Account", [{"Name": "Gamma", "Type": "Customer", "Website": "it's.example"}])
    emulator.insert("Contact", [{"LastName": "Doe", "AccountId": gamma["Id"]}, {"LastName": "Roe"}])

    def names(where: str) -> list[str]:
        return [r["Name"] for r in sf.query(f"SELECT Name FROM Account {where}")["records"]]

    assert names("WHERE Name LIKE 'a%' OR Name LIKE '_amm_'") == ["Alpha", "Gamma"]
    assert names("WHERE Name IN ('alpha', 'Gamma') AND NOT Type = 'Partner' ORDER BY Name DESC") == ["Gamma", "Alpha"]
    assert names("WHERE Type NOT IN ('Customer') ORDER BY Name") == ["Beta"]
    assert names("WHERE (NumberOfEmployees >= 100 OR Website != null) ORDER BY Name LIMIT 1") == ["Beta"]
    assert names("WHERE Website = 'it\\'s.example'") == ["Gamma"]
    assert names("ORDER BY Website NULLS LAST, Name DESC LIMIT 2 OFFSET 1") == ["Beta", "Alpha"]
    assert names("WHERE SystemModstamp > 2026-10-01T10:00:00Z") == ["Gamma"]
    assert names("WHERE SystemModstamp <= 2026-10-01T11:29:59+01:00 ORDER BY Name") == ["Alpha", "Beta"]
    assert names("WHERE CreatedDate < 2026-10-01T09:30:00Z") == []
    record = sf.query("SELECT Id, SystemModstamp FROM Account WHERE Name = 'Gamma'")["records"][0]
    assert record["SystemModstamp"] == "2026-10-01T10:30:00.000+0000"
    assert record["attributes"] == {"type": "Account", "url": f"/services/data/v63.0/sobjects/Account/{gamma['Id']}"}
    contacts = sf.query(
        "SELECT LastName, Account.Name FROM Contact WHERE Account.Name LIKE 'G%' OR AccountId = null ORDER BY LastName"
    )["records"]
    assert contacts[0]["Account"]["Name"] == "Gamma" and contacts[0]["Account"]["attributes"]["type"] == "Account"
    assert contacts[1]["Account"] is None

    def refused(soql: str) -> str:
        with pytest.raises(SalesforceMalformedRequest) as error:
            sf.query(soql)
        return error.value.content[0]["errorCode"]

    assert refused("SELECT Nope FROM Account") == "INVALID_FIELD"
    assert refused("SELECT Name FROM Account WHERE SystemModstamp > '2026-10-01T00:00:00Z'") == "INVALID_FIELD"
    assert refused("SELECT Name FROM Widget__c") == "INVALID_TYPE"
    assert refused("SELECT Name FROM Account WHERE") == "MALFORMED_QUERY"
    assert refused("SELECT Name, FROM Account") == "MALFORMED_QUERY"
    assert refused("SELECT COUNT() FROM Account") == "MALFORMED_QUERY"


def test_query_pages_of_2000_with_next_records_url(org):
    emulator, url = org
    sf = client(url)
    emulator.insert("Account", [{"Name": f"Account {n:04d}", "ERP_Account_Number__c": f"C-{n}"} for n in range(2101)])
    first = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
    assert (first["totalSize"], first["done"], len(first["records"])) == (2101, False, 2000)
    assert re.fullmatch(r"/services/data/v63\.0/query/01g[0-9A-Za-z]{15}-2000", first["nextRecordsUrl"])
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert rest["done"] is True and "nextRecordsUrl" not in rest and rest["records"][-1]["Name"] == "Account 2100"
    everything = sf.query_all("SELECT Id FROM Account")
    assert everything["totalSize"] == len(everything["records"]) == 2101
    assert len({r["Id"] for r in everything["records"]}) == 2101
    small = httpx.get(
        f"{url}/services/data/v63.0/query",
        params={"q": "SELECT Id FROM Account"},
        headers={**bearer(url), "Sforce-Query-Options": "batchSize=500"},
    ).json()
    assert len(small["records"]) == 500 and small["nextRecordsUrl"].endswith("-500")


# sObject Collections -----------------------------------------------------------------------------------------------
def test_collections_answer_per_record_and_all_or_none_rolls_back(org):
    emulator, url = org
    headers = bearer(url)
    path = f"{url}/services/data/v63.0/composite/sobjects/Account/ERP_Account_Number__c"

    def records(*names: str, start: int = 0) -> list[dict]:
        return [
            {"attributes": {"type": "Account"}, "ERP_Account_Number__c": f"k{n}", "Name": name}
            for n, name in enumerate(names, start)
        ]

    answer = httpx.patch(path, headers=headers, json={"allOrNone": False, "records": records("A", "x" * 300, "C")})
    assert answer.status_code == 200 and answer.headers["sforce-limit-info"].startswith("api-usage=")
    first, second, third = answer.json()
    assert (first["success"], first["created"], third["success"]) == (True, True, True)
    assert second == {
        "id": None,
        "success": False,
        "created": False,
        "errors": [{"statusCode": "STRING_TOO_LONG", "fields": ["Name"], "message": second["errors"][0]["message"]}],
    }
    again = httpx.patch(path, headers=headers, json={"records": records("A again")}).json()
    assert again == [{"id": first["id"], "success": True, "errors": [], "created": False}]

    rolled = httpx.patch(
        path, headers=headers, json={"allOrNone": True, "records": records("A2", "", "C2", start=10)}
    ).json()
    assert [r["success"] for r in rolled] == [False, False, False]
    assert rolled[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert (
        rolled[0]["errors"][0]["statusCode"]
        == rolled[2]["errors"][0]["statusCode"]
        == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    )
    assert {r["Name"] for r in emulator.rows("Account")} == {"A again", "C"}

    repeated = httpx.patch(path, headers=headers, json={"records": records("P", "Q") + records("R")}).json()
    assert [r["errors"][0]["statusCode"] for r in repeated[::2]] == ["DUPLICATE_VALUE", "DUPLICATE_VALUE"]
    too_many = httpx.patch(path, headers=headers, json={"records": records(*[f"n{i}" for i in range(201)])})
    assert too_many.status_code == 400 and too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    untyped = httpx.patch(path, headers=headers, json={"records": [{"ERP_Account_Number__c": "k", "Name": "N"}]})
    assert untyped.status_code == 400
    wrong_type = httpx.patch(
        path,
        headers=headers,
        json={"records": [{"attributes": {"type": "Contact"}, "ERP_Account_Number__c": "k", "Name": "N"}]},
    )
    assert wrong_type.status_code == 400

    created = httpx.post(
        f"{url}/services/data/v63.0/composite/sobjects",
        headers=headers,
        json={"records": [{"attributes": {"type": "Product2"}, "Name": "Cable"}, {"attributes": {"type": "Contact"}}]},
    ).json()
    assert created[0]["success"] is True and created[0]["id"].startswith("01t") and "created" not in created[0]
    assert created[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"


def test_row_lock_faults_fail_chosen_updates(org):
    emulator, url = org
    path = f"{url}/services/data/v63.0/composite/sobjects/Account/ERP_Account_Number__c"
    body = {"records": [{"attributes": {"type": "Account"}, "ERP_Account_Number__c": "k1", "Name": "A"}]}
    assert httpx.patch(path, headers=bearer(url), json=body).json()[0]["created"] is True
    emulator.update_settings({"lock_row_fraction": 1})
    [locked] = httpx.patch(path, headers=bearer(url), json=body).json()
    assert locked["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"


# Bulk API 2.0 ------------------------------------------------------------------------------------------------------
def test_bulk_ingest_job_moves_through_its_states_and_reports_each_row(org):
    emulator, url = org
    emulator.update_settings({"bulk_processing_seconds": 30})
    emulator.insert("Product2", [{"Name": "Old cable", "ERP_Item_Number__c": "usmf/A1"}])
    headers = bearer(url)
    root = f"{url}/services/data/v63.0/jobs/ingest"
    created = httpx.post(
        root,
        headers=headers,
        json={
            "object": "Product2",
            "operation": "upsert",
            "externalIdFieldName": "ERP_Item_Number__c",
            "contentType": "CSV",
            "lineEnding": "LF",
        },
    )
    job = created.json()
    assert created.status_code == 200 and job["state"] == "Open" and re.fullmatch(r"750\w{15}", job["id"])
    assert job["contentUrl"] == f"services/data/v63.0/jobs/ingest/{job['id']}/batches"
    csv_text = "ERP_Item_Number__c,Name,IsActive\nusmf/A1,Cable,true\nusmf/A2,,true\nusmf/A3,Plug,false\n"
    upload = httpx.put(f"{root}/{job['id']}/batches", headers={**headers, "Content-Type": "text/csv"}, content=csv_text)
    assert upload.status_code == 201 and upload.content == b""
    closed = httpx.patch(f"{root}/{job['id']}", headers=headers, json={"state": "UploadComplete"})
    assert closed.json()["state"] == "UploadComplete"
    late = httpx.put(f"{root}/{job['id']}/batches", headers={**headers, "Content-Type": "text/csv"}, content=csv_text)
    assert late.status_code == 400 and late.json()[0]["errorCode"] == "INVALIDJOBSTATE"
    assert httpx.get(f"{root}/{job['id']}", headers=headers).json()["state"] == "InProgress"
    assert [r["Name"] for r in emulator.rows("Product2")] == ["Old cable"], "nothing is written before it is due"

    emulator.clock.advance(30)
    info = httpx.get(f"{root}/{job['id']}", headers=headers).json()
    assert info["state"] == "JobComplete"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 1)
    ok = httpx.get(f"{root}/{job['id']}/successfulResults/", headers=headers)
    assert ok.headers["content-type"].startswith("text/csv")
    lines = ok.text.splitlines()
    assert lines[0] == "sf__Id,sf__Created,ERP_Item_Number__c,Name,IsActive"
    assert [line.split(",")[1:3] for line in lines[1:]] == [["false", "usmf/A1"], ["true", "usmf/A3"]]
    failed = httpx.get(f"{root}/{job['id']}/failedResults/", headers=headers).text.splitlines()
    assert failed[0] == "sf__Id,sf__Error,ERP_Item_Number__c,Name,IsActive"
    assert failed[1] == ",REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --,usmf/A2,,true"
    assert {r["Name"]: r["IsActive"] for r in emulator.rows("Product2")} == {"Cable": True, "Plug": False}


def test_bulk_job_with_the_wrong_line_ending_fails_whole(org):
    _, url = org
    headers = bearer(url)
    root = f"{url}/services/data/v63.0/jobs/ingest"
    job = httpx.post(root, headers=headers, json={"object": "Account", "operation": "insert"}).json()
    httpx.put(
        f"{root}/{job['id']}/batches", headers={**headers, "Content-Type": "text/csv"}, content="Name\r\nContoso\r\n"
    )
    httpx.patch(f"{root}/{job['id']}", headers=headers, json={"state": "UploadComplete"})
    info = httpx.get(f"{root}/{job['id']}", headers=headers).json()
    assert info["state"] == "Failed" and "LineEnding" in info["errorMessage"]
    assert httpx.get(f"{root}/{job['id']}/unprocessedrecords/", headers=headers).text.splitlines() == [
        "Name",
        "Contoso",
    ]
    aborted = httpx.post(root, headers=headers, json={"object": "Account", "operation": "insert"}).json()
    assert (
        httpx.patch(f"{root}/{aborted['id']}", headers=headers, json={"state": "Aborted"}).json()["state"] == "Aborted"
    )
    bad = httpx.post(root, headers=headers, json={"object": "Account", "operation": "upsert"})
    assert bad.status_code == 400


# limits, faults, persistence ---------------------------------------------------------------------------------------
def test_the_daily_request_limit_is_counted_and_enforced(org):
    emulator, url = org
    emulator.update_settings({"daily_api_requests": 3})
    headers = bearer(url)
    limits = httpx.get(f"{url}/services/data/v63.0/limits", headers=headers)
    assert limits.json()["DailyApiRequests"] == {"Max": 3, "Remaining": 2}
    assert limits.headers["sforce-limit-info"] == "api-usage=1/3"
    token(url)
    second = httpx.get(f"{url}/services/data/v63.0/sobjects/", headers=headers)
    assert second.headers["sforce-limit-info"] == "api-usage=2/3", "token calls are not API requests"
    httpx.get(f"{url}/services/data/v63.0/limits", headers=headers)
    refused = httpx.get(f"{url}/services/data/v63.0/query", params={"q": "SELECT Id FROM Account"}, headers=headers)
    assert refused.status_code == 403
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    stats = httpx.get(f"{url}/_admin/stats").json()
    assert stats["api_requests_used"] == 3 and stats["DailyApiRequests"]["Remaining"] == 0
    assert httpx.post(f"{url}/_admin/new-day").json()["DailyApiRequests"] == {"Max": 3, "Remaining": 3}
    assert httpx.get(f"{url}/services/data/v63.0/limits", headers=headers).status_code == 200


def test_injected_faults_are_salesforce_shaped(org):
    emulator, url = org
    emulator.faults.add(FaultPlan(status=503, path_contains="/query"))
    answer = httpx.get(f"{url}/services/data/v63.0/query", params={"q": "SELECT Id FROM Account"}, headers=bearer(url))
    assert answer.status_code == 503 and answer.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"


def test_admin_edits_move_system_modstamp_for_incremental_queries(org):
    emulator, url = org
    sf = client(url)
    [alpha, beta] = emulator.insert("Account", [{"Name": "Alpha"}, {"Name": "Beta"}])
    emulator.clock.advance(60)
    edited = httpx.patch(f"{url}/_admin/sobjects/Account/{beta['Id']}", json={"Phone": "+1 555 0100"}).json()
    assert edited["SystemModstamp"] == "2026-10-01T09:31:00.000+0000" and edited["CreatedDate"] == beta["CreatedDate"]
    changed = sf.query("SELECT Name FROM Account WHERE SystemModstamp > 2026-10-01T09:30:30Z")["records"]
    assert [r["Name"] for r in changed] == ["Beta"]
    listed = httpx.get(f"{url}/_admin/sobjects/Account", params={"Name": "Alpha"}).json()["records"]
    assert [r["Id"] for r in listed] == [alpha["Id"]]
    refused = httpx.post(f"{url}/_admin/sobjects/Account", json={"Website": "x"})
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_records_persist_in_the_state_folder(tmp_path):
    first = SalesforceEmulator(state_dir=tmp_path)
    [kept] = first.insert("Account", [{"Name": "Kept", "ERP_Account_Number__c": "C-1"}])
    again = SalesforceEmulator(state_dir=tmp_path)
    assert again.rows("Account") == [kept]
    [new] = again.insert("Account", [{"Name": "New"}])
    assert new["Id"] != kept["Id"]
    assert len(again.rows("Pricebook2", IsStandard=True)) == 1, "the standard price book is made once"
    with pytest.raises(SfError) as clash:
        again.insert("Account", [{"Name": "Clash", "ERP_Account_Number__c": "c-1"}])
    assert clash.value.code == "DUPLICATE_VALUE"


def test_collections_update_by_id_across_types_through_simple_salesforce(org):
    emulator, url = org
    sf = client(url)
    [account] = emulator.insert("Account", [{"Name": "Alpha"}])
    [contact, gone] = emulator.insert("Contact", [{"LastName": "Doe"}, {"LastName": "Roe"}])
    sf.Contact.delete(gone["Id"])
    emulator.clock.advance(60)

    def change(*records: dict, all_or_none: bool = False) -> list[dict]:
        return sf.restful(
            "composite/sobjects",
            method="PATCH",
            json={
                "allOrNone": all_or_none,
                "records": [{"attributes": {"type": sobject}, **fields} for sobject, fields in records],
            },
        )

    answer = change(
        ("Account", {"id": account["Id"], "NumberOfEmployees": 27000}),
        ("Contact", {"Id": contact["Id"][:15], "Title": "Lead Engineer"}),
        ("Contact", {"id": account["Id"], "Title": "Wrong type"}),
        ("Contact", {"id": record_id("003", 999), "Title": "Nobody"}),
        ("Contact", {"id": gone["Id"], "Title": "Deleted"}),
        ("Account", {"Name": "No id"}),
        ("Account", {"id": account["Id"], "Name": "x" * 256}),
    )
    assert answer[:2] == [
        {"id": account["Id"], "success": True, "errors": []},
        {"id": contact["Id"], "success": True, "errors": []},
    ], "answered in order, 18-char ids"
    assert [r["errors"][0]["statusCode"] for r in answer[2:]] == [
        "MALFORMED_ID",
        "INVALID_CROSS_REFERENCE_KEY",
        "ENTITY_IS_DELETED",
        "MISSING_ARGUMENT",
        "STRING_TOO_LONG",
    ]
    assert answer[2]["errors"][0] == {
        "statusCode": "MALFORMED_ID",
        "fields": ["Id"],
        "message": f"Contact ID: id value of incorrect type: {account['Id']}",
    }
    [alpha] = emulator.rows("Account")
    assert (alpha["Name"], alpha["NumberOfEmployees"]) == ("Alpha", 27000)
    assert alpha["SystemModstamp"] == "2026-10-01T09:31:00.000+0000" and alpha["CreatedDate"] == account["CreatedDate"]
    assert emulator.rows("Contact", Id=contact["Id"])[0]["Title"] == "Lead Engineer"

    rolled = change(
        ("Account", {"id": account["Id"], "Phone": "+1 555 0100"}),
        ("Contact", {"id": contact["Id"], "LastName": ""}),
        all_or_none=True,
    )
    assert rolled[0] == {"id": account["Id"], "success": False, "errors": [rolled[0]["errors"][0]]}
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert rolled[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert (
        emulator.rows("Account")[0]["Phone"] is None
        and emulator.rows("Contact", Id=contact["Id"])[0]["LastName"] == "Doe"
    )
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite/sobjects", method="PATCH", json={"records": [{"id": account["Id"], "Name": "N"}]})


def test_an_external_id_in_a_url_is_read_percent_decoded_as_one_segment_so_any_character_round_trips_encoded(org):
    emulator, url = org
    sf = client(url)
    for c in AWKWARD:
        value = f"usmf/K{c}1"
        path = f"ERP_Account_Number__c/{quote(value, safe='')}"
        assert sf.Account.upsert(path, {"Name": "Before"}) == 201, value
        assert sf.Account.upsert(path, {"Name": "After"}) == 200, value
        assert sf.Account.get(path)["ERP_Account_Number__c"] == value
    assert len(emulator.rows("Account")) == len(AWKWARD)

    for value in ("usmf/K/1", "usmf/K#1", "usmf/K?1"):
        with pytest.raises(SalesforceResourceNotFound):
            sf.Account.get(f"ERP_Account_Number__c/{value}")
    # A path's `+` is a plus, not a space (simple-salesforce issue #801: quote_plus in get_by_custom_id).
    assert sf.Account.get("ERP_Account_Number__c/usmf%2FK+1")["ERP_Account_Number__c"] == "usmf/K+1"
