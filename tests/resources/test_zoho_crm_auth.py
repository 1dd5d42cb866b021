"""The `zoho_crm` resource's sign-in: Zoho's refresh-token grant at the data centre's accounts server, every call at
the API domain the token answer names with Zoho's own header, refusals read from the body whatever the status, and a
token renewed before it expires and once when Zoho calls it invalid mid-run."""

import time

import pytest

from ml_connector_dagster.http import AuthError
from tests.resources.zoho_crm_fake import SECRET, FakeZoho, answer, connected


def records(request):
    return answer(200, {"data": [{"id": "1"}], "info": {"more_records": False}})


def test_the_refresh_grant_is_a_form_and_calls_go_to_the_api_domain_with_a_zoho_oauthtoken():
    fake = FakeZoho(records)
    with connected(fake) as client:
        assert client.by_ids("Accounts", ["Account_Name"], ["1"]) == [{"id": "1"}]
    [grant] = fake.token_requests
    assert grant == {
        "grant_type": "refresh_token",
        "refresh_token": "us-refresh-token",
        "client_id": "1000.TESTCLIENT",
        "client_secret": SECRET,
    }
    [call] = fake.calls
    assert str(call.url).startswith("https://www.zohoapis.com/crm/v8/Accounts?")
    assert call.headers["authorization"] == "Zoho-oauthtoken 1000.us.1"


def test_an_eu_org_is_signed_in_at_the_eu_accounts_server_and_every_call_goes_to_the_eu_api_domain():
    fake = FakeZoho(records)
    with connected(fake, data_centre="eu", refresh_token="eu-refresh-token") as client:
        client.by_ids("Accounts", [], ["1"])
        client.find("Accounts", [], "JDE_Address_Number", ["4242"])
        assert client.api_domain == "https://www.zohoapis.eu"
    assert {call.url.host for call in fake.calls} == {"www.zohoapis.eu"}


def test_a_refresh_token_of_another_data_centre_is_refused_clearly_though_zoho_answers_200():
    with pytest.raises(AuthError) as refused, connected(FakeZoho(), refresh_token="eu-refresh-token"):
        pass
    message = str(refused.value)
    assert refused.value.status == 200 and refused.value.code == "invalid_code"
    assert "not known to the us data centre" in message and "another data centre" in message
    assert "ZOHO_CRM_DATA_CENTRE" in message and "ZOHO_CRM_REFRESH_TOKEN" in message


def test_a_wrong_client_secret_names_the_settings_and_never_shows_the_secret():
    with pytest.raises(AuthError) as refused, connected(FakeZoho(), client_secret="not-the-secret"):
        pass
    assert "invalid_client" in str(refused.value) and "ZOHO_CRM_CLIENT_SECRET" in str(refused.value)
    assert "not-the-secret" not in str(refused.value)


def test_a_token_is_renewed_before_it_expires():
    fake = FakeZoho(records)
    with connected(fake) as client:
        client.by_ids("Accounts", [], ["1"])
        client.http.auth.clock = lambda: time.time() + 3400  # within the margin before the hour is up
        client.by_ids("Accounts", [], ["1"])
    assert len(fake.token_requests) == 2
    assert [call.headers["authorization"] for call in fake.calls] == [
        "Zoho-oauthtoken 1000.us.1",
        "Zoho-oauthtoken 1000.us.2",
    ]


def test_a_token_zoho_calls_invalid_mid_run_is_renewed_once_and_the_call_repeated():
    fake = FakeZoho(records)
    with connected(fake) as client:
        client.by_ids("Accounts", [], ["1"])
        fake.expire_tokens()
        assert client.by_ids("Accounts", [], ["2"]) == [{"id": "1"}]
        assert client.counter.calls == {"GET": 3}, "the refused call and its repeat are both on the wire"
    assert len(fake.token_requests) == 2
