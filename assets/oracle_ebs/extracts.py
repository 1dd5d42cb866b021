"""Oracle EBS extract assets: one per source table (a day of LAST_UPDATE_DATE per partition), and the party
snapshots that re-read every party those windows touched, whole, for the account mapping.

The extracts are change detection and lineage: each says which rows of its table changed that day. An account
needs a party's rows from five tables that change on different days, so `party_snapshots` reads all of them for
the parties any window touched (by PARTY_ID, 1,000 parties per call), and with them the parties those and the day's
contacts refer to that the ledger has never synced (parents on demand, ml_connector_dagster/parents.py).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.extract import (
    Extract,
    Read,
    Table,
    extract_asset,
    page_values,
    with_parents,
)
from ml_connector_dagster.assets.unchanged_windows import WindowDigest

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.initial_load import SourceRead
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales
from ml_connector_dagster.parents import KeptAs, Snapshot
from ml_connector_dagster.spool import KeySet, pages_of

SYSTEM = "oracle_ebs"
MAX_KEYS_PER_CALL = 1000
KINDS = frozenset({"oracle"})
# The targets of the pairs that read EBS windows: their settings go into those pairs' fingerprints.
TARGETS = frozenset({"dynamics_sales", "procore"})


@dataclass(frozen=True)
class Method:
    """A read method of the connector's EBS service package and the key of the rows it returns."""

    table: str
    method: str
    key: str
    description: str

    def params(self, resource) -> dict[str, str]:
        if self.method == "GET_PARTIES":
            return {"P_PARENT_REL_CODE": resource.parent_relationship_code}
        return {}


METHODS = (
    Method(
        "hz_parties",
        "GET_PARTIES",
        "PARTY_ID",
        "HZ_PARTIES (organizations and persons) with the parent party of the customer hierarchy",
    ),
    Method("hz_cust_accounts", "GET_CUST_ACCOUNTS", "CUST_ACCOUNT_ID", "HZ_CUST_ACCOUNTS"),
    Method(
        "hz_party_sites",
        "GET_PARTY_SITES",
        "PARTY_SITE_ID",
        "HZ_PARTY_SITES with HZ_LOCATIONS, the account site in the operating unit and its site uses",
    ),
    Method(
        "hz_contacts",
        "GET_CONTACTS",
        "RELATIONSHIP_ID",
        "HZ_RELATIONSHIPS (CONTACT_OF) with the person, HZ_ORG_CONTACTS and primary HZ_CONTACT_POINTS",
    ),
    Method("po_vendors", "GET_VENDORS", "VENDOR_ID", "PO_VENDORS (AP_SUPPLIERS)"),
    Method("po_vendor_sites_all", "GET_VENDOR_SITES", "VENDOR_SITE_ID", "PO_VENDOR_SITES_ALL in the operating unit"),
    Method(
        "gl_code_combinations",
        "GET_CODE_COMBINATIONS",
        "CODE_COMBINATION_ID",
        "GL_CODE_COMBINATIONS of the ledger's chart of accounts, with the description of each segment value",
    ),
    Method(
        "po_headers_all",
        "GET_PURCHASE_ORDERS",
        "PO_HEADER_ID",
        "PO_HEADERS_ALL in the operating unit, for a change to the header, a line or a distribution",
    ),
)
_BY_TABLE = {method.table: method for method in METHODS}
SNAPSHOT_TABLES = ("hz_parties", "hz_cust_accounts", "hz_party_sites", "po_vendors", "po_vendor_sites_all")
SUPPLIER_TABLES = ("po_vendors", "po_vendor_sites_all")
DISTRIBUTIONS = Table(("PO_DISTRIBUTION_ID",))
DISTRIBUTIONS_PART = "po_distributions_all"
METHOD_TABLES = {method.table: Table((method.key,)) for method in METHODS}
SNAPSHOT_PARTS = {table: METHOD_TABLES[table] for table in SNAPSHOT_TABLES}
# Where each pair reading EBS parties keeps them: a parent one of them has never synced is read on demand.
PARTIES_KEPT_AS = (KeptAs(oracle_ebs_dynamics_sales.PAIR, "account", oracle_ebs_dynamics_sales.account_key),)


def _window_read(method: Method) -> Callable[[Read], Iterator[dict]]:
    def read(read: Read) -> Iterator[dict]:
        return read.session.read_window(method.method, read.start, read.end, **method.params(read.resource))

    return read


