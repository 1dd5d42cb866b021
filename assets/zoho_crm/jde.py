"""JD Edwards → Zoho CRM: the day's address-book entries as Zoho Accounts, their who's-who lines as Contacts.

Before mapping, each payload asset reads what Zoho holds of its records: the linked ones by id (one call per 100), and
for entries never linked, the Zoho records sharing their duplicate keys (e-mail, tax id) or their JDE key, so an
account the sales team entered before the first sync is updated rather than duplicated, and an ambiguous match goes
to dead letters. A day is read and mapped a page of entries at a time, its duplicate matches settled against the
whole day (ml_connector_dagster/duplicate_matches.py), and the go-live's against the whole load. The merge by field
ownership and the echo suppression are the pure mapping's (mapping/jde_zoho_crm.py); each load then records what
both sides agree on (ml_connector_dagster/two_way.py).
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.jde.extracts import ADDRESS_BOOK, COLUMNS, entries_of
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped

from ml_connector_dagster.duplicate_matches import matched_pages
from ml_connector_dagster.initial_load import MapInput, MasterObject, Matched, SourceRead
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.mapping import jde_zoho_crm as mapping
from ml_connector_dagster.mapping import zoho_crm_jde as reverse
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.mapping.jde_zoho_crm import AddressBookEntry, Rules
from ml_connector_dagster.mapping.two_way import Counterparts, unique_matches
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import Page, Spool, pages_of, spooled
from ml_connector_dagster.spool_io import PAGES
from ml_connector_dagster.two_way import Link

GROUP = "zoho_crm"
PAIR = mapping.PAIR
ACCOUNT_LINK = Link(PAIR, mapping.ACCOUNT, PAIR, mapping.ACCOUNTS, reverse.PAIR, reverse.CUSTOMERS)
CONTACT_LINK = Link(PAIR, mapping.CONTACT, PAIR, mapping.CONTACTS, reverse.PAIR, reverse.CONTACTS)
ACCOUNT_PAYLOADS = dg.AssetKey([GROUP, "jde_account_payloads"])
CONTACT_PAYLOADS = dg.AssetKey([GROUP, "jde_contact_payloads"])
ACCOUNTS_LOAD = dg.AssetKey([GROUP, "jde_accounts"])
CONTACTS_LOAD = dg.AssetKey([GROUP, "jde_contacts"])
PUT_BACK_PAYLOADS = dg.AssetKey(["jde", "zoho_crm_values_payloads"])
Owner = Callable[[str, Mapping], str | None]  # the record of the object mapped that a row of a table belongs to


def address_book(
    frames: Mapping[str, pd.DataFrame], rows: SourceRows | None = None, owner: Owner = lambda table, row: None
) -> dict[int, AddressBookEntry]:
    """The entries of the frames' rows; a row that is not what its model says is set aside in `rows` under
    `owner(table, row)` (None: no record of the object being mapped rests on it, and it is left out)."""
    rows = rows if rows is not None else SourceRows()
    return mapping.entries(
        {table: rows.models(frames[table], model, partial(owner, table)) for table, model in mapping.TABLES.items()}
    )


def account_of(table: str, row: Mapping) -> str:
    return mapping.account_key(row["AN8"])


def contact_of(table: str, row: Mapping) -> str | None:
    """A who's-who line, or a phone or e-mail of one (line 0 is the entry's own, the account's)."""
    if table in ("F0111", "F0115", "F01151") and str(row.get("IDLN") or 0) != "0":
        return mapping.contact_key(row["AN8"], row["IDLN"])
    return None


