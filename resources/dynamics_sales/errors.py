"""Dataverse error codes → the ledger's error classes (transient / validation / conflict / auth / quota /
dependency). Codes from ../shared/reference/microsoft.md §2.10; anything unknown is a validation error of that
record, which keeps the run going and puts the vendor's own words in the dead letter."""

_BY_CODE = {
    "0x80040217": "dependency",   # a bound record (parent account) does not exist
    "0x80060891": "dependency",   # a record with that alternate key does not exist
    "0x80060892": "conflict",     # duplicate alternate key
    "0x80060882": "conflict",     # row version mismatch
    "0x80072322": "quota",
    "0x80072321": "quota",
    "0x80072326": "quota",
}
_BY_STATUS = {401: "auth", 403: "auth", 409: "conflict", 412: "conflict", 429: "quota"}


def classify(status: int, code: str | None) -> str:
    if code and code.lower() in _BY_CODE:
        return _BY_CODE[code.lower()]
    if status >= 500:
        return "transient"
    return _BY_STATUS.get(status, "validation")


def error_of(body: dict | None) -> tuple[str | None, str]:
    error = (body or {}).get("error") or {}
    return error.get("code") or None, error.get("message") or "no error message in the response"
