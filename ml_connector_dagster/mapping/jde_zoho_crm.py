"""JD Edwards ↔ Zoho CRM, both directions: an address-book entry (F0101, with its customer master F03012, address
F0116, phone F0115 and e-mail F01151 of who's-who line 0) is a Zoho Account; a who's-who line from 1 up (F0111
with its phone and e-mail) is a Zoho Contact of that Account.

Both sides are read into one shared form per object (`account_from_jde`, `account_from_zoho`, ...), compared and
merged in that form by the ownership rules (mapping/two_way.py), and written out of it (`zoho_account`,
`jde_customer`, ...). A value goes out and comes back through the same functions, so what the connector wrote reads
back equal to what it agreed: that equality is the echo suppression.

Keys: the JDE side is the address number (`4242`) or the address number and who's-who line (`4242.1`); the Zoho side
is the record id. Zoho holds the JDE key in the unique fields JDE_Address_Number / JDE_Contact_Key.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import Excluded, MappingResult, Rejected, clean, load_rules
from ml_connector_dagster.mapping.two_way import (
    Counterpart,
    Counterparts,
    Reconciled,
    Side,
    check_ownership,
    reconcile,
)
from ml_connector_dagster.resources.jde import julian
from ml_connector_dagster.source_rows import converted

PAIR = "jde__zoho_crm"
ERP, CRM = "jde", "zoho_crm"
ACCOUNT, CONTACT = "account", "contact"  # the shared objects (agreed_values.object)
DEFAULT_RULES_FILE = Path(__file__).with_name("jde_zoho_crm.yaml")

ACCOUNT_FIELDS = (
    "name",
    "account_type",
    "tax_id",
    "email",
    "phone",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "industry",
    "payment_terms",
    "credit_limit",
    "customer_category",
)
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "title")
FIELDS = {ACCOUNT: ACCOUNT_FIELDS, CONTACT: CONTACT_FIELDS}

# Zoho: the modules, their connector key fields (unique) and the shared fields' API names
ACCOUNTS, CONTACTS = "Accounts", "Contacts"
ACCOUNT_KEY_FIELD, CONTACT_KEY_FIELD = "JDE_Address_Number", "JDE_Contact_Key"
ZOHO_ACCOUNT = {
    "name": "Account_Name",
    "account_type": "Account_Type",
    "tax_id": "Tax_ID",
    "email": "Account_Email",
    "phone": "Phone",
    "street": "Billing_Street",
    "city": "Billing_City",
    "state": "Billing_State",
    "postal_code": "Billing_Code",
    "country": "Billing_Country",
    "industry": "Industry",
    "payment_terms": "Payment_Terms",
    "credit_limit": "Credit_Limit",
    "customer_category": "Customer_Category",
}
ZOHO_CONTACT = {
    "first_name": "First_Name",
    "last_name": "Last_Name",
    "email": "Email",
    "phone": "Phone",
    "title": "Title",
}
ACCOUNT_FIELDS_READ = (ACCOUNT_KEY_FIELD, "Modified_Time", *ZOHO_ACCOUNT.values())
CONTACT_FIELDS_READ = (CONTACT_KEY_FIELD, "Modified_Time", "Account_Name", *ZOHO_CONTACT.values())

# JDE: the orchestrations' inputs (docs/operators/jde.md) for the shared fields; the street is up to four lines
JDE_CUSTOMER = {
    "name": "AlphaName",
    "account_type": "SearchType",
    "tax_id": "TaxId",
    "email": "EmailAddress",
    "phone": "PhoneNumber",
    "city": "City",
    "state": "State",
    "postal_code": "PostalCode",
    "country": "Country",
    "industry": "Industry",
    "payment_terms": "PaymentTerms",
    "credit_limit": "CreditLimit",
    "customer_category": "CustomerCategory",
}
JDE_CONTACT = {
    "first_name": "GivenName",
    "last_name": "Surname",
    "email": "EmailAddress",
    "phone": "PhoneNumber",
    "title": "Title",
}
STREET_LINES = ("AddressLine1", "AddressLine2", "AddressLine3", "AddressLine4")


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company: str = Field(
        default="00001", pattern=r"^\d{5}$", description="JDE company (F03012.CO) whose customer master is synced"
    )
    search_types: dict[str, str] = Field(
        default={"C": "Customer", "V": "Vendor"},
        description="F0101.AT1 search type → Zoho Account_Type; entries of other search types are left out",
    )
    new_account_types: list[str | None] = Field(
        default=["Customer", "Vendor", None],
        description="Zoho Account_Type values of a new Zoho account that make a JDE address-book entry (null: "
        "no type; made with the first search type above); others (Prospect, Partner…) stay in Zoho only",
    )
    industries: dict[str, str] = Field(
        default={}, description="F0101.SIC → Zoho Industry, one to one; a value without an entry is not synced"
    )
    ownership: dict[str, dict[str, str]] = Field(
        description="shared object → field → owner: jde, zoho_crm or last_writer (mapping/two_way.py)"
    )

    @field_validator("industries")
    @classmethod
    def _one_to_one(cls, value: dict[str, str]) -> dict[str, str]:
        if len(set(value.values())) != len(value):
            raise ValueError("each Zoho Industry may stand for one SIC code only, or it could not go back to JDE")
        return value

    @model_validator(mode="after")
    def _owners(self) -> "Rules":
        check_ownership(self.ownership, (ERP, CRM), FIELDS)
        return self

    def search_type_of(self, account_type: str | None) -> str | None:
        if account_type is None:
            return next(iter(self.search_types))
        return next((code for code, name in self.search_types.items() if name == account_type), None)


def load_pair_rules(path: Path | None = None) -> Rules:
    return load_rules(Rules, path or DEFAULT_RULES_FILE)


# JDE rows, as the data service returns them (aliases without the table prefix) ------------------------------------
def _decoded_date(value: Any) -> date | None:
    """The reader (resources/jde/rows.py) made a date of every date it could read; what is left is no date."""
    if value is None or isinstance(value, date):
        return value
    raise ValueError(value)


JdeDate = Annotated[date | None, converted("a date", _decoded_date)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class AddressBook(_Row):
    AN8: int
    ALPH: str | None = None
    AT1: str | None = None
    TAX: str | None = None
    SIC: str | None = None
    UPMJ: JdeDate = None
    UPMT: int | None = None


class CustomerMaster(_Row):
    AN8: int
    CO: str
    ACL: Decimal | None = None
    TRAR: str | None = None
    AC01: str | None = None
    UPMJ: JdeDate = None
    UPMT: int | None = None


class WhosWho(_Row):
    AN8: int
    IDLN: int
    MLNM: str | None = None
    GNNM: str | None = None
    SRNM: str | None = None
    ATTL: str | None = None
    UPMJ: JdeDate = None
    UPMT: int | None = None


class PostalAddress(_Row):
    AN8: int
    EFTB: JdeDate = None
    ADD1: str | None = None
    ADD2: str | None = None
    ADD3: str | None = None
    ADD4: str | None = None
    ADDZ: str | None = None
    CTY1: str | None = None
    ADDS: str | None = None
    CTR: str | None = None


class PhoneNumber(_Row):
    AN8: int
    IDLN: int = 0
    RCK7: int = 0
    AR1: str | None = None
    PH1: str | None = None


class ElectronicAddress(_Row):
    AN8: int
    IDLN: int = 0
    RCK7: int = 0
    ETP: str | None = None
    EMAL: str | None = None


@dataclass
class AddressBookEntry:
    """One address number with its rows from every table the mapping reads."""

    book: AddressBook
    customer: list[CustomerMaster] = field(default_factory=list)
    lines: list[WhosWho] = field(default_factory=list)
    addresses: list[PostalAddress] = field(default_factory=list)
    phones: list[PhoneNumber] = field(default_factory=list)
    emails: list[ElectronicAddress] = field(default_factory=list)


TABLES = {
    "F0101": AddressBook,
    "F03012": CustomerMaster,
    "F0111": WhosWho,
    "F0116": PostalAddress,
    "F0115": PhoneNumber,
    "F01151": ElectronicAddress,
}
LISTS = {"F03012": "customer", "F0111": "lines", "F0116": "addresses", "F0115": "phones", "F01151": "emails"}


def entries(rows: Mapping[str, Iterable[_Row]]) -> dict[int, AddressBookEntry]:
    """Groups the rows of each table (as TABLES' models) by address number; rows without an F0101 row are dropped."""
    found = {book.AN8: AddressBookEntry(book) for book in rows.get("F0101", ())}
    for table, attribute in LISTS.items():
        for row in rows.get(table, ()):
            if row.AN8 in found:
                getattr(found[row.AN8], attribute).append(row)
    return found


# The shared forms -------------------------------------------------------------------------------------------------
def _money(value: Any) -> str | None:
    """A credit limit in one form on both sides; JDE holds "no limit" as 0, so 0 and none are the same."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return str(amount) if amount else None


def _phone(row: PhoneNumber | None) -> str | None:
    return clean(" ".join(part for part in (row.AR1, row.PH1) if part)) if row else None


def _email(rows: Iterable[ElectronicAddress], line: int) -> str | None:
    mine = sorted((row for row in rows if row.IDLN == line and (row.ETP or "E").strip() == "E"), key=lambda r: r.RCK7)
    return clean(mine[0].EMAL) if mine else None


def _first_phone(rows: Iterable[PhoneNumber], line: int) -> PhoneNumber | None:
    mine = sorted((row for row in rows if row.IDLN == line), key=lambda r: r.RCK7)
    return mine[0] if mine else None


def _address(entry: AddressBookEntry, as_of: date) -> PostalAddress | None:
    effective = [a for a in entry.addresses if a.EFTB is None or a.EFTB <= as_of]
    return max(effective, key=lambda a: a.EFTB or date.min) if effective else None


def jde_changed_at(rows: Iterable[AddressBook | CustomerMaster | WhosWho], zone: ZoneInfo) -> datetime | None:
    """When JDE last changed a record: the latest UPMJ/UPMT of its rows, in the JDE server's zone."""
    stamps = [datetime.combine(row.UPMJ, julian.to_time(row.UPMT), zone) for row in rows if row.UPMJ is not None]
    return max(stamps) if stamps else None


def account_from_jde(entry: AddressBookEntry, rules: Rules, *, as_of: date) -> dict[str, Any]:
    book = entry.book
    master = next((row for row in entry.customer if row.CO == rules.company), None)
    address = _address(entry, as_of)
    street = "\n".join(line for line in (clean(getattr(address, f"ADD{n}", None)) for n in range(1, 5)) if line)
    return {
        "name": clean(book.ALPH),
        "account_type": rules.search_types.get((book.AT1 or "").strip()),
        "tax_id": clean(book.TAX),
        "email": _email(entry.emails, 0),
        "phone": _phone(_first_phone(entry.phones, 0)),
        "street": street or None,
        "city": clean(address.CTY1) if address else None,
        "state": clean(address.ADDS) if address else None,
        "postal_code": clean(address.ADDZ) if address else None,
        "country": clean(address.CTR) if address else None,
        "industry": rules.industries.get(clean(book.SIC) or ""),
        "payment_terms": clean(master.TRAR) if master else None,
        "credit_limit": _money(master.ACL) if master else None,
        "customer_category": clean(master.AC01) if master else None,
    }


def contact_from_jde(entry: AddressBookEntry, line: WhosWho) -> dict[str, Any]:
    first, last = clean(line.GNNM), clean(line.SRNM)
    if last is None and line.MLNM:
        # Releases without given name/surname columns hold "First Last" in the mailing name only.
        *given, last = clean(line.MLNM).split(" ")
        first = first or (" ".join(given) or None)
    return {
        "first_name": first,
        "last_name": last,
        "email": _email(entry.emails, line.IDLN),
        "phone": _phone(_first_phone(entry.phones, line.IDLN)),
        "title": clean(line.ATTL),
    }


def account_from_zoho(record: Mapping[str, Any]) -> dict[str, Any]:
    shared = {name: _zoho_value(record.get(api)) for name, api in ZOHO_ACCOUNT.items()}
    shared["credit_limit"] = _money(record.get("Credit_Limit"))
    return shared


def contact_from_zoho(record: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _zoho_value(record.get(api)) for name, api in ZOHO_CONTACT.items()}


def _zoho_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def zoho_changed_at(record: Mapping[str, Any]) -> datetime | None:
    stamp = record.get("Modified_Time")
    return datetime.fromisoformat(stamp) if stamp else None


def zoho_account(values: Mapping[str, Any]) -> dict[str, Any]:
    payload = {ZOHO_ACCOUNT[name]: values.get(name) for name in ACCOUNT_FIELDS}
    payload["Credit_Limit"] = float(values["credit_limit"]) if values.get("credit_limit") is not None else None
    if payload["Industry"] is None:
        del payload["Industry"]  # a picklist value JDE's SIC does not map to is left as Zoho has it
    return payload


def zoho_contact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {ZOHO_CONTACT[name]: values.get(name) for name in CONTACT_FIELDS}


def jde_customer(values: Mapping[str, Any], rules: Rules) -> dict[str, str]:
    """The orchestration inputs (strings; "" clears a field) for an account's shared values."""
    inputs = {api: _text(values.get(name)) for name, api in JDE_CUSTOMER.items()}
    inputs["SearchType"] = rules.search_type_of(values.get("account_type")) or ""
    sic = {industry: code for code, industry in rules.industries.items()}.get(values.get("industry"))
    if sic is None:
        del inputs["Industry"]  # a Zoho industry without a SIC code is left as JDE has it
    else:
        inputs["Industry"] = sic
    lines = (values.get("street") or "").split("\n")
    inputs.update({name: (lines[n] if n < len(lines) else "") for n, name in enumerate(STREET_LINES)})
    return inputs


def jde_contact(values: Mapping[str, Any]) -> dict[str, str]:
    return {api: _text(values.get(name)) for name, api in JDE_CONTACT.items()}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# The forward flow: JDE → Zoho ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Agreement:
    """What both sides hold once a record's write succeeded; a key that is None is the one the write makes."""

    erp_key: str | None
    crm_key: str | None
    values: dict[str, Any]


@dataclass
class TwoWayResult(MappingResult):
    """The target's records, what each leaves agreed, and the source's own records that must take a value the rules
    give the other side (`put_back`)."""

    agreements: dict[str, Agreement] = field(default_factory=dict)
    put_back: list[TargetRecord] = field(default_factory=list)

    def add(self, done: Reconciled, agreement: Agreement) -> None:
        self.records.append(done.record)
        self.agreements[done.record.source_key] = agreement
        if done.back is not None:
            self.put_back.append(done.back)


def account_key(an8: int | str) -> str:
    return str(an8)


def contact_key(an8: int | str, line: int | str) -> str:
    return f"{an8}.{line}"


def zoho_side(record: Mapping[str, Any], shared_of) -> Side:
    return Side(CRM, shared_of(record), zoho_changed_at(record))


def zoho_counterpart(record: Mapping[str, Any], key_field: str, shared_of, agreed: Mapping | None) -> Counterpart:
    return Counterpart(
        record["id"], zoho_side(record, shared_of), {"id": record["id"], key_field: record.get(key_field)}, agreed
    )


def map_accounts(
    entries_: Mapping[int, AddressBookEntry],
    zoho: Counterparts,
    rules: Rules,
    *,
    as_of: date,
    zone: ZoneInfo,
) -> TwoWayResult:
    """JDE address-book entries → Zoho Accounts: created (upsert by JDE_Address_Number) when Zoho has no counterpart,
    else merged with it by the ownership rules and updated by id where Zoho holds something else."""
    result = TwoWayResult()
    owners = rules.ownership[ACCOUNT]
    for an8, entry in sorted(entries_.items()):
        key = account_key(an8)
        search_type = (entry.book.AT1 or "").strip()
        if search_type not in rules.search_types:
            result.excluded.append(Excluded(key, f"search type {search_type or 'blank'!r} is not synced"))
            continue
        values = account_from_jde(entry, rules, as_of=as_of)
        if not values["name"]:
            result.rejected.append(
                Rejected(key, "F0101.ALPH (alpha name) is blank", entry.book.model_dump(mode="json"))
            )
            continue
        erp = Side(ERP, values, jde_changed_at([entry.book, *entry.customer], zone))
        back = ({"AddressNumber": key, "Company": rules.company}, lambda v: jde_customer(v, rules))
        _forward(result, key, erp, zoho, owners, zoho_account, ACCOUNT_KEY_FIELD, back)
    return result


def map_contacts(
    entries_: Mapping[int, AddressBookEntry],
    zoho: Counterparts,
    account_ids: Mapping[str, str],
    rules: Rules,
    *,
    zone: ZoneInfo,
) -> TwoWayResult:
    """Who's-who lines from 1 up of synced entries → Zoho Contacts of their Account (`account_ids`: JDE key → Zoho id
    of the accounts Zoho holds); a line whose account Zoho does not hold yet waits for it."""
    result = TwoWayResult()
    owners = rules.ownership[CONTACT]
    for an8, entry in sorted(entries_.items()):
        if (entry.book.AT1 or "").strip() not in rules.search_types:
            continue
        for line in sorted(entry.lines, key=lambda row: row.IDLN):
            if line.IDLN == 0:
                continue  # line 0 is the entry itself: the account
            key = contact_key(an8, line.IDLN)
            values = contact_from_jde(entry, line)
            if not values["last_name"]:
                result.rejected.append(
                    Rejected(key, "F0111 surname and mailing name are blank", line.model_dump(mode="json"))
                )
                continue
            account_id = account_ids.get(account_key(an8))
            _forward(
                result,
                key,
                Side(ERP, values, jde_changed_at([line], zone)),
                zoho,
                owners,
                lambda v, account_id=account_id: {**zoho_contact(v), "Account_Name": {"id": account_id}},
                CONTACT_KEY_FIELD,
                ({"AddressNumber": str(an8), "LineNumber": str(line.IDLN)}, jde_contact),
                refs=() if account_id else ((ACCOUNTS, account_key(an8)),),
            )
    return result


def _forward(
    result: TwoWayResult, key, erp: Side, zoho: Counterparts, owners, payload_of, key_field, back, refs=()
) -> None:
    """`back`: (how JDE identifies the record, its inputs for shared values), for a value JDE must take from Zoho."""
    if key in zoho.ambiguous:
        result.rejected.append(Rejected(key, zoho.ambiguous[key], {"jde": dict(erp.values)}))
        return
    counterpart = zoho.found.get(key)
    ident = {key_field: key} if counterpart is None else {"id": counterpart.key, key_field: key}
    done = reconcile(
        key,
        erp,
        counterpart,
        ident=ident,
        payload_of=payload_of,
        owners=owners,
        tie=ERP,
        back_ident=back[0],
        back_of=back[1],
        refs=refs,
    )
    result.add(done, Agreement(key, counterpart.key if counterpart else None, done.agreed))
