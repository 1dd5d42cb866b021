"""SAP ECC extract assets: one per table, a day per partition, and the snapshots that re-read whole business
partners and whole purchase orders for the mapping.

LFA1/KNA1/LFB1/KNB1 carry only a creation date (ERDAT) and EKKO's AEDAT is its creation date too, so a day's
changes are the rows created that day plus the objects with a change document (CDHDR) that day, read by key:
vendor (KRED), customer (DEBI), purchasing document (EINKBELEG). A partition is a UTC day; DATS and TIMS fields hold
the SAP server's local date and time (`server_time_zone`), so a day's change documents are those whose UDATE/UTIME
fall in its UTC window, read back by the overlap for documents committed late, and its creations those of every
server day the window touches (ml_connector_dagster/server_clock.py). The business partner snapshot also reads the
vendors of the day's purchase orders that the ledger has never synced (parents on demand,
ml_connector_dagster/parents.py).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset, page_values, with_parents
from ml_connector_dagster.resources.sap_ecc import SapReader
from ml_connector_dagster.resources.sap_ecc.alpha import alpha_in
from ml_connector_dagster.resources.sap_ecc.query import Condition, Select
from ml_connector_dagster.resources.sap_ecc.tables import CDHDR, EKKO, EKPO, KNA1, KNB1, LFA1, LFB1, SapTable

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.initial_load import SourceRead
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales
from ml_connector_dagster.parents import KeptAs, Snapshot
from ml_connector_dagster.server_clock import server_days, stamped_within
from ml_connector_dagster.spool import PAGE_ROWS, KeySet, batched, pages_of

SYSTEM = "sap_ecc"
KINDS = frozenset({"sap"})
# Keys per call: keeps a Gateway $filter well under URL limits and RFC_READ_TABLE's OPTIONS short.
KEYS_PER_CALL = 100
# Business partners or purchase orders a snapshot page reads (in calls of KEYS_PER_CALL keys): a page is mapped and
# synced at once, so the snapshots are held a page at a time, not a day.
KEYS_PER_PAGE = PAGE_ROWS
# Where each pair reading SAP vendors keeps them: a vendor one of them has never synced is read on demand.
VENDORS_KEPT_AS = (KeptAs(sap_ecc_dynamics_sales.PAIR, "account", sap_ecc_dynamics_sales.vendor_key),)


@dataclass(frozen=True)
class TableChanges:
    table: SapTable
    created_on: str  # the DATS field holding the creation date
    object_class: str  # the change-document object class (SCDO) of edits to it
    object_key: str  # the key field that CDHDR-OBJECTID holds

    @property
    def name(self) -> str:
        return self.table.name.lower()


TABLES = (
    TableChanges(LFA1, "ERDAT", "KRED", "LIFNR"),
    TableChanges(LFB1, "ERDAT", "KRED", "LIFNR"),
    TableChanges(KNA1, "ERDAT", "DEBI", "KUNNR"),
    TableChanges(KNB1, "ERDAT", "DEBI", "KUNNR"),
    TableChanges(EKKO, "AEDAT", "EINKBELEG", "EBELN"),
    TableChanges(EKPO, "AEDAT", "EINKBELEG", "EBELN"),
)
OBJECT_CLASSES = tuple(dict.fromkeys(changes.object_class for changes in TABLES))


def table(sap_table: SapTable) -> Table:
    return Table(sap_table.keys, sap_table.fields)


def on_server_days(read: Read, field: str) -> tuple[Condition, ...]:
    """`field` (DATS) on one of the server's days the read's window touches: the window is UTC, the date local."""
    days = server_days(read.start, read.end, ZoneInfo(read.resource.server_time_zone))
    first, last = (day.strftime("%Y%m%d") for day in (days[0], days[-1]))
    if first == last:
        return (Condition(field, "=", first, is_date=True),)
    return (Condition(field, ">=", first, is_date=True), Condition(field, "<=", last, is_date=True))


def stamped_in_window(read: Read, row: dict) -> bool:
    """Whether a change document's UDATE/UTIME, the server's local date and time, falls in the read's UTC window."""
    stamp = datetime.strptime(row["UDATE"] + (row["UTIME"] or "000000"), "%Y%m%d%H%M%S")
    zone = ZoneInfo(read.resource.server_time_zone)
    return stamped_within(stamp.date(), stamp.time(), zone, read.start, read.end)


