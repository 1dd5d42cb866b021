"""GET_WINDOW_DIGEST of XXMLC_SYNC_PKG: how many rows a window read of one method returns and an order-independent
hash of them, from those very rows (the method run page by page, as the package's body does), so that a digest can
never describe other rows than the window read would return."""

import sqlite3
import zlib
from datetime import datetime

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
# The parameters of the method's window read that GET_WINDOW_DIGEST passes on; paging and id lists are not among them.
PASSED = ("P_LAST_UPDATE_FROM", "P_LAST_UPDATE_TO", "P_PARENT_REL_CODE", "P_LEDGER_ID")


def window_digest(db: sqlite3.Connection, params: dict, *, org_id: str | None, now: datetime) -> dict[str, str]:
    """X_ROW_COUNT and X_DIGEST of P_METHOD's window: the sum of a 32-bit hash of each row's key, LAST_UPDATE_DATE
    (and EXTRA). The package hashes with DBMS_UTILITY.GET_HASH_VALUE, this with CRC-32: a digest is only ever compared
    with one the same service answered."""
    method = str(params.get("P_METHOD") or "").upper()
    if method not in KEYS:
        raise procedures.InputError(f"P_METHOD must be one of {', '.join(KEYS)}, got {method or 'nothing'}")
    window = {name: params[name] for name in PASSED if params.get(name) not in (None, "")}
    columns = (KEYS[method], "LAST_UPDATE_DATE", *EXTRA.get(method, ()))
    count = total = offset = 0
    while True:
        page = procedures.run(
            db, method, {**window, "P_OFFSET": offset, "P_LIMIT": procedures.MAX_LIMIT}, org_id=org_id, now=now
        )
        for row in page.rows:
            count += 1
            total += zlib.crc32("|".join(row.get(column) or "" for column in columns).encode())
        if not page.has_more:
            return {"X_ROW_COUNT": str(count), "X_DIGEST": str(total)}
        offset += procedures.MAX_LIMIT