def zoho_counterparts(
    client,
    ledger: Ledger,
    link: Link,
    duplicate_keys: Mapping[str, Mapping[str, str | None]],
    *,
    module: str,
    fields: tuple[str, ...],
    key_field: str,
    shared_of,
) -> Counterparts:
    """What Zoho holds of these JDE records (`duplicate_keys`: JDE key → {Zoho field: value} it may already be
    entered under): linked records by id, the others matched by their JDE key or duplicate keys."""
    linked = link.crm_ids(ledger, duplicate_keys)
    agreed = {a.erp_key: a.values for a in link.agreed(ledger, erp_keys=duplicate_keys)}
    by_id = {str(r["id"]): r for r in client.by_ids(module, fields, sorted(set(linked.values())))} if linked else {}
    found = {
        key: mapping.zoho_counterpart(by_id[zoho_id], key_field, shared_of, agreed.get(key))
        for key, zoho_id in linked.items()
        if zoho_id in by_id
    }
    # a linked record Zoho no longer has (deleted there) is matched again, and made again if nothing matches
    unlinked = {key: keys for key, keys in duplicate_keys.items() if key not in found}
    searches = {key_field: list(unlinked)}
    for name in {name for keys in unlinked.values() for name in keys}:
        searches[name] = sorted({value for keys in unlinked.values() if (value := keys.get(name))})
    matches = unique_matches(unlinked, client.matching(module, fields, searches), key_field=key_field)
    found.update(
        {key: mapping.zoho_counterpart(record, key_field, shared_of, None) for key, record in matches.unique.items()}
    )
    return Counterparts(found, matches.ambiguous, matches.alone, tuple(unlinked))


def account_counterparts(
    entries: Mapping[int, AddressBookEntry], client, ledger: Ledger, rules: Rules, zone: ZoneInfo
) -> Counterparts:
    as_of = datetime.now(zone).date()
    wanted = {
        mapping.account_key(an8): {"Account_Email": values["email"], "Tax_ID": values["tax_id"]}
        for an8, entry in entries.items()
        if (entry.book.AT1 or "").strip() in rules.search_types
        for values in [mapping.account_from_jde(entry, rules, as_of=as_of)]
    }
    return zoho_counterparts(
        client,
        ledger,
        ACCOUNT_LINK,
        wanted,
        module=mapping.ACCOUNTS,
        fields=mapping.ACCOUNT_FIELDS_READ,
        key_field=mapping.ACCOUNT_KEY_FIELD,
        shared_of=mapping.account_from_zoho,
    )


def map_account_page(
    entries: Mapping[int, AddressBookEntry], zoho: Counterparts, ledger: Ledger, rules: Rules, zone: ZoneInfo
) -> mapping.TwoWayResult:
    return mapping.map_accounts(entries, zoho, rules, as_of=datetime.now(zone).date(), zone=zone)


def contact_counterparts(
    entries: Mapping[int, AddressBookEntry], client, ledger: Ledger, rules: Rules, zone: ZoneInfo
) -> Counterparts:
    wanted = {
        mapping.contact_key(an8, line.IDLN): {"Email": mapping.contact_from_jde(entry, line)["email"]}
        for an8, entry in entries.items()
        if (entry.book.AT1 or "").strip() in rules.search_types
        for line in entry.lines
        if line.IDLN != 0
    }
    return zoho_counterparts(
        client,
        ledger,
        CONTACT_LINK,
        wanted,
        module=mapping.CONTACTS,
        fields=mapping.CONTACT_FIELDS_READ,
        key_field=mapping.CONTACT_KEY_FIELD,
        shared_of=mapping.contact_from_zoho,
    )


def map_contact_page(
    entries: Mapping[int, AddressBookEntry], zoho: Counterparts, ledger: Ledger, rules: Rules, zone: ZoneInfo
) -> mapping.TwoWayResult:
    account_ids = ACCOUNT_LINK.crm_ids(ledger, [mapping.account_key(an8) for an8 in entries])
    return mapping.map_contacts(entries, zoho, account_ids, rules, zone=zone)


@dataclass(frozen=True)
class Payloads:
    """One object's payloads from pages of address-book entries: what Zoho holds of a page's entries (its calls),
    then the mapping of the page with them; `owner` names the record a row that is not what its model says rests
    on (it is rejected)."""

    counterparts: Callable[..., Counterparts]
    map: Callable[..., mapping.TwoWayResult]
    owner: Owner

    def read(self, frames: Mapping[str, pd.DataFrame], client, ledger: Ledger, rules: Rules, zone: ZoneInfo):
        """A page's first pass: (its entries and their bad rows, what Zoho holds of them)."""
        rows = SourceRows()
        entries = address_book(frames, rows, self.owner)
        return (entries, rows), self.counterparts(entries, client, ledger, rules, zone)

    def mapped(self, read, zoho: Counterparts, ledger: Ledger, rules: Rules, zone: ZoneInfo) -> mapping.TwoWayResult:
        entries, rows = read
        return rows.reject_in(self.map(entries, zoho, ledger, rules, zone))