def rows_of_keys(reader: SapReader, sap_table: SapTable, field: str, keys: Iterable[str]) -> Iterator[dict]:
    """Rows whose `field` is one of `keys` (internal form), in calls of KEYS_PER_CALL keys, as they are read."""
    ordered = sorted(set(keys) - {""})
    for start in range(0, len(ordered), KEYS_PER_CALL):
        chunk = tuple(ordered[start : start + KEYS_PER_CALL])
        yield from reader.select(Select(sap_table.name, sap_table.fields, sap_table.keys, any_of=(field, chunk)))


def read_keys(reader: SapReader, sap_table: SapTable, field: str, keys: Iterable[str]) -> list[dict]:
    return list(rows_of_keys(reader, sap_table, field, keys))


def _read_change_documents(read: Read) -> list[dict]:
    selected = read.session.select(
        Select(
            CDHDR.name, CDHDR.fields, CDHDR.keys, on_server_days(read, "UDATE"), any_of=("OBJECTCLAS", OBJECT_CLASSES)
        )
    )
    rows = [row for row in selected if stamped_in_window(read, row)]
    headers = table(CDHDR).frame(rows)
    read.metadata.update({f"changed_{c.lower()}": int((headers["OBJECTCLAS"] == c).sum()) for c in OBJECT_CLASSES})
    return rows


def _table_read(changes: TableChanges) -> Callable[[Read], Iterator[dict]]:
    sap_table = changes.table

    def read(read: Read) -> Iterator[dict]:
        """The day's created rows, then its changed ones, yielded as SAP pages them (the extract spools them a page
        at a time); their counts go into the metadata once read."""
        reader = read.session
        # A creation date has no time: every server day the window touches is read whole (a row read by two
        # partitions is unchanged the second time).
        created = reader.select(
            Select(sap_table.name, sap_table.fields, sap_table.keys, on_server_days(read, changes.created_on))
        )
        documents = read.inputs["changes"]
        edited = (
            documents.loc[documents["OBJECTCLAS"] == changes.object_class, "OBJECTID"] if not documents.empty else []
        )
        changed = rows_of_keys(reader, sap_table, changes.object_key, (alpha_in(key) for key in edited))
        counts = {"created_that_day": 0, "changed_that_day": 0}
        for name, rows in (("created_that_day", created), ("changed_that_day", changed)):
            for row in rows:
                counts[name] += 1
                yield row
        read.metadata.update(counts)

    return read


def _read_business_partners(read: Read) -> Iterator[Snapshot]:
    """The day's vendors, then its customers, KEYS_PER_PAGE at a time, each page whole with the partners they are one
    company with: a page is closed under those links, so no two pages share a partner (one an earlier page read is not
    read again) and each maps as the partition would. Then, a page at a time too, the vendors of the day's purchase
    orders that no page read, where never synced. The keys are kept on disk, not in memory (KeySet)."""
    frames = read.inputs
    with (
        KeySet() as vendors,
        KeySet() as customers,
        KeySet() as ordered_from,
        KeySet() as read_vendors,
        KeySet() as read_customers,
    ):
        for keys, column, names in ((vendors, "LIFNR", ("lfa1", "lfb1")), (customers, "KUNNR", ("kna1", "knb1"))):
            for name in names:
                for page in pages_of(frames[name]):
                    keys.add(page_values(page, column))
        for page in pages_of(frames["purchase_orders"], lambda snapshot: snapshot["EKKO"]):
            ordered_from.add(page_values(page, "LIFNR"))

        def whole(snapshot: Snapshot) -> Snapshot:
            read_vendors.add(row["LIFNR"] for row in snapshot["LFA1"])
            read_customers.add(row["KUNNR"] for row in snapshot["KNA1"])
            return with_company_codes(read.session, snapshot)

        for chunk in vendors.chunks(KEYS_PER_PAGE):
            if given := set(chunk) - read_vendors.among(chunk):
                yield whole(partners_by_key(read.session, given, set()))
        for chunk in customers.chunks(KEYS_PER_PAGE):
            if given := set(chunk) - read_customers.among(chunk):
                yield whole(partners_by_key(read.session, set(), given))
        # counted by each page's with_parents, and said (as 0) on a day without purchase orders too
        read.metadata.update(parents_on_demand=0, parents_not_in_source=0)
        for chunk in ordered_from.chunks(KEYS_PER_PAGE):
            snapshot: Snapshot = {"LFA1": [], "KNA1": []}
            with_parents(
                read,
                snapshot,
                VENDORS_KEPT_AS,
                read_vendors.among,
                read_keys=lambda lifnrs: partners_by_key(read.session, lifnrs, set()),
                holds=lambda partners: {row["LIFNR"] for row in partners.get("LFA1", [])},
                referenced=chunk,
            )
            if snapshot["LFA1"] or snapshot["KNA1"]:
                yield whole(snapshot)
        read.metadata.update(vendors=len(read_vendors), customers=len(read_customers))


