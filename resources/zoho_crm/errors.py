"""Zoho CRM's error answers (crm_targets.md §2.2, §2.4) → the connector's errors and the ledger's error classes. A
reply's body is `{code, details, message, status}` (the API) or a flat `{error}` (Zoho Accounts); one record's
answer inside a write reply has the API's shape and is classified by the same table."""

from ml_connector_dagster.http import VendorErrors, status_class
from ml_connector_dagster.ledger import ErrorClass

_BY_CODE = {
    "DUPLICATE_DATA": ErrorClass.CONFLICT,
    "ALREADY_MODIFIED": ErrorClass.CONFLICT,
    "INVALID_DATA": ErrorClass.VALIDATION,
    "MANDATORY_NOT_FOUND": ErrorClass.VALIDATION,
    "INVALID_MODULE": ErrorClass.VALIDATION,
    "NO_PERMISSION": ErrorClass.AUTH,
    "AUTHORIZATION_FAILED": ErrorClass.AUTH,
    "INVALID_TOKEN": ErrorClass.AUTH,
    "OAUTH_SCOPE_MISMATCH": ErrorClass.AUTH,
    "AUTHENTICATION_FAILURE": ErrorClass.AUTH,
    "TOO_MANY_REQUESTS": ErrorClass.TRANSIENT,
    "INTERNAL_ERROR": ErrorClass.TRANSIENT,
}


def classify(status: int | None, code: str | None) -> ErrorClass:
    """`status` is None for one record's answer, which Zoho gives inside the reply to a batch."""
    return _BY_CODE.get(code) or status_class(status)


def error_of(body: object) -> tuple[str | None, str | None]:
    if isinstance(body, dict) and "code" not in body:
        # A call refused as a whole for its one entry answers in that entry (`data` of a write, `watch`).
        entries = body.get("data") or body.get("watch")
        if isinstance(entries, list) and len(entries) == 1:
            body = entries[0]
    if not isinstance(body, dict):
        return None, None
    code = body.get("code") or body.get("error")
    message = body.get("message") or body.get("error_description")
    return (code if isinstance(code, str) else None), message


def record_error(answer: dict) -> tuple[str | None, str]:
    """A record's refusal as (code, message), the message naming the field Zoho points at."""
    code, message = error_of(answer)
    field = (answer.get("details") or {}).get("api_name")
    text = message or "rejected"
    return code, f"{text} ({field})" if field else text


ERRORS = VendorErrors("zoho_crm", error_of, classify)
