"""The Entra and Dataverse emulators over real HTTP, through the connector's own client and plain httpx."""

from datetime import UTC, datetime

import httpx
import pytest
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource

from ml_connector_dagster.http import ApiError, AuthError
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_sales import DynamicsSalesEmulator
from ml_connector_dagster.sandbox.entra import EntraEmulator
from ml_connector_dagster.sandbox.faults import FaultPlan
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.tokens import TokenSigner


@pytest.fixture
def sandbox(tmp_path):
    clock, signer = Clock(frozen_at=datetime(2026, 10, 3, 12, tzinfo=UTC)), TokenSigner()
    with SandboxServer(
        [
            EntraEmulator(clock=clock, signer=signer),
            DynamicsSalesEmulator(clock=clock, signer=signer, state_dir=tmp_path),
        ]
    ) as server:
        yield server


def resource(sandbox, **overrides) -> DynamicsSalesResource:
    return DynamicsSalesResource(
        **{
            "environment_url": sandbox.url("dynamics_sales"),
            "authority_url": sandbox.url("entra"),
            "tenant_id": SANDBOX.tenant_id,
            "client_id": SANDBOX.client_id,
            "client_secret": SANDBOX.client_secret,
            "max_retry_wait_seconds": 2,
            **overrides,
        }
    )


def token(sandbox, **form) -> httpx.Response:
    body = {
        "client_id": SANDBOX.client_id,
        "client_secret": SANDBOX.client_secret,
        "grant_type": "client_credentials",
        "scope": f"{sandbox.url('dynamics_sales')}/.default",
        **form,
    }
    return httpx.post(f"{sandbox.url('entra')}/{SANDBOX.tenant_id}/oauth2/v2.0/token", data=body)


def account(key: str, **fields) -> TargetRecord:
    return TargetRecord(key, {"name": f"Account {key}", "customertypecode": 3, **fields})


def test_entra_issues_tokens_and_answers_errors_as_entra_does(sandbox):
    ok = token(sandbox)
    assert ok.status_code == 200 and ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] == 3599
    assert ok.headers["cache-control"] == "no-store, no-cache"
    wrong = token(sandbox, client_secret="nope")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.json()["error_codes"] == [7000215] and wrong.json()["error_description"].startswith("AADSTS7000215")
    assert token(sandbox, scope="https://x/user.read").json()["error_codes"] == [1002012]
    assert token(sandbox, client_id="unknown").json()["error"] == "unauthorized_client"
    assert token(sandbox, grant_type="password").json()["error"] == "unsupported_grant_type"
    metadata = httpx.get(f"{sandbox.url('entra')}/{SANDBOX.tenant_id}/v2.0/.well-known/openid-configuration").json()
    assert metadata["token_endpoint"].endswith(f"/{SANDBOX.tenant_id}/oauth2/v2.0/token")
    assert httpx.get(metadata["jwks_uri"]).json()["keys"][0]["alg"] == "RS256"


def test_a_wrong_secret_fails_with_the_aadsts_code_and_no_secret(sandbox):
    with resource(sandbox, client_secret="not-the-secret").open() as client:
        with pytest.raises(AuthError) as failure:
            next(client.rows("account", ["accountid"]), None)
    assert "AADSTS7000215" in str(failure.value) and "not-the-secret" not in str(failure.value)


def test_dataverse_refuses_missing_foreign_and_expired_tokens(sandbox):
    api = f"{sandbox.url('dynamics_sales')}/api/data/v9.2/accounts"
    assert httpx.get(api).status_code == 401
    assert "authorization_uri" in httpx.get(api).headers["www-authenticate"]
    other_audience = token(sandbox, scope="https://contoso.crm.dynamics.com/.default").json()["access_token"]
    assert httpx.get(api, headers={"Authorization": f"Bearer {other_audience}"}).status_code == 401
    good = token(sandbox).json()["access_token"]
    assert httpx.get(api, headers={"Authorization": f"Bearer {good}"}).status_code == 200
    sandbox["dynamics_sales"].clock.advance(3600)
    assert httpx.get(api, headers={"Authorization": f"Bearer {good}"}).status_code == 401


