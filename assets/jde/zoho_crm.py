"""Zoho CRM → JD Edwards: the day's Zoho Accounts and Contacts through the JDE orchestrations, and the new JDE keys
back onto the Zoho records JDE made copies of.

Before mapping, each payload asset reads what JDE holds of the linked records (their address-book entries, by
address number), so the merge by field ownership sees both sides; a Zoho record JDE holds no copy of is created
there. Zoho's copy of what the forward flow wrote merges equal and costs no call (echo suppression). A day is read and
mapped a page of Zoho records at a time, its duplicate matches settled against the whole day
(ml_connector_dagster/duplicate_matches.py); the write-backs follow a page at a time."""

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.jde.extracts import COLUMNS, entries_of
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped
from ml_connector_dagster.assets.zoho_crm.extracts import ACCOUNTS_KEY, CONTACTS_KEY
from ml_connector_dagster.assets.zoho_crm.jde import ACCOUNT_LINK, CONTACT_LINK, account_of, address_book

from ml_connector_dagster.duplicate_matches import matched_pages
from ml_connector_dagster.ledger import Action, Ledger
from ml_connector_dagster.mapping import jde_zoho_crm as shared
from ml_connector_dagster.mapping import zoho_crm_jde as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.mapping.jde_zoho_crm import ERP, Rules
from ml_connector_dagster.mapping.two_way import Counterpart, Counterparts, Side, unique_matches
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import PAGE_ROWS, Spool, batched, pages_of, spooled
from ml_connector_dagster.spool_io import PAGES
from ml_connector_dagster.two_way import Link

GROUP = "jde"
PAIR = mapping.PAIR
CUSTOMER_PAYLOADS = dg.AssetKey([GROUP, "zoho_crm_customer_payloads"])
CONTACT_PAYLOADS = dg.AssetKey([GROUP, "zoho_crm_contact_payloads"])
WRITE_BACK_PAYLOADS = dg.AssetKey(["zoho_crm", "jde_write_back_payloads"])
CUSTOMERS_LOAD = dg.AssetKey([GROUP, "zoho_crm_customers"])
CONTACTS_LOAD = dg.AssetKey([GROUP, "zoho_crm_contacts"])


def _records(frame: pd.DataFrame) -> list[dict]:
    if frame.empty:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def jde_counterparts(
    session, ledger: Ledger, link: Link, records: list[dict], key_field: str, rules: Rules, zone: ZoneInfo
) -> Counterparts:
    """What JDE holds of these Zoho records: those linked in the ledger or carrying their JDE key, read whole; for the
    others, the JDE entries (accounts) or who's-who lines (contacts) sharing their tax id or e-mail, so a record
    entered on both sides before the first sync is linked rather than made twice, and an ambiguous match is refused."""
    contacts = key_field == shared.CONTACT_KEY_FIELD
    ids = [str(record["id"]) for record in records]
    linked = {str(r["id"]): str(r[key_field]) for r in records if r.get(key_field)}
    linked.update(link.erp_keys(ledger, ids))
    shared_of = shared.contact_from_zoho if contacts else shared.account_from_zoho
    wanted = {
        str(r["id"]): {name: values[name] for name in (("email",) if contacts else ("email", "tax_id"))}
        for r in records
        if str(r["id"]) not in linked
        for values in [shared_of(r)]
    }
    found_by = _numbers_sharing(session, wanted, contacts)
    rows = SourceRows()
    entries = _entries(session, {int(key.split(".")[0]) for key in linked.values()} | found_by, rows)
    as_of = datetime.now(zone).date()
    copies = {key: copy for key, copy in (_copy(entries, key, rules, as_of, zone) for key in _keys(entries, contacts))}
    copies = {key: copy for key, copy in copies.items() if copy is not None}
    crm_of = link.crm_ids(ledger, copies)
    candidates = [{"id": key, **side.values, "crm_id": crm_of.get(key)} for key, (side, _) in copies.items()]
    matches = unique_matches(wanted, candidates, key_field="crm_id")
    ambiguous = dict(matches.ambiguous)
    unreadable = {
        str(an8): f"JDE {an8}: {'; '.join(rows.bad[shared.account_key(an8)])}"
        for an8 in sorted(found_by)
        if shared.account_key(an8) in rows.bad
    }
    linked.update({zoho_id: str(candidate["id"]) for zoho_id, candidate in matches.unique.items()})
    agreed = {a.crm_key: a.values for a in link.agreed(ledger, crm_ids=ids)}
    found = {}
    for zoho_id, jde_key in linked.items():
        reasons = rows.bad.get(shared.account_key(jde_key.split(".")[0]))
        if reasons:
            ambiguous[zoho_id] = f"JDE {jde_key} holds a value that cannot be read: {'; '.join(reasons)}"
            continue
        copy = copies.get(jde_key)
        if copy is None:
            ambiguous[zoho_id] = f"JDE {jde_key}, which this record was synced with, is no longer in the address book"
            continue
        side, ident = copy
        found[zoho_id] = Counterpart(jde_key, side, ident, agreed.get(zoho_id))
    # an entry that may be one of the unlinked records and cannot be read refuses them all (two_way.settled)
    return Counterparts(found, ambiguous, matches.alone, tuple(wanted), unreadable)


