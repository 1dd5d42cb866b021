"""The login host's client-credentials grant for a DMSA app (crm_targets.md §3.2): `POST /oauth/token` with the client
id and secret in a form, a JSON body or HTTP Basic; a bearer token that lasts `token_lifetime_seconds` on the
emulator clock and has no refresh token. Refusals are Doorkeeper's `{"error", "error_description"}`."""

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ml_connector_dagster.sandbox.procore.settings import ProcoreSettings

_UNKNOWN_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, or unsupported "
    "authentication method."
)


@dataclass(frozen=True)
class AccessToken:
    value: str
    client_id: str
    expires: datetime


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str):
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description}


class Tokens:
    def __init__(self, now: Callable[[], datetime], settings: Callable[[], ProcoreSettings]):
        self.now = now
        self.settings = settings
        self._lock = threading.Lock()
        self._live: dict[str, AccessToken] = {}

    def grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict:
        settings = self.settings()
        # Doorkeeper picks the grant's strategy before it authenticates the client.
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if (client_id, client_secret) != (settings.client_id, settings.client_secret):
            raise OAuthError(401, "invalid_client", _UNKNOWN_CLIENT)
        now = self.now()
        token = AccessToken(
            f"eyJ{secrets.token_urlsafe(48)}", client_id, now + timedelta(seconds=settings.token_lifetime_seconds)
        )
        with self._lock:
            self._live = {value: t for value, t in self._live.items() if t.expires > now}
            self._live[token.value] = token
        return {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_in": int(settings.token_lifetime_seconds),
            "created_at": int(now.timestamp()),
        }

    def check(self, value: str) -> tuple[AccessToken | None, str]:
        """The live token and "", or None and why it is refused (Doorkeeper's descriptions)."""
        with self._lock:
            token = self._live.get(value)
        if token is None:
            return None, "The access token is invalid"
        if self.now() >= token.expires:
            return None, "The access token expired"
        return token, ""

    def expire_all(self) -> None:
        with self._lock:
            self._live.clear()
