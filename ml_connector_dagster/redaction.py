"""Keeps secrets out of every log line, error message and piece of metadata.

Resources register each secret value when they are built; `redact` replaces them anywhere in a text, and the
logging filter applies it to every record of every logger, Dagster's included. Values that merely look secret
(bearer tokens, Basic credentials, session cookies, `client_secret=` form fields) are masked by pattern too, so a
token minted at run time never leaks even before it is registered.
"""

import logging
import re
import threading

MASK = "***"
_MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()

_PATTERNS = [
    (re.compile(r"(?i)(authorization\s*[:=]\s*(?:bearer|basic|zoho-oauthtoken)\s+)[^\s'\",}]+"), r"\1" + MASK),
    (re.compile(r"(?i)\b(bearer|basic|zoho-oauthtoken)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    (
        re.compile(
            r"(?i)((?:client_secret|password|passwd|access_token|refresh_token|accessToken|token)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s&'\",}]+"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)(cookie\s*[:=]\s*)[^\r\n]+"), r"\1" + MASK),
    (re.compile(r"(?i)([?&]code=)[^&\s'\"]+"), r"\1" + MASK),  # webhook keys embedded in URLs
]


def register_secret(value: str | None) -> None:
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = redact(str(record.msg))
        return True


def install_log_redaction() -> None:
    """Puts the filter on every handler of the root logger and of Dagster's loggers (idempotent)."""
    for logger in (logging.getLogger(), logging.getLogger("dagster"), logging.getLogger("httpx")):
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