def _numbers_sharing(session, wanted: Mapping[str, Mapping[str, str | None]], contacts: bool) -> set[int]:
    """Address numbers whose entry (line 0) or contact lines (1 up) hold one of the wanted e-mails or tax ids."""
    emails = sorted({keys["email"] for keys in wanted.values() if keys.get("email")})
    taxes = sorted({keys["tax_id"] for keys in wanted.values() if keys.get("tax_id")})
    numbers = {
        int(row["AN8"])
        for row in (session.by_keys("F01151", COLUMNS["F01151"], "EMAL", emails) if emails else ())
        if (int(row["IDLN"]) != 0) == contacts
    }
    numbers |= {int(row["AN8"]) for row in (session.by_keys("F0101", COLUMNS["F0101"], "TAX", taxes) if taxes else ())}
    return numbers


def _entries(session, numbers: set[int], rows: SourceRows):
    """The entries of these address numbers; a row that is not what its model says is set aside in `rows` under its
    entry's key, and the Zoho record linked to that entry is refused with the reason, never merged without it."""
    tables = entries_of(session, numbers, session.concurrent_reads)
    return address_book(
        {table: pd.DataFrame(tables[table], columns=list(COLUMNS[table]), dtype=object) for table in COLUMNS},
        rows,
        account_of,
    )


def _keys(entries, contacts: bool) -> list[str]:
    if contacts:
        return [shared.contact_key(an8, line.IDLN) for an8, e in entries.items() for line in e.lines if line.IDLN]
    return [shared.account_key(an8) for an8 in entries]


def _copy(entries, jde_key: str, rules: Rules, as_of, zone: ZoneInfo):
    """(JDE key, (its side, its identifying inputs)), or (JDE key, None) when JDE holds no such record."""
    an8, _, line_number = jde_key.partition(".")
    entry = entries.get(int(an8))
    if entry is None:
        return jde_key, None
    if not line_number:
        if (entry.book.AT1 or "").strip() not in rules.search_types:
            return jde_key, None
        values = shared.account_from_jde(entry, rules, as_of=as_of)
        side = Side(ERP, values, shared.jde_changed_at([entry.book, *entry.customer], zone))
        return jde_key, (side, {"AddressNumber": an8, "Company": rules.company})
    line = next((row for row in entry.lines if str(row.IDLN) == line_number), None)
    if line is None:
        return jde_key, None
    side = Side(ERP, shared.contact_from_jde(entry, line), shared.jde_changed_at([line], zone))
    return jde_key, (side, {"AddressNumber": an8, "LineNumber": line_number})


def customer_counterparts(records: list[dict], session, ledger: Ledger, rules: Rules, zone: ZoneInfo) -> Counterparts:
    return jde_counterparts(session, ledger, ACCOUNT_LINK, records, shared.ACCOUNT_KEY_FIELD, rules, zone)


def map_customer_page(records: list[dict], jde: Counterparts, ledger: Ledger, rules: Rules) -> shared.TwoWayResult:
    return mapping.map_customers(records, jde, rules)


