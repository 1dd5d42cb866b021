"""Salesforce OAuth 2.0 client credentials (crm_targets.md §1.1–1.2).

The token endpoint is the org's My Domain; the API base is the `instance_url` the token answer names, never a
hard-coded host. Tokens carry no lifetime (the org's session policy decides), so only a 401 INVALID_SESSION_ID
fetches a new one.
"""

from ml_connector_dagster.http import AuthError, RetryPolicy
from ml_connector_dagster.token_auth import BearerTokenAuth


class SalesforceClientCredentials(BearerTokenAuth):
    def __init__(
        self,
        *,
        my_domain_url: str,
        client_id: str,
        client_secret: str,
        settings: str,
        retry: RetryPolicy | None = None,
    ):
        super().__init__(
            f"{my_domain_url.rstrip('/')}/services/oauth2/token",
            system="salesforce",
            settings=settings,
            secret=client_secret,
            retry=retry,
        )
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self.instance_url: str | None = None
        self.org_id: str | None = None  # the Pub/Sub API's tenantid

    def _fetch(self) -> str:
        response, body = self._post_form(self._form)
        if response.status_code != 200 or "access_token" not in body:
            raise AuthError(
                "salesforce",
                f"token request refused: {body.get('error', 'unexpected response')}: "
                f"{body.get('error_description', response.reason_phrase)}; check {self.settings}",
                status=response.status_code,
                code=body.get("error"),
            )
        self.instance_url = body["instance_url"].rstrip("/")
        identity = body.get("id", "").split("/")  # https://login.salesforce.com/id/<orgId>/<userId>
        self.org_id = identity[-2] if len(identity) > 2 else None
        return body["access_token"]
