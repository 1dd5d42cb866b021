"""The `procore` resource's sign-in: the client-credentials grant at the login host, every API call with its bearer
token and the company's `Procore-Company-Id`, a token renewed before it expires and once when Procore calls it
invalid mid-run, and a refusal that names the settings to check and never shows the secret."""

import threading

import httpx
import pytest

from ml_connector_dagster.http import ApiError, AuthError
from ml_connector_dagster.side_by_side import side_by_side
from tests.resources.procore_fake import CLIENT_ID, COMPANY, SECRET, FakeProcore, connected


def test_the_grant_is_a_client_credentials_form_and_every_call_names_the_company():
    fake = FakeProcore()
    fake.seed("projects", None, name="Harbor Point Tower")
    with connected(fake) as client:
        assert [p["name"] for p in client.projects()] == ["Harbor Point Tower"]
        list(client.vendors())
        list(client.cost_codes(101))
    [grant] = fake.token_requests
    assert grant == {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}
    assert [call.url.path for call in fake.calls] == [
        "/rest/v1.0/projects",
        "/rest/v1.0/vendors",
        "/rest/v1.0/cost_codes",
    ]
    assert {call.headers["procore-company-id"] for call in fake.calls} == {str(COMPANY)}
    assert {call.headers["authorization"] for call in fake.calls} == {"Bearer procore-token-1"}
    assert fake.calls[0].url.params["company_id"] == str(COMPANY)
    assert fake.calls[2].url.params["project_id"] == "101"


def test_a_token_is_renewed_before_it_expires():
    fake = FakeProcore()
    with connected(fake) as client:
        list(client.projects())
        fake.clock.now += 5400 - 60  # within the margin before the 90 minutes are up
        list(client.projects())
    assert len(fake.token_requests) == 2
    assert [call.headers["authorization"] for call in fake.calls] == [
        "Bearer procore-token-1",
        "Bearer procore-token-2",
    ]


def test_a_token_procore_calls_invalid_mid_run_is_renewed_once_and_the_call_repeated():
    fake = FakeProcore()
    with connected(fake) as client:
        list(client.projects())
        fake.expire_tokens()
        assert list(client.projects()) == []
        assert client.counter.calls == {"GET": 3}, "the refused call and its repeat are both on the wire"
    assert len(fake.token_requests) == 2


def test_a_token_dying_under_calls_in_flight_is_renewed_once_and_each_call_repeated_once_with_the_new_one():
    in_flight = 4
    # The calls sent with the first token are all under way before it dies; each then hears 401.
    everyone_sent = threading.Barrier(in_flight, action=lambda: fake.expire_tokens(), timeout=60)

    sent: list[tuple[str, int]] = []  # (token, project) of each call as it came (a repeat is the same request)

    def dying(request: httpx.Request) -> httpx.Response | None:
        sent.append((request.headers["authorization"].removeprefix("Bearer "), int(request.url.params["project_id"])))
        if request.headers["authorization"] == "Bearer procore-token-1":
            everyone_sent.wait()
            return httpx.Response(401, json={"errors": "The access token is invalid"})
        return None

    fake = FakeProcore(api=dying)
    projects = [101, 102, 103, 104]
    with connected(fake, max_parallel_batches=in_flight) as client:
        assert side_by_side(lambda project: list(client.cost_codes(project)), projects, in_flight) == [[]] * 4
        assert client.counter.calls == {"GET": 2 * in_flight}, "each call and its one repeat"
    assert len(fake.token_requests) == 2, "one sign-in, one renewal for every call that heard 401"
    tokens = ("procore-token-1", "procore-token-2")
    assert sorted(sent) == [(token, project) for token in tokens for project in projects]


def test_a_call_refused_again_with_the_renewed_token_is_an_auth_error():
    fake = FakeProcore(api=lambda request: httpx.Response(401, json={"errors": "The access token is invalid"}))
    with connected(fake) as client, pytest.raises(AuthError, match="The access token is invalid"):
        list(client.projects())
    assert client.counter.calls == {"GET": 2} and len(fake.token_requests) == 2


def test_a_wrong_secret_names_the_settings_and_never_shows_the_secret():
    with pytest.raises(AuthError) as refused, connected(FakeProcore(), client_secret="not-the-secret") as client:
        list(client.projects())
    message = str(refused.value)
    assert refused.value.status == 401 and refused.value.code == "invalid_client"
    assert "PROCORE_CLIENT_ID" in message and "PROCORE_CLIENT_SECRET" in message
    assert "not-the-secret" not in message


def test_an_app_not_installed_in_the_company_is_an_auth_error_with_procores_reason():
    with (
        pytest.raises(AuthError, match="App is not connected to this company"),
        connected(FakeProcore(), company_id=1) as client,
    ):
        list(client.projects())


def test_a_failing_token_server_is_not_taken_for_a_refusal_and_is_asked_again():
    fake = FakeProcore()
    fake.token_down = True
    with connected(fake, max_attempts=1) as client:
        with pytest.raises(ApiError) as failed:
            list(client.projects())
        assert not isinstance(failed.value, AuthError) and "token request failed" in str(failed.value)
        fake.token_down = False
        assert list(client.projects()) == []
