"""Bearer tokens as an httpx Auth flow, whatever issues them: the token is fetched when first needed and again
when the subclass says it is due; a 401 from the resource renews it once and repeats the call; a second 401 is the
resource's answer, not a stale token. Token requests go through their own client: the identity provider is another
system and its calls do not count against the resource's budget."""

import threading
from collections.abc import Generator

import httpx

from ml_connector_dagster.http import RetryPolicy, build_client
from ml_connector_dagster.redaction import register_secret


class BearerTokenAuth(httpx.Auth):
    def __init__(self, token_url: str, *, secret: str, retry: RetryPolicy | None = None):
        register_secret(secret)
        self.token_url = token_url
        self._client = build_client(token_url, retry=retry, timeout_seconds=30)
        self._lock = threading.Lock()
        self._token: str | None = None
        self.tokens_issued = 0

    def token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or self._due():
                self._token = self._fetch()
                register_secret(self._token)
                self.tokens_issued += 1
            return self._token

    def _due(self) -> bool:
        return False

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
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(renew=True)}"
            yield request

    def close(self) -> None:
        self._client.close()
