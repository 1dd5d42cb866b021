"""Salesforce's error answers (crm_targets.md §1.3) → the connector's errors and the ledger's error classes. A
reply's body is a list of `{errorCode, message}` (REST) or an OAuth `{error, error_description}`; a record's answer
inside sObject Collections or a Bulk API result carries a `statusCode`, classified here by the same table."""

from ml_connector_dagster.http import VendorErrors, status_class
from ml_connector_dagster.ledger import ErrorClass

# per-record statusCode → the ledger's error class; anything else is the record's own validation failure
_BY_CODE = {
    "UNABLE_TO_LOCK_ROW": ErrorClass.TRANSIENT,
    "DUPLICATE_VALUE": ErrorClass.CONFLICT,
    "DUPLICATE_EXTERNAL_ID": ErrorClass.CONFLICT,
    "INVALID_CROSS_REFERENCE_KEY": ErrorClass.DEPENDENCY,
    "ENTITY_IS_DELETED": ErrorClass.DEPENDENCY,
}


def classify(status: int | None, code: str | None) -> ErrorClass:
    """`status` is None for one record's answer, which Salesforce gives inside a successful reply."""
    return _BY_CODE.get(code) or status_class(status)


def error_of(body: object) -> tuple[str | None, str]:
    first = body[0] if isinstance(body, list) and body else body
    if not isinstance(first, dict):
        return None, "no message"
    code = first.get("errorCode") or first.get("error")
    return code if isinstance(code, str) else None, first.get("message") or first.get(
        "error_description"
    ) or "no message"


ERRORS = VendorErrors("salesforce", error_of, classify)
