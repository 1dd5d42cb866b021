"""EBS Integrated SOA Gateway session auth: log in once with HTTP Basic, then send the session token as the cookie
the login response names; log in again once on 401 (ICX sessions expire after 30–60 minutes).

Per ../shared/reference/erp_sources.md §1.2 the login path and response fields come from third-party sources (no
primary Oracle page was reachable), so the paths are configurable and the cookie name is always read from the
response, never assumed.
"""

from collections.abc import Generator

import httpx

from ml_connector_dagster.http import AuthError
from ml_connector_dagster.redaction import register_secret


class EbsSessionAuth(httpx.Auth):
    def __init__(self, *, login_url: str, logout_url: str, username: str, password: str):
        register_secret(password)
        self.login_url = login_url
        self.logout_url = logout_url
        self._basic = httpx.BasicAuth(username, password)
        self._cookie: str | None = None
        self.logins = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._cookie is None:
            yield from self._login()
        request.headers["Cookie"] = self._cookie
        response = yield request
        if response.status_code == 401:
            yield from self._login()
            request.headers["Cookie"] = self._cookie
            yield request

    def _login(self) -> Generator[httpx.Request, httpx.Response, None]:
        login = httpx.Request("GET", self.login_url, headers={"Accept": "application/json"})
        login = next(self._basic.auth_flow(login))
        response = yield login
        response.read()
        if response.status_code != 200:
            raise AuthError(
                "oracle_ebs",
                "login refused: check the user name, password and that the account is active in EBS",
                status=response.status_code,
            )
        try:
            data = response.json()["response"]["data"]
            name, token = data["accessTokenName"], data["accessToken"]
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                "oracle_ebs",
                "login answered without accessTokenName/accessToken; set auth_mode to "
                "basic if this EBS release has no token login",
                status=200,
            ) from None
        register_secret(token)
        self._cookie = f"{name}={token}"
        self.logins += 1

    def logout_request(self) -> httpx.Request | None:
        """The request that ends the session, or None when no session was opened."""
        if self._cookie is None:
            return None
        request = httpx.Request("GET", self.logout_url, headers={"Cookie": self._cookie})
        self._cookie = None
        return request
