"""GET_WINDOW_DIGEST of XXMLC_SYNC_PKG: how many rows a window read of one method returns and an order-independent
hash of them, from those very rows: the method's own SQL (procedures.PROCEDURES) under the window read's predicate
(the change stamp, or the end date where the method has one, in [from, to)), rendered as the read renders them. The
package pages through the procedure itself; one pass here gives the same rows without a scan per page."""

import sqlite3
import zlib
from datetime import UTC, datetime

from ml_connector_dagster.sandbox.oracle_ebs import procedures

METHOD = "GET_WINDOW_DIGEST"
# The window methods and the key of their rows (docs/contributors/oracle_ebs_service_contract.md).
KEYS = {
    "GET_PARTIES": "PARTY_ID",
    "GET_CUST_ACCOUNTS": "CUST_ACCOUNT_ID",
    "GET_PARTY_SITES": "PARTY_SITE_ID",
    "GET_CONTACTS": "RELATIONSHIP_ID",
    "GET_VENDORS": "VENDOR_ID",
    "GET_VENDOR_SITES": "VENDOR_SITE_ID",
    "GET_CODE_COMBINATIONS": "CODE_COMBINATION_ID",
    "GET_PURCHASE_ORDERS": "PO_HEADER_ID",
}
# A party's change stamp also counts its hierarchy relationship, which its LAST_UPDATE_DATE does not show: the parent
# it names goes into the hash with it.
EXTRA = {"GET_PARTIES": ("PARENT_PARTY_ID",)}


def window_digest(db: sqlite3.Connection, params: dict, *, org_id: str | None, now: datetime) -> dict[str, str]:
    """X_ROW_COUNT and X_DIGEST of P_METHOD's window: the sum of a 32-bit hash of each row's key, LAST_UPDATE_DATE
    (and EXTRA). The package hashes with DBMS_UTILITY.GET_HASH_VALUE, this with CRC-32: a digest is only ever compared
    with one the same service answered."""
    method = str(params.get("P_METHOD") or "").upper()
    if method not in KEYS:
        raise procedures.InputError(f"P_METHOD must be one of {', '.join(KEYS)}, got {method or 'nothing'}")
    procedure = procedures.PROCEDURES[method]
    start, end = (_server_time(params, name) for name in ("P_LAST_UPDATE_FROM", "P_LAST_UPDATE_TO"))
    if start >= end:
        raise procedures.InputError("P_LAST_UPDATE_FROM must be before P_LAST_UPDATE_TO")
    window = "(STAMP >= :start AND STAMP < :end)" + (" OR (ENDS >= :start AND ENDS < :end)" if procedure.ends else "")
    binds = {
        "rel_code": params.get("P_PARENT_REL_CODE") or "SUBSIDIARY_OF",
        "now": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "org_id": int(org_id) if org_id else None,
        "chart": procedures.chart_of(db, params),
        "start": start,
        "end": end,
    }
    cursor = db.execute(f"SELECT * FROM ({procedure.sql}) WHERE {window}", binds)
    names = [d[0] for d in cursor.description]
    columns = (KEYS[method], "LAST_UPDATE_DATE", *EXTRA.get(method, ()))
    count = total = 0
    for values in cursor:
        row = procedures.render(dict(zip(names, values, strict=True)), procedure.dates)
        count += 1
        total += zlib.crc32("|".join(row.get(column) or "" for column in columns).encode())
    return {"X_ROW_COUNT": str(count), "X_DIGEST": str(total)}


def _server_time(params: dict, name: str) -> str:
    """A window bound as the sandbox database's clock (UTC) holds dates; a plain value is taken as server time."""
    value = params.get(name)
    if not value:
        raise procedures.InputError(f"{name} is required")
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise procedures.InputError(f"{name} must be an ISO date-time YYYY-MM-DDTHH:MM:SS, got {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")