def contact_counterparts(records: list[dict], session, ledger: Ledger, rules: Rules, zone: ZoneInfo) -> Counterparts:
    return jde_counterparts(session, ledger, CONTACT_LINK, records, shared.CONTACT_KEY_FIELD, rules, zone)


def map_contact_page(records: list[dict], jde: Counterparts, ledger: Ledger, rules: Rules) -> shared.TwoWayResult:
    accounts = {str((r.get("Account_Name") or {}).get("id")) for r in records if r.get("Account_Name")}
    left_out = {
        key: changes.get("reason", "")
        for key, (action, changes) in ledger.last_actions(PAIR, mapping.CUSTOMERS, accounts).items()
        if action == Action.SKIPPED
    }
    return mapping.map_contacts(
        records, jde, ACCOUNT_LINK.erp_keys(ledger, accounts), rules, accounts_left_out=left_out
    )


def _not_shown(ledger: Ledger, zoho_object: str, made: dict[str, str]) -> dict[str, str]:
    """Of `made` (Zoho id → JDE key), those whose Zoho record the forward flow did not write the key onto itself."""
    written = ledger.synced(shared.PAIR, zoho_object, made.values())
    sent = ledger.payloads(shared.PAIR, zoho_object, made.values())
    key_field = shared.ACCOUNT_KEY_FIELD if zoho_object == shared.ACCOUNTS else shared.CONTACT_KEY_FIELD
    return {
        zoho_id: key
        for zoho_id, key in made.items()
        if not (key in written and written[key].target_id == zoho_id and sent[key].get(key_field) == key)
    }


def _settle(link: Link):
    return lambda ledger, result, run_id: link.settle(ledger, result, forward=False, run_id=run_id)


CUSTOMERS_TARGET = LoadTarget(PAIR, mapping.CUSTOMERS, GROUP, settle=_settle(ACCOUNT_LINK))
CONTACTS_TARGET = LoadTarget(PAIR, mapping.CONTACTS, GROUP, settle=_settle(CONTACT_LINK))
# The JDE keys and JDE-owned values go back onto the Zoho records under the reverse pair (by record id, update only).
WRITE_BACK_TARGETS = {
    mapping.CUSTOMERS: LoadTarget(PAIR, shared.ACCOUNTS, "zoho_crm"),
    mapping.CONTACTS: LoadTarget(PAIR, shared.CONTACTS, "zoho_crm"),
}


