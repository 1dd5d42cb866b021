"""Procore's error answers (crm_targets.md §3.5) → the connector's errors and the ledger's error classes. A reply's
body varies by endpoint: `{"errors": {field: [msg]}}`, `{"errors": "msg"}`, `{"error": {code, message}}`, a flat
`{"message"}`, or, at the token endpoint (Doorkeeper), `{"error", "error_description"}`. A sync action answers 200
whatever becomes of its entries; each refused entry comes back as the caller's attributes plus `errors`."""

from ml_connector_dagster.http import VendorErrors, status_class
from ml_connector_dagster.ledger import ErrorClass

_BY_STATUS = {
    403: ErrorClass.AUTH,  # a missing permission, the app not installed in the company, a tool disabled
    409: ErrorClass.CONFLICT,  # e.g. a duplicate origin_id
    413: ErrorClass.VALIDATION,  # more than 1,000 entries in one sync
}


def classify(status: int | None, code: str | None) -> ErrorClass:
    return _BY_STATUS.get(status) or status_class(status)


def error_of(body: object) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):
        return _text(error.get("code")), _text(error.get("message"))
    if isinstance(error, str):
        return error, _text(body.get("error_description")) or error
    errors = body.get("errors")
    if isinstance(errors, dict) and errors:
        return None, field_messages(errors)
    if isinstance(errors, list) and errors:
        return None, "; ".join(map(str, errors))
    return None, _text(errors) or _text(body.get("message"))


def field_messages(errors: dict) -> str:
    """`{field: [msg, ...]}` as "field: msg, msg; field: msg"."""
    return "; ".join(f"{field}: {', '.join(_messages(value))}" for field, value in errors.items())


def entry_error(entry: dict) -> tuple[ErrorClass, str, str]:
    """One refused entry of a sync answer as (error class, error code "procore:<field>", message)."""
    errors = entry.get("errors")
    if not isinstance(errors, dict) or not errors:
        return ErrorClass.VALIDATION, "procore:entry", _text(errors) or "refused without a reason"
    field = next(iter(errors))
    # Guess: the sync documents no duplicate code; an origin_id refused as taken is the 409 of the single calls.
    taken = any(word in " ".join(_messages(errors.get("origin_id"))).lower() for word in ("taken", "duplicate"))
    return ErrorClass.CONFLICT if taken else ErrorClass.VALIDATION, f"procore:{field}", field_messages(errors)


def _messages(value: object) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# No `refusal` text: Procore's 401 and 403 say why ("The access token is invalid", "App is not connected to this
# company"), and that is what the operator needs to read.
ERRORS = VendorErrors("procore", error_of, classify)
