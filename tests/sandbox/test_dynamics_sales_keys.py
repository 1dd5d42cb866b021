"""The Dataverse emulator reads keys as Dataverse does: percent-decoded wherever a URL stands (a path, a `$batch`
request line, an `@odata.id`, an `@odata.bind`), and never addresses a row by an alternate-key value holding a
character Dataverse cannot address by. Plain HTTP through an authenticated client, none of the connector's key
handling."""

from urllib.parse import quote

import pytest
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource

from ml_connector_dagster import odata_batch as batch
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_sales import DynamicsSalesEmulator
from ml_connector_dagster.sandbox.entra import EntraEmulator
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.tokens import TokenSigner

UNADDRESSABLE = "/#<>*%&:\\?+"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def api():
    """(the emulator, an httpx client with a token, its base URL being the API root)"""
    signer = TokenSigner()
    emulator = DynamicsSalesEmulator(signer=signer)
    with SandboxServer([EntraEmulator(signer=signer), emulator]) as server:
        resource = DynamicsSalesResource(
            environment_url=server.url("dynamics_sales"),
            authority_url=server.url("entra"),
            tenant_id=SANDBOX.tenant_id,
            client_id=SANDBOX.client_id,
            client_secret=SANDBOX.client_secret,
        )
        with resource.open() as client:
            yield emulator, client.http


def by_key(value: str) -> str:
    """`accounts(mlc_externalid='…')` with the value percent-encoded, so that the service receives it exactly."""
    return f"accounts(mlc_externalid='{quote(value, safe='')}')"


def upsert(path: str, name: str = "x") -> batch.Operation:
    """A `$batch` part upserting an account at this path, written into the request line as it is given."""
    return batch.Operation("PATCH", f"/api/data/v9.2/{path}", {"name": name, "customertypecode": 3})


def contact_of(account_path: str) -> dict:
    return {"lastname": "Doe", "parentcustomerid_account@odata.bind": account_path}


def send_batch(http, *operations: batch.Operation):
    content_type, body = batch.compose(list(operations))
    return http.post(
        "$batch", content=body, headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"}
    )


@pytest.mark.parametrize("character", list(UNADDRESSABLE))
def test_no_row_is_addressed_by_an_alternate_key_value_holding_a_character_dataverse_cannot_address(api, character):
    emulator, http = api
    value = f"K{character}1"
    # storing such a value is allowed ("if you only need uniqueness"), by a create or by primary id
    created = http.post("accounts", json={"name": "Kept", "customertypecode": 3, "mlc_externalid": value}, headers=JSON)
    assert created.status_code == 204
    row_id = emulator.rows("account")[0]["accountid"]
    assert http.get(f"accounts({row_id})").json()["mlc_externalid"] == value

    refusals = [
        http.get(by_key(value)),
        http.patch(by_key(value), json={"name": "Upserted"}, headers=JSON),
        http.delete(by_key(value)),
        http.post(
            "accounts/Microsoft.Dynamics.CRM.UpsertMultiple",
            json={
                "Targets": [
                    {"@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": by_key(value), "name": "Bulk"}
                ]
            },
            headers=JSON,
        ),
        http.post("contacts", json=contact_of("/" + by_key(value)), headers=JSON),
    ]
    assert [r.status_code for r in refusals] == [400] * 5
    assert all(f"({character})" in r.json()["error"]["message"] for r in refusals)
    [part] = batch.parse(*_multipart(send_batch(http, upsert(by_key(value)))))
    assert part.status == 400
    assert [(r["name"], r["mlc_externalid"]) for r in emulator.rows("account")] == [("Kept", value)]
    assert emulator.count("contact") == 0


def test_percent_encoding_is_decoded_in_a_path_a_batch_line_an_odata_id_and_a_bind(api):
    emulator, http = api
    names = {'Müller "Söhne" 日本 🚀': "path", "Ølstad 'AS'": "batch", "Łódź ~2F": "bulk"}
    value_of = {how: value for value, how in names.items()}
    assert http.patch(by_key(value_of["path"]), json={"name": "path", "customertypecode": 3}, headers=JSON).is_success
    [part] = batch.parse(*_multipart(send_batch(http, upsert(by_key(value_of["batch"]), "batch"))))
    assert part.status == 204
    bulk = http.post(
        "accounts/Microsoft.Dynamics.CRM.UpsertMultiple",
        json={
            "Targets": [
                {
                    "@odata.type": "Microsoft.Dynamics.CRM.account",
                    "@odata.id": by_key(value_of["bulk"]),
                    "name": "bulk",
                    "customertypecode": 3,
                }
            ]
        },
        headers=JSON,
    )
    assert bulk.status_code == 204
    assert {r["mlc_externalid"]: r["name"] for r in emulator.rows("account")} == names
    bound = http.post("contacts", json=contact_of("/" + by_key(value_of["path"])), headers=JSON)
    assert bound.status_code == 204
    [account] = emulator.rows("account", name="path")
    assert emulator.rows("contact")[0]["_parentcustomerid_value"] == account["accountid"]


def test_a_batch_with_a_request_line_that_is_not_ascii_is_refused_whole(api):
    emulator, http = api
    refused = send_batch(http, upsert("accounts(mlc_externalid='plain')"), upsert("accounts(mlc_externalid='Müller')"))
    assert refused.status_code == 400 and "is not valid" in refused.json()["error"]["message"]
    spaced = send_batch(http, upsert("accounts(mlc_externalid='a b')"))
    assert spaced.status_code == 400
    assert emulator.count("account") == 0


def test_max_length_counts_utf16_code_units_so_an_emoji_counts_two(api):
    emulator, http = api
    too_long = http.patch(by_key("e1"), json={"name": "🚀" * 81, "customertypecode": 3}, headers=JSON)
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "0x80044331"
    assert http.patch(by_key("e2"), json={"name": "🚀" * 80, "customertypecode": 3}, headers=JSON).is_success
    key_too_long = http.patch(by_key("🚀" * 51), json={"name": "k", "customertypecode": 3}, headers=JSON)
    assert key_too_long.status_code == 400 and "mlc_externalid" in key_too_long.json()["error"]["message"]
    assert [r["mlc_externalid"] for r in emulator.rows("account")] == ["e2"]


def _multipart(response) -> tuple[str, bytes]:
    assert response.status_code == 200, response.text
    return response.headers["content-type"], response.content