def test_upsert_by_alternate_key_creates_then_updates_in_one_call_per_batch(sandbox):
    dataverse = sandbox["dynamics_sales"]
    with resource(sandbox).open() as client:
        results = client.upsert("account", [account(f"k{i}") for i in range(300)])
        assert all(r.ok for r in results) and dataverse.count("account") == 300
        before = dataverse.stats()["write_requests"]
        client.upsert("account", [account("k1", name="Renamed"), account("k2")])
        assert dataverse.stats()["write_requests"] == before + 1
    assert dataverse.rows("account", mlc_externalid="k1")[0]["name"] == "Renamed"
    assert dataverse.count("account") == 300


def test_a_bad_record_fails_the_bulk_call_and_gets_its_own_reason_from_batch(sandbox):
    dataverse = sandbox["dynamics_sales"]
    records = [
        account("a"),
        account("b", name="x" * 161),
        account("c", nosuchcolumn=1),
        TargetRecord(
            "d", {"lastname": "Doe", "parentcustomerid_account@odata.bind": "/accounts(mlc_externalid='missing')"}
        ),
        account("e"),
    ]
    with resource(sandbox).open() as client:
        accounts = client.upsert("account", records[:3] + records[4:])
        contact = client.upsert("contact", [records[3]])
    by_key = {r.source_key: r for r in accounts}
    assert by_key["a"].ok and by_key["e"].ok
    assert by_key["b"].error_code == "0x80044331" and "'160'" in by_key["b"].error_message
    assert by_key["c"].error_code == "0x80048d19" and "nosuchcolumn" in by_key["c"].error_message
    assert contact[0].error_code == "0x80060891" and contact[0].error_class == "dependency"
    assert {r["mlc_externalid"] for r in dataverse.rows("account")} == {"a", "e"}


def test_contacts_bind_to_accounts_by_key_and_read_back_as_lookup_values(sandbox):
    dataverse = sandbox["dynamics_sales"]
    with resource(sandbox).open() as client:
        client.upsert("account", [account("parent")])
        client.upsert(
            "contact",
            [
                TargetRecord(
                    "c1",
                    {
                        "firstname": "Ada",
                        "lastname": "Lovelace",
                        "parentcustomerid_account@odata.bind": "/accounts(mlc_externalid='parent')",
                    },
                )
            ],
        )
        snapshot = client.snapshot("contact", ["lastname", "parentcustomerid_account@odata.bind"])
    [contact] = dataverse.rows("contact")
    assert contact["fullname"] == "Ada Lovelace"
    assert contact["_parentcustomerid_value"] == dataverse.rows("account")[0]["accountid"]
    assert snapshot["c1"]["parentcustomerid_account@odata.bind"] == "/accounts(mlc_externalid='parent')"


def test_paging_follows_next_links_with_the_page_size_asked(sandbox):
    with resource(sandbox, page_size=70).open() as client:
        client.upsert("account", [account(f"p{i:03}") for i in range(250)])
        calls = client.counter.total
        keys = [row["mlc_externalid"] for row in client.rows("account", ["mlc_externalid"])]
        assert client.counter.total - calls == 4
    assert sorted(keys) == sorted(f"p{i:03}" for i in range(250)) and len(set(keys)) == 250


def test_filters_select_and_the_strict_query_rules(sandbox):
    with resource(sandbox).open() as client:
        client.upsert("account", [account("f1", accountnumber="A-1"), account("f2"), account("f3")])
        assert client.existing_keys("account", dict.fromkeys(["f1", "f3", "zz"])) == {"f1", "f3"}
        rows = list(client.rows("account", ["name"], "accountnumber eq 'A-1' or startswith(mlc_externalid,'f2')"))
        assert sorted(r["name"] for r in rows) == ["Account f1", "Account f2"]
        with pytest.raises(ApiError, match="nosuch"):
            list(client.rows("account", ["nosuch"]))
    bearer = token(sandbox).json()["access_token"]
    skip = httpx.get(
        f"{sandbox.url('dynamics_sales')}/api/data/v9.2/accounts?$skip=1", headers={"Authorization": f"Bearer {bearer}"}
    )
    assert skip.status_code == 400