def target_assets(partitions_def: dg.PartitionsDefinition, rules: Rules) -> TargetAssets:
    common = {"partitions_def": partitions_def, "code_version": "1", "kinds": {"python"}}

    def payloads(key: dg.AssetKey, extract: dg.AssetKey, counterparts, map_page, description: str, deps=()):
        @dg.asset(
            key=key,
            group_name=GROUP,
            ins={"changed": dg.AssetIn(key=extract, dagster_type=PAGES)},
            deps=list(deps),
            description=description,
            required_resource_keys={"jde", "ledger"},
            **common,
        )
        def _payloads(context: dg.AssetExecutionContext, changed) -> dg.Output[Spool]:
            session, ledger = context.resources.jde.session(), context.resources.ledger.ledger()
            calls = session.counter.total
            zone = ZoneInfo(context.resources.jde.server_time_zone)

            def read(frame: pd.DataFrame):
                records = _records(frame)
                return records, counterparts(records, session, ledger, rules, zone)

            with matched_pages(changed, read) as (pages, matches):
                output = mapped(
                    pages,
                    lambda page: map_page(page[0], matches.settled(page[1], other="JDE entry"), ledger, rules),
                )
            return dg.Output(output.value, metadata={**output.metadata, "api_calls": session.counter.total - calls})

        return _payloads

    zoho_crm_customer_payloads = payloads(
        CUSTOMER_PAYLOADS,
        ACCOUNTS_KEY,
        customer_counterparts,
        map_customer_page,
        "JDE address-book entries (MLC_AddCustomer / MLC_UpdateCustomer inputs) from the day's Zoho Accounts, merged "
        "field by field with what JDE holds (ownership rules in jde_zoho_crm.yaml).",
    )
    zoho_crm_contact_payloads = payloads(
        CONTACT_PAYLOADS,
        CONTACTS_KEY,
        contact_counterparts,
        map_contact_page,
        "JDE who's-who lines (MLC_AddContact / MLC_UpdateContact inputs) from the day's Zoho Contacts of accounts "
        "JDE holds, merged with what JDE holds.",
        deps=[CUSTOMERS_LOAD],
    )

    @dg.asset(
        key=WRITE_BACK_PAYLOADS,
        group_name="zoho_crm",
        ins={
            "customers": dg.AssetIn(key=CUSTOMER_PAYLOADS, dagster_type=PAGES),
            "contacts": dg.AssetIn(key=CONTACT_PAYLOADS, dagster_type=PAGES),
        },
        deps=[CUSTOMERS_LOAD, CONTACTS_LOAD],
        description="What goes back onto Zoho records, by object: the JDE key of every record JDE made a copy of "
        "and Zoho does not show yet (JDE_Address_Number, JDE_Contact_Key), and JDE's value of a field JDE owns "
        "that a Zoho user changed.",
        required_resource_keys={"ledger"},
        **common,
    )
    def jde_write_back_payloads(context: dg.AssetExecutionContext, customers, contacts) -> dg.Output[Spool]:
        ledger = context.resources.ledger.ledger()
        counts = {target.target_object: 0 for target in WRITE_BACK_TARGETS.values()}

        def parts():
            for (made, target), results in zip(WRITE_BACK_TARGETS.items(), (customers, contacts), strict=True):
                name = target.target_object
                unshown = _not_shown(ledger, name, ledger.target_ids_without(PAIR, made, [name]))
                # a page of the payloads' put-backs at a time, then the keys still unshown that none of them carries
                for result in pages_of(results):
                    backs = {record.source_key for record in result.put_back}
                    jde_keys = {key: a.erp_key for key, a in result.agreements.items() if a.erp_key}
                    mine = {key: unshown.pop(key) for key in sorted(backs & set(unshown))}
                    yield name, mapping.map_write_backs(mine, result.put_back, jde_keys, mapping.KEY_FIELDS[made])
                for keys in batched(sorted(unshown), PAGE_ROWS):  # the ledger's, not the day's: any number
                    rest = {key: unshown[key] for key in keys}
                    yield name, mapping.map_write_backs(rest, [], {}, mapping.KEY_FIELDS[made])

        def pages():
            for name, part in parts():
                counts[name] += len(part.records)
                yield {other: part if other == name else MappingResult() for other in counts}

        spool = spooled(pages())
        return dg.Output(spool, metadata={f"{name}_payloads": count for name, count in counts.items()})

    load = {"partitions_def": partitions_def}
    customers = load_asset(
        CUSTOMERS_TARGET,
        **load,
        kinds={"oracle"},
        plural="customers",
        payloads_key=CUSTOMER_PAYLOADS,
        description="Zoho Accounts made or updated in JDE through the orchestrations (one call per record that "
        "JDE holds differently); what JDE refuses goes to dead letters with its message.",
    )
    contacts = load_asset(
        CONTACTS_TARGET,
        **load,
        kinds={"oracle"},
        plural="contacts",
        payloads_key=CONTACT_PAYLOADS,
        description="Zoho Contacts made or updated as who's-who lines of their JDE entry.",
    )
    write_backs = [
        load_asset(
            target,
            **load,
            kinds={"zoho"},
            plural=f"write_backs_on_{target.target_object.lower()}",
            name=f"jde_write_backs_on_{target.target_object.lower()}",
            payloads_key=WRITE_BACK_PAYLOADS,
            part=target.target_object,
            description=f"The JDE key, and the values JDE owns, back onto Zoho {target.target_object}.",
        )
        for target in WRITE_BACK_TARGETS.values()
    ]
    return TargetAssets(
        [zoho_crm_customer_payloads, customers, zoho_crm_contact_payloads, contacts, jde_write_back_payloads]
        + write_backs,
        [CUSTOMERS_TARGET, CONTACTS_TARGET, *WRITE_BACK_TARGETS.values()],
    )
