"""The Salesforce REST emulator over HTTP, through simple-salesforce (a third-party client, unchanged) and plain
httpx: token, query paging, upsert by External ID, errors, collections, Bulk API 2.0, the daily request limit."""

import httpx
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession, SalesforceMalformedRequest

from ml_connector_dagster.sandbox.salesforce import SalesforceEmulator
from ml_connector_dagster.sandbox.salesforce.emulator import CLIENT_ID, CLIENT_SECRET
from ml_connector_dagster.sandbox.server import SandboxServer


@pytest.fixture
def org():
    emulator = SalesforceEmulator()
    emulator.update_settings({"query_batch_size": 200})
    with SandboxServer([emulator]) as server:
        yield emulator, server.url("salesforce")


def token(url: str, **form) -> httpx.Response:
    return httpx.post(f"{url}/services/oauth2/token", data={"grant_type": "client_credentials",
                                                           "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                                           **form})


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
    return Salesforce(instance_url=answer["instance_url"], session_id=answer["access_token"], version="63.0",
                      session=session)


def test_token_names_the_instance_and_refuses_bad_clients(org):
    _, url = org
    answer = token(url)
    assert answer.status_code == 200 and answer.json()["instance_url"] == url
    assert "expires_in" not in answer.json() and answer.json()["issued_at"].isdigit()
    refused = token(url, client_secret="wrong")
    assert refused.status_code == 400 and refused.json() == {"error": "invalid_client",
                                                             "error_description": "invalid client credentials"}
    assert token(url, grant_type="password").json()["error"] == "unsupported_grant_type"


def test_simple_salesforce_upserts_queries_and_pages(org):
    emulator, url = org
    sf = client(url)
    assert sf.Account.upsert("ERP_Account_Number__c/usmf%2FUS-001", {"Name": "Contoso"}) == 201
    assert sf.Account.upsert("ERP_Account_Number__c/usmf%2FUS-001", {"Name": "Contoso Retail"}) == 200
    [account] = emulator.rows("Account")
    assert account["Name"] == "Contoso Retail" and account["ERP_Account_Number__c"] == "usmf/US-001"
    assert account["Id"].startswith("001") and len(account["Id"]) == 18
    created = sf.Product2.create({"Name": "Cable", "ProductCode": "A0001"})
    assert sf.Product2.get(created["id"])["ProductCode"] == "A0001"
    sf.Product2.update(created["id"], {"IsActive": True})
    for n in range(450):
        sf_records = {"Name": f"Account {n:03d}", "ERP_Account_Number__c": f"usrt/{n}"}
        emulator_writes(emulator, sf_records)
    result = sf.query_all("SELECT Id, Name FROM Account WHERE Name LIKE 'Account 1%' ORDER BY Name DESC")
    assert result["totalSize"] == 100 and result["records"][0]["Name"] == "Account 199"
    everything = sf.query_all("SELECT Id FROM Account")
    assert everything["totalSize"] == len(everything["records"]) == 451, "followed nextRecordsUrl over 3 pages"
    with pytest.raises(SalesforceMalformedRequest) as bad:
        sf.query("SELECT Nope FROM Account")
    assert bad.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Account.create({"Website": "https://x"})
    assert missing.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    emulator.expire_tokens()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")


def emulator_writes(emulator: SalesforceEmulator, values: dict) -> None:
    from ml_connector_dagster.sandbox.salesforce.records import Writes
    from ml_connector_dagster.sandbox.salesforce.schema import OBJECTS
    writes = Writes(emulator.store, emulator._stamp)
    writes.create(OBJECTS["Account"], values)
    writes.commit()


def test_soql_filters_on_datetimes_in_lists_and_negations(org):
    emulator, url = org
    sf = client(url)
    for name in ("Alpha", "Beta", "Gamma"):
        sf.Account.create({"Name": name, "Type": "Customer" if name != "Beta" else "Partner"})
    stamp = emulator.rows("Account")[0]["SystemModstamp"]
    assert stamp.endswith(".000+0000")
    day = stamp[:10]
    assert sf.query(f"SELECT Name FROM Account WHERE SystemModstamp >= {day}T00:00:00Z")["totalSize"] == 3
    assert sf.query(f"SELECT Name FROM Account WHERE SystemModstamp > {day}T23:59:59Z")["totalSize"] == 0
    names = sf.query("SELECT Name FROM Account WHERE Name IN ('alpha', 'Gamma') AND NOT Type = 'Partner' "
                     "ORDER BY Name LIMIT 1")
    assert [r["Name"] for r in names["records"]] == ["Alpha"]
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT Name FROM Account WHERE SystemModstamp > '2026-01-01'")


def test_collections_answer_per_record_and_all_or_none_rolls_back(org):
    emulator, url = org
    headers = {"Authorization": f"Bearer {token(url).json()['access_token']}"}
    path = f"{url}/services/data/v63.0/composite/sobjects/Account/ERP_Account_Number__c"

    def records(*names):
        return [{"attributes": {"type": "Account"}, "ERP_Account_Number__c": f"k{n}", "Name": name}
                for n, name in enumerate(names)]

    answer = httpx.patch(path, headers=headers, json={"allOrNone": False, "records": records("A", "x" * 300, "C")})
    assert answer.status_code == 200
    assert [r["success"] for r in answer.json()] == [True, False, True]
    assert answer.json()[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert answer.headers["sforce-limit-info"].startswith("api-usage=")
    rolled = httpx.patch(path, headers=headers, json={"allOrNone": True, "records": records("A2", "", "C2")})
    assert [r["success"] for r in rolled.json()] == [False, False, False]
    assert {r["Name"] for r in emulator.rows("Account")} == {"A", "C"}
    too_many = httpx.patch(path, headers=headers, json={"records": records(*[f"n{i}" for i in range(201)])})
    assert too_many.status_code == 400


def test_bulk_ingest_job_reports_each_row(org):
    emulator, url = org
    headers = {"Authorization": f"Bearer {token(url).json()['access_token']}"}
    root = f"{url}/services/data/v63.0/jobs/ingest"
    job = httpx.post(root, headers=headers, json={"object": "Product2", "operation": "upsert",
                                                  "externalIdFieldName": "ERP_Item_Number__c",
                                                  "contentType": "CSV", "lineEnding": "LF"}).json()
    assert job["state"] == "Open" and job["id"].startswith("750")
    csv_text = "ERP_Item_Number__c,Name,IsActive\nusmf/A1,Cable,true\nusmf/A2,,true\n"
    assert httpx.put(f"{root}/{job['id']}/batches", headers={**headers, "Content-Type": "text/csv"},
                     content=csv_text).status_code == 201
    closed = httpx.patch(f"{root}/{job['id']}", headers=headers, json={"state": "UploadComplete"}).json()
    info = httpx.get(f"{root}/{job['id']}", headers=headers).json()
    assert closed["id"] == job["id"] and info["state"] == "JobComplete"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 1)
    ok = httpx.get(f"{root}/{job['id']}/successfulResults/", headers=headers).text.splitlines()
    failed = httpx.get(f"{root}/{job['id']}/failedResults/", headers=headers).text.splitlines()
    assert ok[0].startswith("sf__Id,sf__Created") and ok[1].split(",")[1] == "true"
    assert failed[1].split(",")[1].startswith("REQUIRED_FIELD_MISSING")
    assert emulator.rows("Product2")[0]["IsActive"] is True


def test_the_daily_request_limit_is_counted_and_enforced(org):
    emulator, url = org
    emulator.update_settings({"daily_api_requests": 3})
    headers = {"Authorization": f"Bearer {token(url).json()['access_token']}"}
    limits = httpx.get(f"{url}/services/data/v63.0/limits", headers=headers)
    assert limits.json()["DailyApiRequests"] == {"Max": 3, "Remaining": 2}
    assert limits.headers["sforce-limit-info"] == "api-usage=1/3"
    for _ in range(2):
        httpx.get(f"{url}/services/data/v63.0/limits", headers=headers)
    refused = httpx.get(f"{url}/services/data/v63.0/limits", headers=headers)
    assert refused.status_code == 403 and refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    emulator.new_day()
    assert httpx.get(f"{url}/services/data/v63.0/limits", headers=headers).status_code == 200
