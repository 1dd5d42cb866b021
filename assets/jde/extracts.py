"""JD Edwards extract assets: the address book a day of UPMJ/UPMT changed, read whole.

A Zoho account is built from rows of six tables (the entry, its customer master, address, phones, e-mails and
who's-who lines) that change on different days, so each table's window only says *which* address numbers changed;
`jde/address_book` then reads those entries whole by address number, with the entries whose contacts wait for
their account in Zoho (read again, so they go with the account's id once it is there), a page of entries at a time."""

from collections.abc import Iterable, Iterator

import dagster as dg
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset
from ml_connector_dagster.resources.jde.client import KEYS_PER_CALL

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.mapping import jde_zoho_crm as mapping
from ml_connector_dagster.side_by_side import side_by_side
from ml_connector_dagster.spool import PAGE_ROWS, KeySet

SYSTEM = "jde"
KINDS = frozenset({"oracle"})

COLUMNS: dict[str, tuple[str, ...]] = {
    "F0101": ("AN8", "ALKY", "ALPH", "AT1", "TAX", "SIC", "AC01", "AC02", "PA8", "UPMJ", "UPMT"),
    "F03012": ("AN8", "CO", "ACL", "TRAR", "CRCD", "AC01", "AC02", "HDAR", "UPMJ", "UPMT"),
    "F0111": ("AN8", "IDLN", "MLNM", "GNNM", "SRNM", "ATTL", "UPMJ", "UPMT"),
    "F0116": ("AN8", "EFTB", "ADD1", "ADD2", "ADD3", "ADD4", "ADDZ", "CTY1", "ADDS", "CTR", "UPMJ", "UPMT"),
    "F0115": ("AN8", "IDLN", "RCK7", "PHTP", "AR1", "PH1", "UPMJ", "UPMT"),
    "F01151": ("AN8", "IDLN", "RCK7", "ETP", "EMAL", "UPMJ", "UPMT"),
}
KEYS: dict[str, tuple[str, ...]] = {
    "F0101": ("AN8",),
    "F03012": ("AN8", "CO"),
    "F0111": ("AN8", "IDLN"),
    "F0116": ("AN8", "EFTB"),
    "F0115": ("AN8", "IDLN", "RCK7"),
    "F01151": ("AN8", "IDLN", "RCK7"),
}
# Address numbers per page of the day's entries: a multiple of the data service's keys per call (200)
ENTRIES_PER_PAGE = PAGE_ROWS
PARTS = {table: Table(KEYS[table], COLUMNS[table]) for table in COLUMNS}


def entries_of(session, address_numbers: Iterable[int], at_once: int = 1) -> dict[str, list[dict]]:
    """Every row of the six tables for these address numbers (the data service's LIST condition, paged), `at_once`
    of the reads (a table's KEYS_PER_CALL numbers each) in flight together."""
    numbers = sorted(set(address_numbers))
    reads = [
        (table, numbers[start : start + KEYS_PER_CALL])
        for table in COLUMNS
        for start in range(0, len(numbers), KEYS_PER_CALL)
    ]
    rows = side_by_side(lambda read: list(session.by_keys(read[0], COLUMNS[read[0]], "AN8", read[1])), reads, at_once)
    tables: dict[str, list[dict]] = {table: [] for table in COLUMNS}
    for (table, _), found in zip(reads, rows, strict=True):
        tables[table] += found
    return tables


def _address_book(read: Read) -> Iterator[dict[str, list[dict]]]:
    """The touched entries ENTRIES_PER_PAGE address numbers a page, each page whole entries (every row of an address
    number in one page, as the mapping needs); the address numbers are kept on disk, not in memory (KeySet)."""
    with KeySet() as touched:
        for table, columns in COLUMNS.items():
            rows = read.session.changed_between(table, columns, read.start, read.end)
            touched.add(str(int(row["AN8"])) for row in rows)
        changed = len(touched)
        waiting = {
            str(int(letter.source_key.split(".")[0]))
            for letter in read.ledger.open_dead_letters(mapping.PAIR, mapping.CONTACTS, ErrorClass.DEPENDENCY)
        }
        read.metadata.update(
            entries_changed=changed, entries_with_waiting_contacts=len(waiting - touched.among(waiting))
        )
        touched.add(waiting)
        for numbers in touched.chunks(ENTRIES_PER_PAGE):
            yield entries_of(read.session, [int(number) for number in numbers], read.session.concurrent_reads)


EXTRACTS = (
    Extract(
        SYSTEM,
        "address_book",
        _address_book,
        kinds=KINDS,
        parts=PARTS,
        overlap=True,
        uses_ledger=True,
        description="The address-book entries a day of UPMJ/UPMT changed in F0101, F03012, F0111, F0116, F0115 or "
        "F01151, each read whole from all six (by address number), with the entries whose contacts wait for "
        "their account in Zoho.",
    ),
)

ADDRESS_BOOK = EXTRACTS[0].key


def extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [extract_asset(extract, partitions_def) for extract in EXTRACTS]