def _window_digest(method: Method) -> Callable[[Read], WindowDigest | None]:
    """GET_WINDOW_DIGEST of the window `_window_read` reads, with the same parameters; None from an instance whose
    package predates it (ISG answers ISG_INVALID_FUNCTION): the window is then read, as before."""

    def digest(read: Read) -> WindowDigest | None:
        try:
            value = read.session.window_digest(method.method, read.start, read.end, **method.params(read.resource))
        except ApiError as error:
            if error.code == "ISG_INVALID_FUNCTION":
                return None
            raise
        return WindowDigest(value, read.session.now())

    return digest


def _read_parties(read: Read) -> Iterator[Snapshot]:
    """The window's parties MAX_KEYS_PER_CALL at a time, a page each with the parents it refers to that no page
    reads; then, a page at a time too, the organisations of the day's contacts that no page read, where never
    synced. The ids are kept on disk, not in memory (KeySet)."""
    with KeySet() as window, KeySet() as referenced, KeySet() as fetched:
        for table in SNAPSHOT_TABLES:
            for page in pages_of(read.inputs[table]):
                window.add(page_values(page, "PARTY_ID"))
        for page in pages_of(read.inputs["hz_contacts"]):
            referenced.add(page_values(page, "ORG_PARTY_ID"))
        read.metadata["parties"] = len(window)

        def read_anyway(party_ids: set[str]) -> set[str]:
            return window.among(party_ids) | fetched.among(party_ids)

        def with_their_parents(snapshot: Snapshot, **more) -> Snapshot:
            on_demand = with_parents(
                read,
                snapshot,
                PARTIES_KEPT_AS,
                read_anyway,
                read_keys=lambda party_ids: read_parties(read.session, read.resource, party_ids),
                holds=lambda parties: {row["PARTY_ID"] for row in parties.get("hz_parties", [])},
                refers_to=_parent_parties,
                **more,
            )
            fetched.add(on_demand.fetched)
            return snapshot

        for party_ids in window.chunks(MAX_KEYS_PER_CALL):
            yield with_their_parents(read_parties(read.session, read.resource, party_ids))
        for organizations in referenced.chunks(MAX_KEYS_PER_CALL):
            if (outside := set(organizations) - read_anyway(set(organizations))) and (
                parents := with_their_parents({}, referenced=outside)
            ):
                yield parents


def read_parties(session, resource, party_ids: Iterable[str], tables: Iterable[str] = SNAPSHOT_TABLES) -> Snapshot:
    """The rows of `tables` (SNAPSHOT_TABLES: everything an account is made of) of these parties, whatever their
    change stamp: table name → rows."""
    ordered = sorted(party_ids, key=_numeric_first)
    snapshot = {}
    for table in tables:
        method = _BY_TABLE[table]
        rows = []
        for start in range(0, len(ordered), MAX_KEYS_PER_CALL):
            chunk = ",".join(ordered[start : start + MAX_KEYS_PER_CALL])
            rows += session.read_keys(method.method, chunk, **method.params(resource))
        snapshot[table] = rows
    return snapshot


def _read_suppliers(read: Read) -> Iterator[Snapshot]:
    """The suppliers of the window's parties, whole, MAX_KEYS_PER_CALL parties a page (their ids kept on disk)."""
    with KeySet() as window:
        for table in SUPPLIER_TABLES:
            for page in pages_of(read.inputs[table]):
                window.add(page_values(page, "PARTY_ID"))
        read.metadata["suppliers"] = len(window)
        for party_ids in window.chunks(MAX_KEYS_PER_CALL):
            yield read_parties(read.session, read.resource, party_ids, SUPPLIER_TABLES)


def _read_distributions(read: Read) -> Iterator[Snapshot]:
    """The day's purchase orders a page of headers at a time, each page with every distribution of its orders: a
    purchase order is never split across pages."""
    for orders in pages_of(read.inputs["po_headers_all"]):
        if not orders.empty:
            distributions = read_distributions(read.session, orders["PO_HEADER_ID"])
            yield {"po_headers_all": orders, DISTRIBUTIONS_PART: distributions}


def read_distributions(session, po_header_ids: Iterable[str]) -> list[dict]:
    """Every distribution (with its line) of these purchase orders, 1,000 purchase orders a call."""
    ordered = sorted(po_header_ids, key=_numeric_first)
    rows = []
    for start in range(0, len(ordered), MAX_KEYS_PER_CALL):
        chunk = ",".join(ordered[start : start + MAX_KEYS_PER_CALL])
        rows += session.read_keys("GET_PO_DISTRIBUTIONS", chunk, ids_param="P_PO_HEADER_IDS")
    return rows


