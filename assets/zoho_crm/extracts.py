"""Zoho CRM extract assets: the Accounts and Contacts a day of Modified_Time changed (notification callbacks only
say which day to run: sensors/zoho_crm.py), with the contacts that wait for their account in JDE, read again by id
so they go with the account's address number once JDE has it."""

import dagster as dg
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.mapping import jde_zoho_crm as shared
from ml_connector_dagster.mapping import zoho_crm_jde as mapping

SYSTEM = "zoho_crm"
KINDS = frozenset({"zoho"})


def _modified(module: str, fields: tuple[str, ...], waiting_object: str | None = None):
    def read(read: Read) -> list[dict]:
        rows = list(read.session.modified_between(module, fields, read.start, read.end))
        if waiting_object is not None:
            seen = {row["id"] for row in rows}
            waiting = [
                letter.source_key
                for letter in read.ledger.open_dead_letters(mapping.PAIR, waiting_object, ErrorClass.DEPENDENCY)
                if letter.source_key not in seen
            ]
            rows += read.session.by_ids(module, fields, waiting) if waiting else []
            read.metadata["waiting_for_their_account"] = len(waiting)
        return rows

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
