"""The accounts servers' refresh-token grant and the API's access tokens (crm_targets.md §2.2): a refresh token works
only at its own data centre's accounts server, an access token only at its own data centre's API domain; at most
N live access tokens per refresh token (the oldest goes), optionally throttled refreshes."""

import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ml_connector_dagster.sandbox.zoho_crm.settings import ZohoCrmSettings


@dataclass(frozen=True)
class AccessToken:
    value: str
    dc: str
    refresh_token: str
    expires: datetime
    scopes: tuple[str, ...]


class OAuthError(Exception):
    """An accounts-server refusal: the flat `{"error": ...}` body Zoho sends."""

    def __init__(self, error: str, description: str | None = None):
        super().__init__(error)
        self.error = error
        self.description = description

    def body(self) -> dict:
        return {"error": self.error} | ({"error_description": self.description} if self.description else {})


class Tokens:
    def __init__(self, now: Callable[[], datetime], settings: Callable[[], ZohoCrmSettings]):
        self.now = now
        self.settings = settings
        self._lock = threading.Lock()
        self._live: dict[str, deque[AccessToken]] = {}
        self._by_value: dict[str, AccessToken] = {}
        self._refreshes: dict[str, deque[datetime]] = {}

    def refresh(self, dc: str, form: dict[str, str], api_domain: str) -> dict:
        settings = self.settings()
        if form.get("grant_type") != "refresh_token":
            raise OAuthError("unsupported_grant_type")
        if form.get("client_id") != settings.client_id or form.get("client_secret") != settings.client_secret:
            raise OAuthError("invalid_client")
        refresh_token = form.get("refresh_token", "")
        # A refresh token of another DC is unknown here: Zoho's accounts servers do not share tokens.
        if not refresh_token or settings.refresh_tokens.get(dc) != refresh_token:
            raise OAuthError("invalid_code")
        now = self.now()
        with self._lock:
            self._throttle(refresh_token, now, settings)
            token = AccessToken(
                f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}",
                dc,
                refresh_token,
                now + timedelta(seconds=settings.access_token_lifetime_seconds),
                tuple(settings.scopes.split()),
            )
            live = self._live.setdefault(refresh_token, deque())
            live.append(token)
            self._by_value[token.value] = token
            while len(live) > settings.access_tokens_per_refresh_token:
                self._by_value.pop(live.popleft().value, None)
        return {
            "access_token": token.value,
            "scope": settings.scopes,
            "api_domain": api_domain,
            "token_type": "Bearer",
            "expires_in": int(settings.access_token_lifetime_seconds),
        }

    def _throttle(self, refresh_token: str, now: datetime, settings: ZohoCrmSettings) -> None:
        if not settings.refresh_throttle_count:
            return
        window = self._refreshes.setdefault(refresh_token, deque())
        while window and (now - window[0]).total_seconds() >= settings.refresh_throttle_seconds:
            window.popleft()
        if len(window) >= settings.refresh_throttle_count:
            # Guess (uncertain in §2.2): the throttled answer's wording.
            raise OAuthError(
                "Access Denied", "You have made too many requests continuously. Please try again after some time."
            )
        window.append(now)

    def valid(self, value: str, dc: str) -> AccessToken | None:
        """The live token, if it was issued for this data centre's API domain and has not expired."""
        with self._lock:
            token = self._by_value.get(value)
        if token is None or token.dc != dc or self.now() >= token.expires:
            return None
        return token

    def expire_all(self) -> None:
        with self._lock:
            self._live.clear()
            self._by_value.clear()

    def live_count(self, refresh_token: str) -> int:
        with self._lock:
            return len(self._live.get(refresh_token, ()))