def business_partners(reader: SapReader, vendor_keys: set[str], customer_keys: set[str]) -> Snapshot:
    """These vendors and customers whole (LFA1, LFB1, KNA1, KNB1), with the partners they are one company with."""
    return with_company_codes(reader, partners_by_key(reader, vendor_keys, customer_keys))


def partners_by_key(reader: SapReader, vendor_keys: set[str], customer_keys: set[str]) -> Snapshot:
    """These vendors and customers (LFA1, KNA1), with the partners they are one company with."""
    vendors, customers = _related(reader, vendor_keys, customer_keys)
    return {"LFA1": list(vendors.values()), "KNA1": list(customers.values())}


def with_company_codes(reader: SapReader, snapshot: Snapshot) -> Snapshot:
    """`snapshot` with the company-code rows (LFB1, KNB1) of its vendors and customers."""
    vendors = {row["LIFNR"] for row in snapshot["LFA1"]}
    customers = {row["KUNNR"] for row in snapshot["KNA1"]}
    return {
        **snapshot,
        "LFB1": read_keys(reader, LFB1, "LIFNR", vendors),
        "KNB1": read_keys(reader, KNB1, "KUNNR", customers),
    }


def key_pages(read: SourceRead, sap_table: SapTable) -> Iterator[list[str]]:
    """Every key of a one-key table, `read.page_size` at a time in key order, after the stored position (a key in
    internal form): a keyset, so a restart reads from there. Gateway orders by the key ($orderby); RFC_READ_TABLE
    documents no order, and reading in primary-key order is a guess about its database SELECT, so an answer out of
    order stops the load rather than store a position that would skip keys."""
    [key] = sap_table.keys
    after = (Condition(key, ">", read.after),) if read.after else ()
    rows = read.session.select(Select(sap_table.name, (key,), sap_table.keys, after))
    previous = read.after or ""
    for page in batched((row[key] for row in rows), read.page_size):
        if page[0] <= previous or page != sorted(page):
            raise ApiError(
                SYSTEM,
                f"{sap_table.name} rows did not arrive in {key} order: the initial load cannot "
                "store a position to go on from",
            )
        previous = page[-1]
        yield page


def _related(reader: SapReader, vendor_keys: set[str], customer_keys: set[str]) -> tuple[dict, dict]:
    """The vendors and customers given, plus every partner reachable through links and shared VAT numbers."""
    vendors: dict[str, dict] = {}
    customers: dict[str, dict] = {}
    new_vendors, new_customers, new_tax, seen_tax = set(vendor_keys), set(customer_keys), set(), set()
    while new_vendors or new_customers or new_tax:
        found_vendors = (
            read_keys(reader, LFA1, "LIFNR", new_vendors)
            + read_keys(reader, LFA1, "KUNNR", new_customers)
            + read_keys(reader, LFA1, "STCEG", new_tax)
        )
        found_customers = (
            read_keys(reader, KNA1, "KUNNR", new_customers)
            + read_keys(reader, KNA1, "LIFNR", new_vendors)
            + read_keys(reader, KNA1, "STCEG", new_tax)
        )
        seen_tax |= new_tax
        new_vendors, new_customers, new_tax = set(), set(), set()
        for row in found_vendors:
            if row["LIFNR"] not in vendors:
                vendors[row["LIFNR"]] = row
                new_customers.add(row["KUNNR"])
                new_tax.add(row["STCEG"])
        for row in found_customers:
            if row["KUNNR"] not in customers:
                customers[row["KUNNR"]] = row
                new_vendors.add(row["LIFNR"])
                new_tax.add(row["STCEG"])
        new_vendors = {key for key in new_vendors if key and key not in vendors}
        new_customers = {key for key in new_customers if key and key not in customers}
        new_tax = {tax for tax in new_tax if tax and tax not in seen_tax}
    return vendors, customers


