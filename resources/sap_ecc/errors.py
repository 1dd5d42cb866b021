"""SAP Gateway's error answers (erp_sources.md §2.1) → the connector's errors and the ledger's error classes. The
body is OData v2's `{"error": {"code", "message": {"lang", "value"}}}`; a refused logon is a bare 401 from the ICF
whose text says nothing a user can act on, so the refusal names what to check."""

from ml_connector_dagster.http import VendorErrors, status_class
from ml_connector_dagster.ledger import ErrorClass


def classify(status: int | None, code: str | None) -> ErrorClass:
    """Gateway's message ids (`/IWBEP/CM_MGW_RT/020`) name what went wrong, not whose fault it is: the status says."""
    return status_class(status)


def error_of(body: object) -> tuple[str | None, str]:
    error = (body.get("error") if isinstance(body, dict) else None) or {}
    message = error.get("message")
    return error.get("code"), (message.get("value") if isinstance(message, dict) else message) or "no message"


ERRORS = VendorErrors("sap_ecc", error_of, classify, refusal="logon refused: check user, password and sap-client")
