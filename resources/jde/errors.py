"""AIS error answers (erp_sources.md §3.1, §3.3) → the connector's errors and the ledger's error classes.

AIS answers a failure as a ServiceErrorResponse: `message`, `exception` (Java class), `exceptionId` (only when the
error was logged to F980060), `status`, `timeStamp`, `type`, `errorText`, `userDefinedErrorText`.

Busy: AIS runs in WebLogic, whose overload protection rejects a servlet request with 503 once a work manager's
capacity is reached (WebLogic "Avoiding and Managing Overload"); no AIS page names another busy answer, so 503 (and a
proxy's 429) is taken as "busy, try later" [guess]. http.py's RetryTransport already backs off on both, and both say
the request was not processed, so even an orchestration call (a create) is retried on them.
"""

from ml_connector_dagster.http import VendorErrors
from ml_connector_dagster.ledger import ErrorClass

INVALID_TOKEN = 444  # AIS's own status for an unknown, expired or logged-out token


def error_of(body: object) -> tuple[str | None, str | None]:
    """(exceptionId, the most specific text) of a ServiceErrorResponse; (None, None) for any other body."""
    if not isinstance(body, dict) or not ({"message", "exception", "errorText"} & body.keys()):
        return None, None
    text = body.get("userDefinedErrorText") or body.get("message") or body.get("errorText") or body.get("exception")
    return body.get("exceptionId") or None, str(text)


def classify(status: int | None, code: str | None) -> ErrorClass:
    if status in (403, INVALID_TOKEN, 401):
        return ErrorClass.AUTH
    if status in (429, 503):
        return ErrorClass.TRANSIENT
    # A 500 of a data service or an orchestration is JDE refusing what was asked (a form error, a closed result
    # set), which repeating it does not change.
    return ErrorClass.VALIDATION


# The token was renewed once already when a call is refused (auth.py).
ERRORS = VendorErrors(
    "jde",
    error_of,
    classify,
    refusal="{what}: AIS refused a fresh token (check that the user's role may run this service)",
)
