"""Microsoft Entra ID emulator: the v2.0 token endpoint (client credentials) and the tenant's OpenID metadata.

Follows ../shared/reference/microsoft.md §1 and §5.1: form-encoded requests, client secret in the form or as HTTP
Basic, one `<resource>/.default` scope, OAuth error bodies with AADSTS codes and the statuses Entra answers with.
"""

import time
import uuid
from urllib.parse import parse_qsl

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.emulator import Emulator, EmulatorSettings, basic_credentials
from ml_connector_dagster.sandbox.tokens import TokenSigner

NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


class EntraSettings(EmulatorSettings):
    tenant_id: str = SANDBOX.tenant_id
    clients: dict[str, str] = Field(
        default={SANDBOX.client_id: SANDBOX.client_secret},
        description="client_id → client secret value of the app registrations",
    )
    expired_secret_clients: list[str] = Field(default_factory=list, description="clients whose secret has expired")
    token_lifetime_seconds: int = Field(default=3599, ge=1)


class EntraEmulator(Emulator):
    name = "entra"
    Settings = EntraSettings
    settings: EntraSettings

    def __init__(self, *, signer: TokenSigner | None = None, **kwargs):
        super().__init__(**kwargs)
        self.signer = signer or TokenSigner()
        self.tokens_issued = 0

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self._openid, methods=["GET"]),
            Route("/{tenant}/discovery/v2.0/keys", self._keys, methods=["GET"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        error = "temporarily_unavailable" if status >= 500 else "invalid_request"
        return self._error(status, error, 90055 if status == 429 else 50089, "sandbox fault injection")

    async def _openid(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if tenant != self.settings.tenant_id:
            return self._unknown_tenant(tenant)
        base = f"{str(request.base_url).rstrip('/')}/{tenant}"
        return JSONResponse(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "EU",
            }
        )

    async def _keys(self, request: Request) -> Response:
        return JSONResponse(self.signer.jwks())

    async def _token(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if tenant != self.settings.tenant_id:
            return self._unknown_tenant(tenant)
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return self._error(
                400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."
            )
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = basic_credentials(request.headers.get("authorization"))
        if basic:
            client_id, secret = basic
        for name, value in (
            ("grant_type", form.get("grant_type")),
            ("client_id", client_id),
            ("scope", form.get("scope")),
        ):
            if not value:
                return self._error(
                    400, "invalid_request", 900144, f"The request body must contain the following parameter: '{name}'."
                )
        if form["grant_type"] != "client_credentials":
            return self._error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{form['grant_type']}'.",
            )
        if client_id not in self.settings.clients:
            return self._error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
            )
        if not secret:
            return self._error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        if secret != self.settings.clients[client_id]:
            return self._error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret "
                "being sent in the request is the client secret value, not the client secret ID, "
                f"for a secret added to app '{client_id}'.",
            )
        if client_id in self.settings.expired_secret_clients:
            return self._error(
                401, "invalid_client", 7000222, f"The provided client secret keys for app '{client_id}' are expired."
            )
        scopes = form["scope"].split()
        if len(scopes) > 1:
            return self._error(
                400,
                "invalid_scope",
                700022,
                "The provided value for the input parameter scope "
                "is not valid because it contains more than one resource.",
            )
        if not scopes[0].endswith("/.default"):
            return self._error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scopes[0]} is not "
                "valid. Client credential flows must have a scope value with /.default suffixed "
                "to the resource identifier (application ID URI).",
            )
        resource = scopes[0].removesuffix("/.default")
        now = int(self.clock.now().timestamp())
        lifetime = self.settings.token_lifetime_seconds
        token = self.signer.issue(
            {
                "aud": resource,
                "iss": f"https://sts.windows.net/{tenant}/",
                "iat": now,
                "nbf": now,
                "exp": now + lifetime,
                "tid": tenant,
                "appid": client_id,
                "azp": client_id,
                "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, client_id)),
                "idtyp": "app",
                "ver": "1.0",
            }
        )
        self.tokens_issued += 1
        return JSONResponse(
            {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token},
            headers=NO_STORE,
        )

    def _unknown_tenant(self, tenant: str) -> Response:
        return self._error(
            400,
            "invalid_request",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you "
            "have the correct tenant ID and are signing into the correct cloud.",
        )

    def _error(self, status: int, error: str, code: int, text: str) -> JSONResponse:
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(self.clock.now().timestamp()))
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        return JSONResponse(
            {
                "error": error,
                "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}"
                f"\r\nTimestamp: {stamp}",
                "error_codes": [code],
                "timestamp": stamp,
                "trace_id": trace,
                "correlation_id": correlation,
                "error_uri": f"https://login.microsoftonline.com/error?code={code}",
            },
            status_code=status,
            headers=NO_STORE,
        )
