"""Microsoft Entra ID client credentials (Dataverse and Dynamics 365 F&O both use it): the token is renewed a
margin before the `expires_in` it came with."""

import time
from collections.abc import Callable

from ml_connector_dagster.http import AuthError, RetryPolicy
from ml_connector_dagster.token_auth import BearerTokenAuth


class EntraClientCredentials(BearerTokenAuth):
    def __init__(
        self,
        *,
        system: str,
        settings: str,
        authority_url: str,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        scope: str,
        refresh_margin_seconds: float = 300,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__(
            f"{authority_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token",
            system=system,
            settings=settings,
            secret=client_secret,
            retry=retry,
            refresh_margin_seconds=refresh_margin_seconds,
            clock=clock,
        )
        self._form = {
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "client_credentials",
            "scope": scope,
        }

    def _fetch(self) -> str:
        response, body = self._post_form(self._form)
        if response.status_code != 200 or "access_token" not in body:
            codes = ",".join(str(code) for code in body.get("error_codes", []))
            raise AuthError(
                self.system,
                f"Entra token request refused: {body.get('error', 'unexpected response')}"
                + (f" (AADSTS{codes})" if codes else "")
                + f"; check {self.settings}",
                status=response.status_code,
            )
        self._lasts(float(body.get("expires_in", 600)))
        return body["access_token"]
