"""F&O's error answers (microsoft.md §3.7) → the connector's errors and the ledger's error classes. F&O leaves the
OData `code` empty and puts its infolog text in `innererror.message`, so the status is what classifies: a refused
token is auth, throttling and an unavailable AOS are transient, anything else is the record's own failure."""

from ml_connector_dagster.http import ApiError, VendorErrors
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import WriteResult
from ml_connector_dagster.odata_batch import PartResponse

_BY_STATUS = {401: ErrorClass.AUTH, 403: ErrorClass.AUTH, 429: ErrorClass.TRANSIENT, 503: ErrorClass.TRANSIENT}
# A write F&O refused for what it carried (validation, a missing related record, a lock, an X++ error): the record's
# dead-letter reason, not a failed run.
_REFUSED_WRITE_STATUSES = frozenset({400, 404, 409, 412, 500})


class FoError(ApiError):
    """F&O refused one write (validation, a missing related record): the record's dead-letter reason."""


def error_of(body: object, *, missing: str = "no error message") -> tuple[str | None, str]:
    error = (body.get("error") if isinstance(body, dict) else None) or {}
    inner = error.get("innererror") or {}
    return error.get("code") or None, inner.get("message") or error.get("message") or missing


def classify(status: int | None, code: str | None) -> ErrorClass:
    return _BY_STATUS.get(status, ErrorClass.VALIDATION)


def error_type(method: str, status: int) -> type[ApiError]:
    return FoError if method != "GET" and status in _REFUSED_WRITE_STATUSES else ApiError


def failure(source_key: str, answer: list[PartResponse]) -> WriteResult | None:
    """The record's failed result when a part of its change set failed (F&O rolled the whole set back), else None."""
    failed = next((part for part in answer if part.status >= 400), None)
    if failed is None:
        return None
    code, message = error_of(failed.body, missing=f"HTTP {failed.status}")
    return WriteResult(
        source_key,
        False,
        error_class=classify(failed.status, code),
        error_code=code or str(failed.status),
        error_message=message,
    )


ERRORS = VendorErrors("dynamics_fo", error_of, classify)