ACCOUNTS = Payloads(account_counterparts, map_account_page, account_of)
CONTACTS = Payloads(contact_counterparts, map_contact_page, contact_of)


def _settle(link: Link):
    return lambda ledger, result, run_id: link.settle(ledger, result, forward=True, run_id=run_id)


ACCOUNTS_TARGET = LoadTarget(PAIR, mapping.ACCOUNTS, GROUP, settle=_settle(ACCOUNT_LINK))
CONTACTS_TARGET = LoadTarget(PAIR, mapping.CONTACTS, GROUP, settle=_settle(CONTACT_LINK))
# Zoho's values into JDE's records under the forward pair (by address number, update only).
PUT_BACK_TARGETS = {name: LoadTarget(PAIR, name, "jde") for name in (reverse.CUSTOMERS, reverse.CONTACTS)}


def target_assets(partitions_def: dg.PartitionsDefinition, rules: Rules) -> TargetAssets:
    def payloads(key: dg.AssetKey, build: Payloads, description: str, deps=()):
        @dg.asset(
            key=key,
            group_name=GROUP,
            partitions_def=partitions_def,
            ins={"book": dg.AssetIn(key=ADDRESS_BOOK, dagster_type=PAGES)},
            deps=list(deps),
            kinds={"python"},
            code_version="1",
            description=description,
            required_resource_keys={"zoho_crm", "jde", "ledger"},
        )
        def _payloads(context: dg.AssetExecutionContext, book) -> dg.Output[Spool]:
            client, ledger = context.resources.zoho_crm.session(), context.resources.ledger.ledger()
            calls = client.counter.total
            zone = ZoneInfo(context.resources.jde.server_time_zone)
            linked = 0

            def map_page(page) -> mapping.TwoWayResult:
                nonlocal linked
                read, zoho = page
                result = build.mapped(read, matches.settled(zoho), ledger, rules, zone)
                linked += sum(1 for record in result.records if record.current is not None)
                return result

            def first(frames):
                return build.read(frames, client, ledger, rules, zone)

            with matched_pages(book, first) as (pages, matches):
                output = mapped(pages, map_page)
            return dg.Output(
                output.value,
                metadata={**output.metadata, "in_zoho_already": linked, "api_calls": client.counter.total - calls},
            )

        return _payloads

    accounts = payloads(
        ACCOUNT_PAYLOADS,
        ACCOUNTS,
        "Zoho Accounts from the day's JDE customers and suppliers, merged field by field with what Zoho holds "
        "(ownership rules in jde_zoho_crm.yaml); a match by e-mail or tax id links an account entered in Zoho "
        "before, an ambiguous one is refused.",
    )
    load = {"partitions_def": partitions_def, "kinds": {"zoho"}}
    accounts_load = load_asset(
        ACCOUNTS_TARGET,
        **load,
        plural="accounts",
        payloads_key=ACCOUNT_PAYLOADS,
        description="JDE customers and suppliers upserted into Zoho Accounts (by JDE_Address_Number, or by id "
        "where linked), written only where Zoho holds something else.",
    )
    contacts = payloads(
        CONTACT_PAYLOADS,
        CONTACTS,
        "Zoho Contacts from the who's-who lines (1 up) of the day's entries, under their Account, merged with "
        "what Zoho holds; a match by e-mail links a contact entered in Zoho before.",
        deps=[ACCOUNTS_LOAD],
    )
    contacts_load = load_asset(
        CONTACTS_TARGET,
        **load,
        plural="contacts",
        payloads_key=CONTACT_PAYLOADS,
        description="Who's-who lines upserted into Zoho Contacts (by JDE_Contact_Key, or by id where linked).",
    )
    put_back = put_back_assets(partitions_def)
    return TargetAssets(
        [accounts, accounts_load, contacts, contacts_load, *put_back],
        [ACCOUNTS_TARGET, CONTACTS_TARGET, *PUT_BACK_TARGETS.values()],
    )


