"""Dataverse error codes → the ledger's error classes (transient / validation / conflict / auth / quota /
dependency). Codes from ../shared/reference/microsoft.md §2.10; anything unknown is a validation error of that
record, which keeps the run going and puts the vendor's own words in the dead letter."""

from ml_connector_dagster.http import VendorErrors
from ml_connector_dagster.ledger import ErrorClass

_BY_CODE = {
    "0x80040217": ErrorClass.DEPENDENCY,  # a bound record (parent account) does not exist
    "0x80060891": ErrorClass.DEPENDENCY,  # a record with that alternate key does not exist
    "0x80060892": ErrorClass.CONFLICT,  # duplicate alternate key
    "0x80060882": ErrorClass.CONFLICT,  # row version mismatch
    "0x80072322": ErrorClass.QUOTA,
    "0x80072321": ErrorClass.QUOTA,
    "0x80072326": ErrorClass.QUOTA,
}
_BY_STATUS = {
    401: ErrorClass.AUTH,
    403: ErrorClass.AUTH,
    409: ErrorClass.CONFLICT,
    412: ErrorClass.CONFLICT,
    429: ErrorClass.QUOTA,
}
# What a bulk write answers when the service refused its records, not the call: the writer reads each record's
# reason from it instead of failing the run.
RECORD_ERROR_STATUSES = frozenset({400, 404, 412})


def classify(status: int | None, code: str | None) -> ErrorClass:
    if code and code.lower() in _BY_CODE:
        return _BY_CODE[code.lower()]
    if status is not None and status >= 500:
        return ErrorClass.TRANSIENT
    return _BY_STATUS.get(status, ErrorClass.VALIDATION)


def error_of(body: object) -> tuple[str | None, str]:
    error = (body.get("error") if isinstance(body, dict) else None) or {}
    return error.get("code") or None, error.get("message") or "no error message in the response"


ERRORS = VendorErrors("dynamics_sales", error_of, classify)