def snapshot_frames(snapshot: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    """`read_parties`' rows as the party_snapshots asset holds them: one frame per table, one row per key."""
    return {table: SNAPSHOT_PARTS[table].frame(rows) for table, rows in snapshot.items()}


def party_pages(read: SourceRead) -> Iterator[list[str]]:
    """Every organization and person party, `read.page_size` PARTY_IDs at a time in PARTY_ID order, from after the
    stored position (a PARTY_ID): a keyset, so parties edited meanwhile are neither skipped nor read twice."""
    after = read.after or "0"
    while True:
        rows, more = read.session.parties_after(after, read.page_size, **_BY_TABLE["hz_parties"].params(read.resource))
        if not rows:
            return
        party_ids = [row["PARTY_ID"] for row in rows]
        yield party_ids
        if not more:
            return
        after = party_ids[-1]


def _parent_parties(snapshot: Snapshot) -> set[str]:
    """The parties its parties are children of: the customer hierarchy's parent, the parent supplier's party."""
    return {row.get("PARENT_PARTY_ID") for row in snapshot.get("hz_parties", [])} | {
        row.get("PARENT_VENDOR_PARTY_ID") for row in snapshot.get("po_vendors", [])
    }


EXTRACTS = (
    *(
        Extract(
            SYSTEM,
            method.table,
            _window_read(method),
            table=METHOD_TABLES[method.table],
            kinds=KINDS,
            overlap=True,
            description=f"{method.description}: rows whose change stamp falls in the partition's day (service "
            f"method {method.method}); none when every pair of the run loaded the window unchanged (its digest, "
            "GET_WINDOW_DIGEST, is what they loaded).",
            digest=_window_digest(method),
            targets=TARGETS,
        )
        for method in METHODS
    ),
    Extract(
        SYSTEM,
        "party_snapshots",
        _read_parties,
        kinds=KINDS,
        parts=SNAPSHOT_PARTS,
        ins={table: dg.AssetKey([SYSTEM, table]) for table in (*SNAPSHOT_TABLES, "hz_contacts")},
        uses_ledger=True,
        paged_inputs=True,
        description="Every party touched by the day's windows (party, customer account, site, vendor, vendor "
        "site), re-read whole by PARTY_ID: the complete input of the account mapping. With them, the parties they "
        "and the day's contacts refer to (hierarchy parent, contact's organisation) that the ledger has never "
        "synced: parents on demand.",
    ),
    Extract(
        SYSTEM,
        "supplier_snapshots",
        _read_suppliers,
        kinds=KINDS,
        parts={table: METHOD_TABLES[table] for table in SUPPLIER_TABLES},
        ins={table: dg.AssetKey([SYSTEM, table]) for table in SUPPLIER_TABLES},
        paged_inputs=True,
        description="Every supplier touched by the day's supplier or supplier-site windows, re-read whole with all "
        "its sites (by PARTY_ID): the complete input of the vendor mapping.",
    ),
    Extract(
        SYSTEM,
        "po_distributions_all",
        _read_distributions,
        kinds=KINDS,
        parts={"po_headers_all": METHOD_TABLES["po_headers_all"], DISTRIBUTIONS_PART: DISTRIBUTIONS},
        ins={"po_headers_all": dg.AssetKey([SYSTEM, "po_headers_all"])},
        paged_inputs=True,
        description="Every distribution of the day's purchase orders, with its line (PO_LINES_ALL) and the segments "
        "of its charge account, a page of their headers at a time with those headers: whole purchase orders, "
        "whichever part changed, none split across pages.",
    ),
)


def extract_assets(
    partitions_def: dg.PartitionsDefinition, mapping_versions: Mapping[str, str]
) -> dict[str, dg.AssetsDefinition]:
    """Every EBS extract by name, made once per build: each pair's job takes the ones it reads (pick).
    `mapping_versions`: each pair's mapping rules' hash (pair.Build.mapping_versions), read when a run starts."""
    return {extract.name: extract_asset(extract, partitions_def, mapping_versions) for extract in EXTRACTS}


def pick(extracts: dict[str, dg.AssetsDefinition], *names: str) -> list[dg.AssetsDefinition]:
    return [extracts[name] for name in names]


# What each pair reads of EBS.
PARTY_EXTRACTS = (*SNAPSHOT_TABLES[:3], "hz_contacts", *SUPPLIER_TABLES, "party_snapshots")
PROCORE_EXTRACTS = (
    *SUPPLIER_TABLES,
    "supplier_snapshots",
    "gl_code_combinations",
    "po_headers_all",
    "po_distributions_all",
)


def _numeric_first(value: str) -> tuple:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)
