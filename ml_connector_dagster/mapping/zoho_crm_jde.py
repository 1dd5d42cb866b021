"""Zoho CRM → JD Edwards (the reverse flow of the two-way pair): Zoho Accounts and Contacts created or edited in
Zoho reach JDE through the named orchestrations (docs/operators/jde.md). A Zoho record JDE holds a copy of is merged
with it by the ownership rules of the pair's one rules file (mapping/jde_zoho_crm.yaml); one it does not hold is
created there, and its new JDE key goes back onto the Zoho record (JDE_Address_Number / JDE_Contact_Key), so the
forward flow updates that record instead of making a second one.

Keys: the Zoho record id; the JDE side's id is the address number, or `<address number>.<line>` for a contact.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import Excluded, MappingResult, Rejected
from ml_connector_dagster.mapping.jde_zoho_crm import (
    ACCOUNT,
    ACCOUNT_KEY_FIELD,
    CONTACT,
    CONTACT_KEY_FIELD,
    ERP,
    Agreement,
    Rules,
    TwoWayResult,
    account_from_zoho,
    contact_from_zoho,
    jde_contact,
    jde_customer,
    zoho_account,
    zoho_contact,
    zoho_side,
)
from ml_connector_dagster.mapping.two_way import Counterparts, reconcile

PAIR = "zoho_crm__jde"
CUSTOMERS, CONTACTS = "customer", "contact"  # the JDE writer's target objects


def map_customers(records: Iterable[Mapping[str, Any]], jde: Counterparts, rules: Rules) -> TwoWayResult:
    result = TwoWayResult()
    owners = rules.ownership[ACCOUNT]
    for record in records:
        key = str(record["id"])
        side = zoho_side(record, account_from_zoho)
        if key in jde.ambiguous:
            result.rejected.append(Rejected(key, jde.ambiguous[key], {"zoho_crm": dict(record)}))
            continue
        counterpart = jde.found.get(key)
        if counterpart is None:
            if side.values["account_type"] not in rules.new_account_types:
                result.excluded.append(
                    Excluded(key, f"Account_Type {side.values['account_type']!r} stays in Zoho (new_account_types)")
                )
                continue
            ident = {"Company": rules.company}
        else:
            ident = {"AddressNumber": counterpart.key, "Company": rules.company}
        done = reconcile(
            key,
            side,
            counterpart,
            ident=ident,
            payload_of=lambda values: jde_customer(values, rules),
            owners=owners,
            tie=ERP,
            back_ident={"id": key},
            back_of=zoho_account,
        )
        result.add(done, Agreement(counterpart.key if counterpart else None, key, done.agreed))
    return result


def map_contacts(
    records: Iterable[Mapping[str, Any]],
    jde: Counterparts,
    address_numbers: Mapping[str, str],
    rules: Rules,
    *,
    accounts_left_out: Mapping[str, str] | None = None,
) -> TwoWayResult:
    """`address_numbers`: Zoho account id → JDE address number of the accounts JDE holds; a contact of an account JDE
    does not hold yet waits for it, unless the rules leave its account in Zoho (`accounts_left_out`: id → why)."""
    result = TwoWayResult()
    owners = rules.ownership[CONTACT]
    for record in records:
        key = str(record["id"])
        account_id = (record.get("Account_Name") or {}).get("id")
        if not account_id:
            result.excluded.append(
                Excluded(key, "a contact of no account stays in Zoho (JDE keeps contacts per entry)")
            )
            continue
        if key in jde.ambiguous:
            # JDE's line for it cannot be told (two match, or its entry cannot be read): adding one could make it twice
            result.rejected.append(Rejected(key, jde.ambiguous[key], {"zoho_crm": dict(record)}))
            continue
        counterpart = jde.found.get(key)
        left_out = (accounts_left_out or {}).get(account_id)
        if counterpart is None and left_out is not None and account_id not in address_numbers:
            result.excluded.append(Excluded(key, f"its account stays in Zoho: {left_out}"))
            continue
        if counterpart is not None:
            an8, line = counterpart.key.split(".")
            ident, refs = {"AddressNumber": an8, "LineNumber": line}, ()
        else:
            an8 = address_numbers.get(account_id)
            ident = {"AddressNumber": an8}
            refs = () if an8 else ((CUSTOMERS, account_id),)
        done = reconcile(
            key,
            zoho_side(record, contact_from_zoho),
            counterpart,
            ident=ident,
            payload_of=jde_contact,
            owners=owners,
            tie=ERP,
            back_ident={"id": key},
            back_of=zoho_contact,
            refs=refs,
        )
        result.add(done, Agreement(counterpart.key if counterpart else None, key, done.agreed))
    return result


def map_write_backs(
    unshown: Mapping[str, str], put_back: Iterable[TargetRecord], jde_keys: Mapping[str, str], key_field: str
) -> MappingResult:
    """What goes back onto Zoho records, by record id: the JDE key of each record JDE made a copy of that does not
    show it yet (`unshown`: Zoho id → JDE key), and the values the rules give JDE where a Zoho edit may not stand
    (`put_back`, keyed by Zoho id; `jde_keys` gives their JDE keys). One record per Zoho id, carrying its key, so the
    ledger sees the key shown whichever of the two last went back."""
    backs = {record.source_key: record for record in put_back}
    records = []
    for zoho_id in sorted({*unshown, *backs}):
        back = backs.get(zoho_id)
        key = unshown.get(zoho_id) or jde_keys[zoho_id]
        if back is None:
            records.append(TargetRecord(zoho_id, {"id": zoho_id, key_field: key}))
            continue
        shown = None if zoho_id in unshown else key
        records.append(
            TargetRecord(
                zoho_id,
                {**back.payload, key_field: key},
                current={**(back.current or {}), key_field: shown},
                notes=back.notes,
            )
        )
    return MappingResult(records=records)


KEY_FIELDS = {CUSTOMERS: ACCOUNT_KEY_FIELD, CONTACTS: CONTACT_KEY_FIELD}
