"""Zoho's OAuth refresh-token grant (crm_targets.md §2.1–2.2).

A refresh token is known only to the accounts server of the data centre that issued it, and the access token works
only at that data centre's API domain, which the token answer names (`api_domain`): every API call goes there. Zoho
Accounts often answers a refused grant with HTTP 200 and an `error` key, so the key decides, not the status. An
access token lives an hour and comes with `expires_in`; no new refresh token is ever issued.
"""

import httpx

from ml_connector_dagster.http import AuthError, RetryPolicy
from ml_connector_dagster.token_auth import BearerTokenAuth


class ZohoRefreshToken(BearerTokenAuth):
    scheme = "Zoho-oauthtoken"

    def __init__(
        self,
        *,
        accounts_url: str,
        data_centre: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        settings: str,
        data_centre_setting: str,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(
            f"{accounts_url.rstrip('/')}/oauth/v2/token",
            system="zoho_crm",
            settings=settings,
            secret=client_secret,
            retry=retry,
            transport=transport,
        )
        self.accounts_url = accounts_url
        self.data_centre = data_centre
        self.data_centre_setting = data_centre_setting
        self._form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self.api_domain: str | None = None

    def _fetch(self) -> str:
        response, body = self._post_form(self._form)
        error = body.get("error")
        if error or "access_token" not in body:
            raise AuthError(
                "zoho_crm", self._refusal(error or response.reason_phrase), status=response.status_code, code=error
            )
        self.api_domain = body["api_domain"].rstrip("/")
        self._lasts(float(body.get("expires_in", 3600)))
        return body["access_token"]

    def _refusal(self, error: str) -> str:
        if error == "invalid_code":
            return (
                f"the refresh token is not known to the {self.data_centre} data centre's accounts server "
                f"({self.accounts_url}): it was revoked, or the org is in another data centre; check "
                f"{self.data_centre_setting} and {self.settings}"
            )
        return f"token request refused: {error}; check {self.settings}"
