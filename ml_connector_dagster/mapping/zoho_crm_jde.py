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
            ident = {"AddressNumber": counterpart.key}
        target, agreed = reconcile(
            key,
            side,
            counterpart,
            ident=ident,
            payload_of=lambda values: jde_customer(values, rules),
            owners=owners,
            tie=ERP,
        )
        result.records.append(target)
        result.agreements[key] = Agreement(counterpart.key if counterpart else None, key, agreed)
    return result


def map_contacts(
    records: Iterable[Mapping[str, Any]],
    jde: Counterparts,
    address_numbers: Mapping[str, str],
    rules: Rules,
    *,
    accounts_left_out: Mapping[str, str] = {},
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
        counterpart = jde.found.get(key)
        if counterpart is None and account_id in accounts_left_out and account_id not in address_numbers:
            result.excluded.append(Excluded(key, f"its account stays in Zoho: {accounts_left_out[account_id]}"))
            continue
        if counterpart is not None:
            an8, line = counterpart.key.split(".")
            ident, refs = {"AddressNumber": an8, "LineNumber": line}, ()
        else:
            an8 = address_numbers.get(account_id)
            ident = {"AddressNumber": an8}
            refs = () if an8 else ((CUSTOMERS, account_id),)
        target, agreed = reconcile(
            key,
            zoho_side(record, contact_from_zoho),
            counterpart,
            ident=ident,
            payload_of=jde_contact,
            owners=owners,
            tie=ERP,
            refs=refs,
        )
        result.records.append(target)
        result.agreements[key] = Agreement(counterpart.key if counterpart else None, key, agreed)
    return result


def map_key_write_backs(made: Mapping[str, str], key_field: str) -> MappingResult:
    """The JDE key onto each Zoho record JDE made a copy of and that does not show it yet (`made`: Zoho id → JDE
    key), by record id: the forward flow then finds the record by its key."""
    return MappingResult(
        records=[
            TargetRecord(zoho_id, {"id": zoho_id, key_field: jde_key}) for zoho_id, jde_key in sorted(made.items())
        ]
    )


KEY_FIELDS = {CUSTOMERS: ACCOUNT_KEY_FIELD, CONTACTS: CONTACT_KEY_FIELD}
