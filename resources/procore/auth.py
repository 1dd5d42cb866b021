"""Procore's client-credentials grant (crm_targets.md §3.2): a Developer Managed Service Account's client id and
secret buy an access token at the login host's `/oauth/token`; there is no refresh token, so a new one is requested
before the old one's `expires_in` (5,400 s) runs out, and once more when the API answers 401 mid-run. A refusal is
Doorkeeper's 401 `{"error": "invalid_client", ...}`; a failing token server is not a refusal and is not remembered."""

import time
from collections.abc import Callable

import httpx

from ml_connector_dagster.http import ApiError, AuthError, RetryPolicy
from ml_connector_dagster.token_auth import BearerTokenAuth

REFUSALS = frozenset({400, 401, 403})


class ProcoreClientCredentials(BearerTokenAuth):
    def __init__(
        self,
        *,
        login_url: str,
        client_id: str,
        client_secret: str,
        settings: str,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(
            f"{login_url.rstrip('/')}/oauth/token",
            system="procore",
            settings=settings,
            secret=client_secret,
            retry=retry,
            clock=clock,
            transport=transport,
        )
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}

    def _fetch(self) -> str:
        response, body = self._post_form(self._form)
        if response.status_code == 200 and body.get("access_token"):
            self._lasts(float(body.get("expires_in") or 5400))
            return body["access_token"]
        error = body.get("error") if isinstance(body.get("error"), str) else None
        reason = body.get("error_description") or error or response.text[:200] or response.reason_phrase
        if response.status_code in REFUSALS or error:
            raise AuthError(
                "procore",
                f"token request refused: {error or response.status_code}: {reason}; check {self.settings}",
                status=response.status_code,
                code=error,
            )
        raise ApiError("procore", f"token request failed: {reason}", status=response.status_code)
