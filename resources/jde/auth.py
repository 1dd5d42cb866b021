"""AIS token auth (erp_sources.md §3.1): one POST /jderest/v2/tokenrequest with the credentials, then the token in
the `jde-AIS-Auth` header, with the device name it was requested for in `jde-AIS-Auth-Device` (AIS binds a token to
its device). A token is renewed before it can lapse and once on 444 (invalid token), and the call repeated; a second
444 is the server's answer. A refused request is remembered and raised again without another attempt: JDE counts
failed sign-ins against the account, so a wrong password costs one request per run.

The token's age is judged by the AIS server's clock (the `Date` header of its answers), the clock its session
timeouts run on (AIS SessionTimeToLiveMinutes / SessionInactivityTimeoutMinutes, whose defaults no page gives);
this machine's clock is used only where an answer carries no Date. The first answer that shows the token
`refresh_after` old makes the next call request a new one, well inside the session's remaining life.
"""

import threading
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from ml_connector_dagster.resources.jde.errors import INVALID_TOKEN, error_of

from ml_connector_dagster.http import READ_ONLY, ApiError, AuthError
from ml_connector_dagster.redaction import register_secret

TOKEN_PATH = "/jderest/v2/tokenrequest"
LOGOUT_PATH = "/jderest/v2/tokenrequest/logout"


class AisTokenAuth(httpx.Auth):
    """`settings` names what to check when the token request is refused (environment variables of the fields)."""

    def __init__(
        self,
        *,
        ais_url: str,
        username: str,
        password: str,
        environment: str,
        role: str,
        device_name: str,
        refresh_after: timedelta,
        settings: str,
    ):
        register_secret(password)
        self.ais_url = ais_url
        self.device_name = device_name
        self.refresh_after = refresh_after
        self.settings = settings
        self._credentials = {
            "username": username,
            "password": password,
            "deviceName": device_name,
            "environment": environment,
            "role": role,
        }
        self._token: str | None = None
        self._issued: datetime | None = None
        self._server_now: datetime | None = None
        self._refused: AuthError | None = None
        self.user_info: dict = {}
        self.tokens_issued = 0
        self._renewing = threading.Lock()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None or self._due():
            # Reads sent side by side find the token due together: one of them renews it, the others then use it
            # (each renewal would open an AIS session of its own that nothing logs out).
            with self._renewing:
                if self._token is None or self._due():
                    yield from self._request_token()
        response = yield self._signed(request)
        self._saw(response)
        if response.status_code == INVALID_TOKEN:
            yield from self._request_token()
            self._saw((yield self._signed(request)))

    def sign_in(self, client: httpx.Client) -> None:
        """Requests a token now unless one is held (the session resource signs in before the first call)."""
        if self._token is None:
            self._issued_by(client.send(self._token_request(), auth=None))

    def logout_request(self) -> httpx.Request | None:
        """The request that ends the AIS session, or None when none was opened."""
        if self._token is None:
            return None
        request = self._signed(
            httpx.Request(
                "POST", self.ais_url + LOGOUT_PATH, json={"token": self._token}, headers=_JSON, extensions=READ_ONLY
            )
        )
        self._token = None
        return request

    def _due(self) -> bool:
        return self._issued is not None and (self._server_now or datetime.now(UTC)) - self._issued >= self.refresh_after

    def _signed(self, request: httpx.Request) -> httpx.Request:
        request.headers["jde-AIS-Auth"] = self._token or ""
        request.headers["jde-AIS-Auth-Device"] = self.device_name
        return request

    def _request_token(self) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield self._token_request()
        response.read()
        self._issued_by(response)

    def _token_request(self) -> httpx.Request:
        if self._refused is not None:
            raise self._refused
        return httpx.Request(
            "POST", self.ais_url + TOKEN_PATH, json=self._credentials, headers=_JSON, extensions=READ_ONLY
        )

    def _issued_by(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            _, message = error_of(_json(response))
            self._refused = AuthError(
                "jde",
                f"token request refused{f' ({message})' if message else ''}: check {self.settings}, that the user "
                "may sign in to that environment with that role, and that the account is not locked",
                status=response.status_code,
            )
            raise self._refused
        token = (_json(response).get("userInfo") or {}).get("token") if response.status_code == 200 else None
        if not token:
            raise ApiError("jde", "token request answered without userInfo.token", status=response.status_code)
        register_secret(token)
        self.user_info = _json(response)["userInfo"]
        self._token = token
        self._saw(response)
        self._issued = self._server_now
        self.tokens_issued += 1

    def _saw(self, response: httpx.Response) -> None:
        try:
            self._server_now = parsedate_to_datetime(response.headers["date"])
        except (KeyError, TypeError, ValueError):
            self._server_now = datetime.now(UTC)


_JSON = {"Accept": "application/json"}


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