def _read_purchase_orders(read: Read) -> Iterator[Snapshot]:
    """The day's purchase orders read KEYS_PER_PAGE at a time, and handed on in pages of whole orders (a header with
    all its items) holding at most KEYS_PER_PAGE items, so a page of lines fits the batches a page of headers does.
    The order numbers are kept on disk (KeySet)."""
    counts = {"purchase_orders": 0, "items": 0}
    with KeySet() as orders:
        for name in ("ekko", "ekpo"):
            for page in pages_of(read.inputs[name]):
                orders.add(page_values(page, "EBELN"))
        for chunk in orders.chunks(KEYS_PER_PAGE):
            headers = read_keys(read.session, EKKO, "EBELN", chunk)
            items = read_keys(read.session, EKPO, "EBELN", chunk)
            counts["purchase_orders"] += len(table(EKKO).frame(headers))
            counts["items"] += len(table(EKPO).frame(items))
            yield from whole_orders(headers, items, KEYS_PER_PAGE)
    read.metadata.update(counts)


def whole_orders(headers: list[dict], items: list[dict], most_items: int) -> Iterator[Snapshot]:
    """These headers (EKKO) and items (EKPO) in snapshots of whole orders, each with at most `most_items` items (an
    order with more alone); items without their header go with the last."""
    items_of: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        items_of[item["EBELN"]].append(item)
    page: Snapshot = {"EKKO": [], "EKPO": []}
    # a header read twice counts once, its last version (as the spool keeps it)
    for header in {header["EBELN"]: header for header in headers}.values():
        own = items_of.pop(header["EBELN"], [])
        if page["EKKO"] and len(page["EKPO"]) + len(own) > most_items:
            yield page
            page = {"EKKO": [], "EKPO": []}
        page["EKKO"].append(header)
        page["EKPO"] += own
    page["EKPO"] += [item for left in items_of.values() for item in left]
    yield page


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey([SYSTEM, name])


EXTRACTS = (
    Extract(
        SYSTEM,
        "change_documents",
        _read_change_documents,
        table=table(CDHDR),
        kinds=KINDS,
        overlap=True,
        description="CDHDR headers stamped (UDATE/UTIME, on the server's clock) in the partition's UTC day, and the "
        "overlap before it, for vendors (KRED), customers (DEBI) and purchasing documents (EINKBELEG): which objects "
        "were edited.",
    ),
    *(
        Extract(
            SYSTEM,
            changes.name,
            _table_read(changes),
            table=table(changes.table),
            kinds=KINDS,
            ins={"changes": _key("change_documents")},
            description=f"{changes.table.name} ({changes.table.label}): rows created that day "
            f"({changes.created_on}) and rows of {changes.object_class} objects with a change document "
            "that day.",
        )
        for changes in TABLES
    ),
    Extract(
        SYSTEM,
        "business_partner_snapshots",
        _read_business_partners,
        kinds=KINDS,
        parts={"LFA1": table(LFA1), "KNA1": table(KNA1), "LFB1": table(LFB1), "KNB1": table(KNB1)},
        ins={
            **{name: _key(name) for name in ("lfa1", "lfb1", "kna1", "knb1")},
            "purchase_orders": _key("purchase_order_snapshots"),
        },
        uses_ledger=True,
        paged_inputs=True,
        description="Every vendor and customer the day touched, whole (LFA1, LFB1, KNA1, KNB1), with the "
        "partners they are one company with: linked (LFA1-KUNNR, KNA1-LIFNR) or sharing a VAT "
        "number. With them, the vendors of the day's purchase orders that the ledger has never synced: parents "
        "on demand.",
    ),
    Extract(
        SYSTEM,
        "purchase_order_snapshots",
        _read_purchase_orders,
        kinds=KINDS,
        parts={"EKKO": table(EKKO), "EKPO": table(EKPO)},
        ins={name: _key(name) for name in ("ekko", "ekpo")},
        paged_inputs=True,
        description="Every purchase order the day touched, whole: its EKKO header and all its EKPO items "
        "(totals need every item, not only the changed ones).",
    ),
)


def extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [extract_asset(extract, partitions_def) for extract in EXTRACTS]
