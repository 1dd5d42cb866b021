"""EBS Integrated SOA Gateway session auth: log in once with HTTP Basic, then send the session token as the cookie
the login response names; log in again once on 401 (ICX sessions expire after 30–60 minutes). A refused login is
remembered and raised again without another attempt: EBS counts failed logins against the account (the profile
"Signon Password Failure Limit" can lock it; known from EBS administration, not from the reference), so a wrong
password must cost one attempt per run, not one per call.

Per ../shared/reference/erp_sources.md §1.2 the login path and response fields come from third-party sources (no
primary Oracle page was reachable), so the paths are configurable and the cookie name is always read from the
response, never assumed.
"""

from collections.abc import Generator

import httpx

from ml_connector_dagster.http import ApiError, AuthError
from ml_connector_dagster.redaction import register_secret


class EbsSessionAuth(httpx.Auth):
    """`settings` names what to check when the login is refused (e.g. the environment variables of user and
    password)."""

    def __init__(self, *, login_url: str, logout_url: str, username: str, password: str, settings: str):
        register_secret(password)
        self.login_url = login_url
        self.logout_url = logout_url
        self.settings = settings
        self._basic = httpx.BasicAuth(username, password)
        self._cookie: str | None = None
        self._refused: AuthError | None = None
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

    def sign_in(self, client: httpx.Client) -> None:
        """Logs in now unless a session is open (the session resource signs in before the first call)."""
        if self._cookie is None:
            self._logged_in(client.send(self._login_request(), auth=None))

    def _login(self) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield self._login_request()
        response.read()
        self._logged_in(response)

    def _login_request(self) -> httpx.Request:
        if self._refused is not None:
            raise self._refused
        login = httpx.Request("GET", self.login_url, headers={"Accept": "application/json"})
        return next(self._basic.auth_flow(login))

    def _logged_in(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            self._refused = AuthError(
                "oracle_ebs",
                f"login refused: check {self.settings} and that the account is active and not locked in EBS",
                status=response.status_code,
            )
            raise self._refused
        if response.status_code != 200:
            raise ApiError("oracle_ebs", "login failed", status=response.status_code)
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
