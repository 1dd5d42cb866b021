"""JWT access tokens for the sandbox: Entra signs them, resource emulators verify them.

RS256 with a key published at the tenant's `jwks_uri`, as Entra does, so a real validating client (or a test) can
check a sandbox token the same way it checks a production one. The key is made per sandbox start: tokens never
outlive the process that issued them, like an Entra signing-key rollover.
"""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _uint(number: int) -> str:
    return _b64(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
    """Why a bearer token is refused; the text goes into the resource's 401 answer."""


@dataclass(frozen=True)
class Claims:
    aud: str
    tid: str
    appid: str
    exp: int
    raw: dict


class TokenSigner:
    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex

    def issue(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def verify(self, token: str, *, audience: str, now: datetime) -> Claims:
        try:
            header_part, claims_part, signature = token.split(".")
            header = json.loads(_unb64(header_part))
            claims = json.loads(_unb64(claims_part))
        except (ValueError, json.JSONDecodeError):
            raise TokenError("the access token is not a JWT") from None
        if header.get("alg") != "RS256" or header.get("kid") != self.kid:
            raise TokenError("the access token was not signed by this tenant's current key")
        try:
            self._key.public_key().verify(
                _unb64(signature), f"{header_part}.{claims_part}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise TokenError("the access token signature is invalid") from None
        if claims.get("aud", "").rstrip("/") != audience.rstrip("/"):
            raise TokenError(f"the access token audience {claims.get('aud')!r} is not this environment")
        if now.timestamp() >= claims.get("exp", 0):
            raise TokenError("the access token has expired")
        if now.timestamp() < claims.get("nbf", 0):
            raise TokenError("the access token is not yet valid")
        return Claims(claims["aud"], claims.get("tid", ""), claims.get("appid", ""), claims["exp"], claims)

    def jwks(self) -> dict:
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "alg": "RS256",
                    "n": _uint(numbers.n),
                    "e": _uint(numbers.e),
                }
            ]
        }
