"""Zoho as its docs answer (crm_targets.md §2), small enough to read: the accounts servers and API domains of two
data centres, refresh tokens that work only at their own, access tokens only at their own API domain; what the API
answers past authentication is the test's `api` function. The Zoho emulator (sandbox/zoho_crm) is the full one."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs

import httpx
from ml_connector_dagster.resources.zoho_crm import ZohoCrmResource
from ml_connector_dagster.resources.zoho_crm.client import ZohoCrmClient

ACCOUNTS = {"accounts.zoho.com": "us", "accounts.zoho.eu": "eu"}
API_DOMAINS = {"us": "https://www.zohoapis.com", "eu": "https://www.zohoapis.eu"}
REFRESH_TOKENS = {"us-refresh-token": "us", "eu-refresh-token": "eu"}
SECRET = "zoho-client-secret-for-tests"


def answer(status: int, body: dict | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status)


class FakeZoho:
    def __init__(self, api: Callable[[httpx.Request], httpx.Response] | None = None):
        self.api = api or (lambda request: answer(204))
        self.valid: dict[str, str] = {}  # access token → its data centre
        self.token_requests: list[dict] = []
        self.calls: list[httpx.Request] = []  # API calls that passed authentication

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host in ACCOUNTS:
            return self._token(ACCOUNTS[host], request)
        data_centre = next(dc for dc, domain in API_DOMAINS.items() if domain.endswith(host))
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Zoho-oauthtoken" or self.valid.get(token) != data_centre:
            return answer(
                401, {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
            )
        self.calls.append(request)
        return self.api(request)

    def expire_tokens(self) -> None:
        self.valid.clear()

    def _token(self, data_centre: str, request: httpx.Request) -> httpx.Response:
        form = {name: values[0] for name, values in parse_qs(request.content.decode()).items()}
        self.token_requests.append(form)
        if form.get("client_secret") != SECRET:
            return answer(200, {"error": "invalid_client"})  # Zoho Accounts refuses with HTTP 200
        if REFRESH_TOKENS.get(form.get("refresh_token")) != data_centre:
            return answer(200, {"error": "invalid_code"})
        token = f"1000.{data_centre}.{len(self.token_requests)}"
        self.valid[token] = data_centre
        return answer(
            200,
            {"access_token": token, "api_domain": API_DOMAINS[data_centre], "token_type": "Bearer", "expires_in": 3600},
        )


def resource(**overrides) -> ZohoCrmResource:
    return ZohoCrmResource(
        **{
            "client_id": "1000.TESTCLIENT",
            "client_secret": SECRET,
            "refresh_token": "us-refresh-token",
            "max_retry_wait_seconds": 0.01,
            **overrides,
        }
    )


@contextmanager
def connected(fake: FakeZoho, **overrides) -> Iterator[ZohoCrmClient]:
    settings = resource(**overrides)
    with settings.closing_stack() as stack:
        yield settings.connect(stack, httpx.MockTransport(fake))


def query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)
