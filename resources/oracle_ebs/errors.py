"""The EBS read service's error answers (erp_sources.md §1.5, docs/contributors/oracle_ebs_service_contract.md) → the
connector's errors and the ledger's error classes. ISG answers a fault as `ISGServiceFault` {Code, Message}, where
the code says whether the integration user lacks a grant or the service is not deployed as configured; the package
itself answers X_RETURN_STATUS other than S with its message in X_MSG_DATA."""

from ml_connector_dagster.http import ApiError, VendorErrors, status_class
from ml_connector_dagster.ledger import ErrorClass

_NO_GRANT = "the user has no grant on this service (Integration Repository → Grants)"
# ISGServiceFault codes that point at the setup, with what to check.
_SETUP_FAULTS = {
    "ISG_SERVICE_AUTH_FAILURE": _NO_GRANT,
    "FND_SOA_AUTHORIZATION_FAILURE": _NO_GRANT,
    "ISG_INVALID_ALIAS": "no REST service is deployed under this alias (check service_alias)",
    "ISG_INVALID_FUNCTION": "the deployed service does not expose this method (redeploy with all GET_ methods)",
}
_AUTH_FAULTS = frozenset({"ISG_SERVICE_AUTH_FAILURE", "FND_SOA_AUTHORIZATION_FAILURE"})


def fault_of(body: object) -> dict | None:
    """The ISGServiceFault of an answer, which ISG may send whatever the HTTP status."""
    return (body.get("ISGServiceFault") if isinstance(body, dict) else None) or None


def classify(status: int | None, code: str | None) -> ErrorClass:
    return ErrorClass.AUTH if code in _AUTH_FAULTS else status_class(status)


def error_of(body: object) -> tuple[str | None, str | None]:
    fault = fault_of(body)
    if fault is None:
        return None, None
    code = fault.get("Code") or None
    hint = _SETUP_FAULTS.get(code)
    return code, fault.get("Message", "service fault") + (f" — {hint}" if hint else "")


def raise_for_return_status(method: str, output: dict) -> None:
    """The package's own refusal of its IN parameters (X_RETURN_STATUS E or U) as an ApiError."""
    status = output.get("X_RETURN_STATUS")
    if status not in (None, "S"):
        raise ApiError(
            "oracle_ebs",
            f"{method} returned status {status}: {output.get('X_MSG_DATA') or ''}",
            code=f"X_RETURN_STATUS={status}",
        )


# The session login has just succeeded when a call is refused (auth.py logs in again once on 401).
ERRORS = VendorErrors("oracle_ebs", error_of, classify, refusal="{what}: credentials refused after a fresh login")
