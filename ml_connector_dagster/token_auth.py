"""Bearer tokens as an httpx Auth flow, whatever issues them: the token is fetched when first needed (or when the
session signs in) and again when the subclass says it is due; a 401 from the resource renews it once and repeats the
call; a second 401 is the resource's answer, not a stale token. Calls in flight side by side when the token dies all
hear 401: the first renews it, the others wait for that (the lock) and repeat with the new token, so one expiry costs
one token request however many calls were under way. A refused token request is remembered: every later
call raises the same AuthError without asking again, so a wrong secret costs one request per run; it names the
`system` the token is for and the `settings` to check. Token requests go through their own client: the identity
provider is another service and its calls do not count against the resource's budget. A token whose answer gave its
lifetime is renewed a margin before it ends (`_lasts`), so a long run does not spend a call on each expiry."""

import threading
import time
from collections.abc import Callable, Generator

import httpx

from ml_connector_dagster.http import AuthError, RetryPolicy, build_client
from ml_connector_dagster.redaction import register_secret


class BearerTokenAuth(httpx.Auth):
    scheme = "Bearer"  # the Authorization header's prefix; Zoho has its own

    def __init__(
        self,
        token_url: str,
        *,
        system: str,
        settings: str,
        secret: str,
        retry: RetryPolicy | None = None,
        refresh_margin_seconds: float = 300,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ):
        register_secret(secret)
        self.token_url = token_url
        self.system = system
        self.settings = settings
        self._client = build_client(token_url, system=system, retry=retry, timeout_seconds=30, transport=transport)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refused: AuthError | None = None
        self.tokens_issued = 0
        self.refresh_margin = refresh_margin_seconds
        self.clock = clock
        self._expires_at = float("inf")

    def token(self, *, renew: bool = False, refused: str | None = None) -> str:
        """The current token; a new one when `renew`, or when `refused` (a token the resource answered 401) is still
        the current one: a caller that heard 401 after another renewed the token takes the renewed one."""
        with self._lock:
            if self._refused is not None:
                raise self._refused
            if renew or self._token is None or self._token == refused or self._due():
                try:
                    self._token = self._fetch()
                except AuthError as refused:
                    self._refused = refused
                    raise
                register_secret(self._token)
                self.tokens_issued += 1
            return self._token

    def sign_in(self, client: httpx.Client) -> None:
        self.token()

    def _due(self) -> bool:
        return self.clock() >= self._expires_at

    def _lasts(self, lifetime: float) -> None:
        """The token just fetched ends `lifetime` seconds from now."""
        # Short lifetimes (sandboxes, tests) would renew on every call with a fixed margin; cap it at half.
        self._expires_at = self.clock() + lifetime - min(self.refresh_margin, lifetime / 2)

    def _fetch(self) -> str:
        """Requests a token with `self._client`; returns it or raises AuthError."""
        raise NotImplementedError

    def _post_form(self, form: dict[str, str]) -> tuple[httpx.Response, dict]:
        response = self._client.post(self.token_url, data=form, headers={"Accept": "application/json"})
        try:
            return response, response.json()
        except ValueError:
            return response, {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        sent = self.token()
        request.headers["Authorization"] = f"{self.scheme} {sent}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"{self.scheme} {self.token(refused=sent)}"
            yield request

    def close(self) -> None:
        self._client.close()
