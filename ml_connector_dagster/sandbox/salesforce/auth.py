"""The OAuth 2.0 client-credentials token on the org's My Domain (crm_targets.md §1.1–1.2): an opaque session id,
no `expires_in`; the session lapses after `lifetime` seconds of the emulator's clock without use, as the org's
session timeout does, or when an administrator expires every session."""

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from datetime import datetime

from ml_connector_dagster.sandbox.credentials import SANDBOX

CLIENT_ID, CLIENT_SECRET = SANDBOX.salesforce_client_id, SANDBOX.salesforce_client_secret
ORG_ID = "00DSb0000000001EAA"
USER_ID = "005Sb0000000001AAA"  # the connected app's run-as user: owner and creator of all it writes


class Sessions:
    def __init__(self, now: Callable[[], datetime], lifetime: Callable[[], float]):
        self.now = now
        self.lifetime = lifetime
        self._last_used: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def token(self, client_secret: str, instance_url: str) -> dict:
        access_token = f"{ORG_ID}!{secrets.token_urlsafe(48)}"
        now = self.now()
        with self._lock:
            self._last_used[access_token] = now
        identity = f"https://login.salesforce.com/id/{ORG_ID}/{USER_ID}"
        issued_at = str(int(now.timestamp() * 1000))
        # The identity URL and issued_at signed with the client secret, so the client can check the answer's origin.
        digest = hmac.new(client_secret.encode(), f"{identity}{issued_at}".encode(), hashlib.sha256).digest()
        return {
            "access_token": access_token,
            "signature": base64.b64encode(digest).decode(),
            "scope": "api",
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }

    def valid(self, access_token: str) -> bool:
        """Whether the session is live; using it starts its inactivity timeout again."""
        now = self.now()
        with self._lock:
            last = self._last_used.get(access_token)
            if last is None or (now - last).total_seconds() >= self.lifetime():
                self._last_used.pop(access_token, None)
                return False
            self._last_used[access_token] = now
            return True

    def expire_all(self) -> None:
        with self._lock:
            self._last_used.clear()