def put_back_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """JDE's own records, where the rules give a Zoho value precedence over a JDE edit (a field Zoho owns, or a later
    Zoho edit): the forward run puts it into JDE at once rather than leaving it to the next time Zoho changes."""

    @dg.asset(
        key=PUT_BACK_PAYLOADS,
        group_name="jde",
        partitions_def=partitions_def,
        ins={
            "accounts": dg.AssetIn(key=ACCOUNT_PAYLOADS, dagster_type=PAGES),
            "contacts": dg.AssetIn(key=CONTACT_PAYLOADS, dagster_type=PAGES),
        },
        deps=[ACCOUNTS_LOAD, CONTACTS_LOAD],
        kinds={"python"},
        code_version="1",
        description="Zoho's values JDE must take (MLC_UpdateCustomer / MLC_UpdateContact inputs): a field Zoho owns "
        "that was edited in JDE, or a field both edited where Zoho's edit was later.",
    )
    def zoho_crm_values_payloads(accounts, contacts) -> dg.Output[Spool]:
        counts = dict.fromkeys((reverse.CUSTOMERS, reverse.CONTACTS), 0)

        def parts():
            # a page of each payload spool in turn, its put-backs under their object
            for name, results in ((reverse.CUSTOMERS, accounts), (reverse.CONTACTS, contacts)):
                for result in pages_of(results):
                    counts[name] += len(result.put_back)
                    page = {part: MappingResult() for part in counts}
                    page[name] = MappingResult(records=list(result.put_back))
                    yield page

        spool = spooled(parts())
        return dg.Output(spool, metadata={f"{name}_payloads": count for name, count in counts.items()})

    return [
        zoho_crm_values_payloads,
        *(
            load_asset(
                target,
                partitions_def=partitions_def,
                kinds={"oracle"},
                plural=f"zoho_crm_values_on_{name}s",
                name=f"zoho_crm_values_on_{name}s",
                payloads_key=PUT_BACK_PAYLOADS,
                part=name,
                description=f"Zoho's values put into JDE {name}s where the ownership rules say they stand.",
            )
            for name, target in PUT_BACK_TARGETS.items()
        ),
    ]


def address_book_pages(read: SourceRead) -> Iterator[Page]:
    """Every address-book entry, `read.page_size` address numbers a page, each read whole from the six tables."""
    after = int(read.after) if read.after else 0
    while True:
        rows = read.session.after_key("F0101", ("AN8",), "AN8", after, read.page_size)
        if not rows:
            return
        numbers = [int(row["AN8"]) for row in rows]
        tables = entries_of(read.session, numbers, read.session.concurrent_reads)
        frames = {table: pd.DataFrame(tables[table], columns=list(COLUMNS[table]), dtype=object) for table in COLUMNS}
        after = max(numbers)
        yield Page(frames, str(after), len(numbers))


def initial_load_objects(rules: Rules) -> list[MasterObject]:
    def matched(build: Payloads) -> Matched:
        """Matched over the whole load, as a day is: two entries pages apart matching one Zoho record are both
        refused."""

        def read(frames, given: MapInput):
            zone = ZoneInfo(given.source.server_time_zone)
            return build.read(frames, given.target.session(), given.ledger, rules, zone)

        def map_page(read, zoho: Counterparts, given: MapInput) -> mapping.TwoWayResult:
            return build.mapped(read, zoho, given.ledger, rules, ZoneInfo(given.source.server_time_zone))

        return Matched(read, map_page)

    return [
        MasterObject(
            "accounts",
            ACCOUNTS_TARGET,
            address_book_pages,
            matched(ACCOUNTS),
            "Every JDE customer and supplier (F0101 by address number, with its other tables) into Zoho Accounts.",
        ),
        MasterObject(
            "contacts",
            CONTACTS_TARGET,
            address_book_pages,
            matched(CONTACTS),
            "The who's-who lines of every JDE customer and supplier into Zoho Contacts.",
        ),
    ]
