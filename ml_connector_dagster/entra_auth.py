"""Microsoft Entra ID client credentials as an httpx Auth flow (Dataverse and Dynamics 365 F&O both use it).

The token is cached and renewed a margin before expiry; a 401 from the resource renews it once and repeats the
call; a second 401 is the resource's answer, not a stale token. Token requests go through their own client: the
identity platform is another system and its calls do not count against the resource's budget.
"""

import threading
import time
from collections.abc import Callable, Generator

import httpx

from ml_connector_dagster.http import AuthError, RetryPolicy, build_client
from ml_connector_dagster.redaction import register_secret


class EntraClientCredentials(httpx.Auth):
    def __init__(self, *, authority_url: str, tenant_id: str, client_id: str, client_secret: str, scope: str,
                 refresh_margin_seconds: float = 300, retry: RetryPolicy | None = None,
                 clock: Callable[[], float] = time.time):
        register_secret(client_secret)
        self.token_url = f"{authority_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self._form = {"client_id": client_id, "client_secret": client_secret,
                      "grant_type": "client_credentials", "scope": scope}
        self.refresh_margin = refresh_margin_seconds
        self.clock = clock
        self._client = build_client(self.token_url, retry=retry, timeout_seconds=30)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_issued = 0

    def token(self, *, renew: bool = False) -> str:
        with self._lock:
            # Short lifetimes (sandboxes, tests) would renew on every call with a fixed margin; cap it at half.
            if renew or self._token is None or self.clock() >= self._expires_at:
                self._fetch()
            return self._token

    def _fetch(self) -> None:
        response = self._client.post(self.token_url, data=self._form, headers={"Accept": "application/json"})
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            codes = ",".join(str(code) for code in body.get("error_codes", []))
            raise AuthError("entra", f"token request refused: {body.get('error', 'unexpected response')}"
                            + (f" (AADSTS{codes})" if codes else ""), status=response.status_code)
        lifetime = float(body.get("expires_in", 600))
        self._token = body["access_token"]
        register_secret(self._token)
        self._expires_at = self.clock() + lifetime - min(self.refresh_margin, lifetime / 2)
        self.tokens_issued += 1

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(renew=True)}"
            yield request

    def close(self) -> None:
        self._client.close()
