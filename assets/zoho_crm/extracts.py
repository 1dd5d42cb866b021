"""Zoho CRM extract assets: the Accounts and Contacts a day of Modified_Time changed (notification callbacks only
say which day to run: sensors/zoho_crm.py), with the contacts that wait for their account in JDE, read again by id
so they go with the account's address number once JDE has it."""

from collections.abc import Iterator

import dagster as dg
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.mapping import jde_zoho_crm as shared
from ml_connector_dagster.mapping import zoho_crm_jde as mapping
from ml_connector_dagster.spool import PAGE_ROWS, KeySet, batched

SYSTEM = "zoho_crm"
KINDS = frozenset({"zoho"})


def _modified(module: str, fields: tuple[str, ...], waiting_object: str | None = None):
    def read(read: Read) -> Iterator[dict]:
        """The window's records as Zoho pages them, then those waiting that it did not hold, read by id; the ids seen
        are kept on disk, not in memory (KeySet)."""
        with KeySet() as seen:
            for record in read.session.modified_between(module, fields, read.start, read.end):
                seen.add([str(record["id"])])
                yield record
            if waiting_object is None:
                return
            waiting = [
                letter.source_key
                for letter in read.ledger.open_dead_letters(mapping.PAIR, waiting_object, ErrorClass.DEPENDENCY)
            ]
            read_already = seen.among(waiting)
            waiting = [key for key in waiting if key not in read_already]
            read.metadata["waiting_for_their_account"] = len(waiting)
            for ids in batched(waiting, PAGE_ROWS):
                yield from read.session.by_ids(module, fields, ids)

    return read


EXTRACTS = (
    Extract(
        SYSTEM,
        "accounts",
        _modified(shared.ACCOUNTS, shared.ACCOUNT_FIELDS_READ),
        kinds=KINDS,
        table=Table(("id",)),
        overlap=True,
        description="Zoho Accounts a day of Modified_Time changed (created or edited, by people or the connector).",
    ),
    Extract(
        SYSTEM,
        "contacts",
        _modified(shared.CONTACTS, shared.CONTACT_FIELDS_READ, mapping.CONTACTS),
        kinds=KINDS,
        table=Table(("id",)),
        overlap=True,
        uses_ledger=True,
        description="Zoho Contacts a day of Modified_Time changed, with those waiting for their account in JDE.",
    ),
)
ACCOUNTS_KEY, CONTACTS_KEY = (extract.key for extract in EXTRACTS)


def extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [extract_asset(extract, partitions_def) for extract in EXTRACTS]