def test_upsert_matrix_of_conditional_headers(sandbox):
    api = f"{sandbox.url('dynamics_sales')}/api/data/v9.2"
    headers = {"Authorization": f"Bearer {token(sandbox).json()['access_token']}", "Content-Type": "application/json"}
    url = f"{api}/accounts(mlc_externalid='m1')"
    assert httpx.patch(url, json={"name": "x"}, headers={**headers, "If-Match": "*"}).status_code == 404
    created = httpx.patch(url, json={"name": "x"}, headers={**headers, "Prefer": "return=representation"})
    assert created.status_code == 201 and created.json()["mlc_externalid"] == "m1"
    assert httpx.patch(url, json={"name": "y"}, headers={**headers, "If-None-Match": "*"}).status_code == 412
    updated = httpx.patch(url, json={"name": "y"}, headers=headers)
    assert updated.status_code == 204 and updated.headers["OData-EntityId"].endswith("accounts(mlc_externalid='m1')")
    duplicate = httpx.post(f"{api}/accounts", json={"name": "z", "mlc_externalid": "M1"}, headers=headers)
    assert duplicate.status_code == 412 and duplicate.json()["error"]["code"] == "0x80060892"
    bad_key = httpx.get(f"{api}/accounts(accountnumber='A-1')", headers=headers)
    assert bad_key.status_code == 400 and "key in the request URI is not valid" in bad_key.json()["error"]["message"]


def test_service_protection_answers_429_with_retry_after_and_the_client_waits():
    signer = TokenSigner()
    dataverse = DynamicsSalesEmulator(signer=signer)  # a running clock: the window has to pass for real
    dataverse.update_settings({"requests_per_window": 3, "window_seconds": 1})
    with SandboxServer([EntraEmulator(signer=signer), dataverse]) as server:
        # A budget far above this tiny limit; the answer saying none is left holds the client for a tenth of the
        # resource's window (0.05 s), less than the limit's 1 s, so the next request still meets the 429.
        with resource(server, window_seconds=0.5).open() as client:
            for i in range(5):
                client.upsert("account", [account(f"t{i}")])
    assert dataverse.count("account") == 5 and dataverse.requests_throttled >= 1


def test_a_reset_environment_starts_with_an_empty_service_protection_window(sandbox):
    dataverse = sandbox["dynamics_sales"]
    dataverse.update_settings({"requests_per_window": 2, "window_seconds": 300})
    url = f"{sandbox.url('dynamics_sales')}/api/data/v9.2/accounts?$select=name"
    headers = {"Authorization": f"Bearer {token(sandbox).json()['access_token']}"}
    assert [httpx.get(url, headers=headers).status_code for _ in range(3)] == [200, 200, 429]
    dataverse.reset()
    assert httpx.get(url, headers=headers).status_code == 200


def test_injected_throttling_and_token_expiry_are_survived(sandbox):
    dataverse = sandbox["dynamics_sales"]
    dataverse.faults.add(FaultPlan(status=429, count=2, retry_after=1, path_contains="UpsertMultiple"))
    dataverse.faults.add(FaultPlan(advance_clock_seconds=7200, skip=1, path_contains="UpsertMultiple"))
    with resource(sandbox).open() as client:
        for i in range(3):
            assert all(r.ok for r in client.upsert("account", [account(f"x{i}")]))
    assert dataverse.faults.injected == 3 and dataverse.count("account") == 3


def test_rows_survive_a_restart_with_the_same_state_folder(tmp_path):
    signer = TokenSigner()
    first = DynamicsSalesEmulator(signer=signer, state_dir=tmp_path)
    with SandboxServer([EntraEmulator(signer=signer), first]) as server:
        with resource(server).open() as client:
            client.upsert("account", [account("kept")])
    again = DynamicsSalesEmulator(signer=signer, state_dir=tmp_path)
    assert [r["mlc_externalid"] for r in again.rows("account")] == ["kept"]


def test_an_account_is_created_active_whatever_statecode_says_and_deactivated_by_an_update(sandbox):
    api = f"{sandbox.url('dynamics_sales')}/api/data/v9.2"
    headers = {"Authorization": f"Bearer {token(sandbox).json()['access_token']}", "Content-Type": "application/json"}
    url = f"{api}/accounts(mlc_externalid='s1')"
    refused = httpx.patch(url, json={"name": "x", "statecode": 1, "statuscode": 2}, headers=headers)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "0x80048408"
    assert "AccountState.Active" in refused.json()["error"]["message"]
    assert httpx.patch(url, json={"name": "x", "statecode": 1}, headers=headers).status_code == 204
    assert sandbox["dynamics_sales"].rows("account", mlc_externalid="s1")[0]["statecode"] == 0
    assert httpx.patch(url, json={"statecode": 1, "statuscode": 2}, headers=headers).status_code == 204
    [row] = sandbox["dynamics_sales"].rows("account", mlc_externalid="s1")
    assert (row["statecode"], row["statuscode"]) == (1, 2)
    mismatched = httpx.patch(url, json={"statecode": 0, "statuscode": 2}, headers=headers)
    assert mismatched.status_code == 400 and "AccountState.Active" in mismatched.json()["error"]["message"]
    assert httpx.patch(url, json={"statecode": 0}, headers=headers).status_code == 204
    [row] = sandbox["dynamics_sales"].rows("account", mlc_externalid="s1")
    assert (row["statecode"], row["statuscode"]) == (0, 1), "the state's default status follows"


def test_upsert_multiple_refuses_a_new_record_sent_inactive_and_updates_a_known_one_to_inactive(sandbox):
    with resource(sandbox).open() as client:
        assert all(r.ok for r in client.upsert("account", [account("known")]))
        inactive = {"statecode": 1, "statuscode": 2}
        results = {
            r.source_key: r
            for r in client.upsert("account", [account("known", **inactive), account("new", **inactive)])
        }
    assert results["known"].ok
    assert not results["new"].ok and results["new"].error_code == "0x80048408"
    assert sandbox["dynamics_sales"].rows("account", mlc_externalid="known")[0]["statecode"] == 1
    assert not sandbox["dynamics_sales"].rows("account", mlc_externalid="new")


def test_a_row_is_read_by_its_guid_with_select_and_a_guid_of_another_table_is_404(sandbox):
    with resource(sandbox).open() as client:
        client.upsert("account", [account("g1", accountnumber="A-1")])
        [row] = client.rows("account", ["accountid"], "mlc_externalid eq 'g1'")
        guid = row["accountid"]
        assert client.source_key_of("account", guid) == "g1"
        assert client.source_key_of("account", guid.upper()) == "g1", "a GUID is read in either case"
        assert client.source_key_of("contact", guid) is None, "404: not a row of that table"
        assert client.source_key_of("account", "g1") is None, "not a GUID: nothing asked"
    api = f"{sandbox.url('dynamics_sales')}/api/data/v9.2"
    headers = {"Authorization": f"Bearer {token(sandbox).json()['access_token']}"}
    read = httpx.get(f"{api}/accounts({guid})?$select=mlc_externalid", headers=headers)
    assert read.status_code == 200
    assert set(read.json()) == {"@odata.context", "@odata.etag", "accountid", "mlc_externalid"}
    assert read.json()["@odata.context"].endswith("$metadata#accounts/$entity")
    missing = httpx.get(f"{api}/contacts({guid})?$select=mlc_externalid", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == {
        "code": "0x80040217",
        "message": f"contact With Id = {guid} Does Not Exist",
    }
    for not_a_guid_literal in ("{" + guid + "}", guid.replace("-", "")):
        assert httpx.get(f"{api}/accounts({not_a_guid_literal})", headers=headers).status_code == 400
