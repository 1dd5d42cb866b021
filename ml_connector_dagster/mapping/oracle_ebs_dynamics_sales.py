"""Oracle EBS → Dynamics 365 Sales: parties, customer accounts, sites and vendors → accounts; contacts → contacts.

An account is one EBS party (ORGANIZATION, or PERSON where the rules allow) that is a customer (has a customer
account) or a supplier (has a PO_VENDORS row), keyed `oracle_ebs.party.<PARTY_ID>`. A party that is both becomes
one account. Its billing address is the primary BILL_TO site, else the identifying address, else the supplier's
primary pay site. Customer hierarchies (PARENT_PARTY_ID) and supplier hierarchies (parent vendor's party) become
the parent account. Contacts are the CONTACT_OF relationships of those organizations, keyed by relationship.

An account is active while its party is (STATUS A) and has an active role: a customer account with STATUS A or a
supplier neither disabled nor past its END_DATE_ACTIVE. Its type follows its active roles, so a customer and
supplier whose supplier ends is retyped a customer. Without an active role, or with the party inactive, it is
deactivated and keeps the type of what it was. "Past" is judged as of `as_of`, the EBS server's time when the source
was read (assets/dynamics_sales/oracle_ebs.py), so every run states the source as it is; so is a contact's CONTACT_OF
END_DATE. An account or contact inactive at the source is only ever an update: one the connector never wrote is not
created.
"""

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ml_connector_dagster.ledger import Truncated
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping import oracle_ebs
from ml_connector_dagster.mapping.common import (
    Excluded,
    MappingResult,
    Rejected,
    clean,
    describe,
    external_id,
    load_rules,
)
from ml_connector_dagster.mapping.dynamics_sales import (
    ADDRESS_BILL_TO,
    ADDRESS_PRIMARY,
    CUSTOMER_TYPE_CODES,
    AccountPayload,
    ContactPayload,
    bind,
    fit,
    state_fields,
    units,
    valid_customer_type,
)
from ml_connector_dagster.mapping.oracle_ebs import Row, Vendor, VendorSite, group_by, passed, phone, primary_pay_site

PAIR = "oracle_ebs__dynamics_sales"
DEFAULT_RULES_FILE = Path(__file__).with_name("oracle_ebs_dynamics_sales.yaml")


# --- rules (the per-deployment mapping file) ----------------------------------------------------------------------
class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_type_by_party_type: dict[str, int] = Field(
        default={"ORGANIZATION": 3},
        description="HZ_PARTIES.PARTY_TYPE → customertypecode for customers; party "
        "types not listed never become accounts",
    )
    vendor_type_code: int = Field(default=11, description="customertypecode of supplier-only accounts")
    customer_and_vendor_type_code: int = Field(default=3, description="customertypecode of parties that are both")
    vendor_flag_column: str | None = Field(
        default=None, description="optional Boolean custom column set true on every account that is an EBS supplier"
    )
    truncate_long_names: bool = Field(
        default=False, description="cut names to the target length instead of sending the record to dead letters"
    )

    @field_validator("vendor_type_code", "customer_and_vendor_type_code")
    @classmethod
    def _known_code(cls, code: int) -> int:
        return valid_customer_type(code)

    @field_validator("account_type_by_party_type")
    @classmethod
    def _known_types(cls, mapping: dict[str, int]) -> dict[str, int]:
        for party_type, code in mapping.items():
            if party_type not in ("ORGANIZATION", "PERSON", "GROUP"):
                raise ValueError(f"{party_type!r} is not an HZ_PARTIES.PARTY_TYPE that can be a customer")
            if code not in CUSTOMER_TYPE_CODES:
                raise ValueError(f"{code} (for {party_type}) is not a customertypecode")
        return mapping


def load_pair_rules(path: Path | None = None) -> Rules:
    return load_rules(Rules, path or DEFAULT_RULES_FILE)


# --- source rows (as the service returns them: strings or null) ---------------------------------------------------
class _TcaAddress(Row):
    """The address columns HZ_PARTIES (denormalised identifying address) shares with HZ_LOCATIONS."""

    ADDRESS1: str | None = None
    ADDRESS2: str | None = None
    ADDRESS3: str | None = None
    ADDRESS4: str | None = None
    CITY: str | None = None
    POSTAL_CODE: str | None = None
    STATE: str | None = None
    PROVINCE: str | None = None
    COUNTRY: str | None = None


class Party(_TcaAddress):
    PARTY_ID: str
    PARTY_NUMBER: str | None = None
    PARTY_NAME: str | None = None
    PARTY_TYPE: str
    STATUS: str = "A"
    EMAIL_ADDRESS: str | None = None
    PRIMARY_PHONE_COUNTRY_CODE: str | None = None
    PRIMARY_PHONE_AREA_CODE: str | None = None
    PRIMARY_PHONE_NUMBER: str | None = None
    URL: str | None = None
    PARENT_PARTY_ID: str | None = None


class CustAccount(Row):
    CUST_ACCOUNT_ID: str
    PARTY_ID: str
    ACCOUNT_NUMBER: str | None = None
    STATUS: str = "A"


class PartySite(_TcaAddress):
    PARTY_SITE_ID: str
    PARTY_ID: str
    STATUS: str = "A"
    IDENTIFYING_ADDRESS_FLAG: str | None = None
    PRIMARY_BILL_TO_FLAG: str | None = None
    COUNTY: str | None = None


class Contact(Row):
    RELATIONSHIP_ID: str
    ORG_PARTY_ID: str
    PERSON_FIRST_NAME: str | None = None
    PERSON_LAST_NAME: str | None = None
    JOB_TITLE: str | None = None
    EMAIL_ADDRESS: str | None = None
    PHONE_NUMBER: str | None = None
    MOBILE_NUMBER: str | None = None
    STATUS: str = "A"
    END_DATE: oracle_ebs.EbsDate | None = None


NAME_LIMIT = AccountPayload.limit("name")


def account_key(party_id: str) -> str:
    return external_id("oracle_ebs", "party", party_id)


def contact_key(relationship_id: str) -> str:
    return external_id("oracle_ebs", "contact", relationship_id)


def account_bind(party_id: str, key_column: str) -> str:
    return bind("accounts", key_column, account_key(party_id))


# --- mapping ------------------------------------------------------------------------------------------------------
def map_accounts(
    parties: list[Party],
    cust_accounts: list[CustAccount],
    sites: list[PartySite],
    vendors: list[Vendor],
    vendor_sites: list[VendorSite],
    rules: Rules,
    *,
    key_column: str,
    as_of: datetime,
) -> MappingResult:
    """One account payload per party that is a customer of a mapped party type or a supplier, active or not.
    Inputs hold the parties' full rows; `as_of` is the end of the window mapped, in the EBS server's time."""
    accounts_of = group_by(cust_accounts, "PARTY_ID")
    sites_of = group_by(sites, "PARTY_ID")
    vendors_of = group_by([v for v in vendors if v.PARTY_ID], "PARTY_ID")
    vendor_sites_of = group_by(vendor_sites, "VENDOR_ID")
    result = MappingResult()
    for party in parties:
        key = account_key(party.PARTY_ID)
        accounts = accounts_of.get(party.PARTY_ID, []) if party.PARTY_TYPE in rules.account_type_by_party_type else []
        all_vendors = vendors_of.get(party.PARTY_ID, [])
        if not accounts and not all_vendors:
            result.excluded.append(Excluded(key, "neither a customer of a mapped party type nor a supplier"))
            continue
        customer = [a for a in accounts if a.STATUS == "A"]
        supplier = [v for v in all_vendors if v.active_at(as_of)]
        inactive = _inactive_because(party, customer or supplier)
        if not (customer or supplier):
            # nothing active: the account keeps the type of what it was
            customer, supplier = accounts, all_vendors
        pay_sites = [
            s for v in supplier for s in vendor_sites_of.get(v.VENDOR_ID, []) if not passed(s.INACTIVE_DATE, as_of)
        ]
        parent_id = party.PARENT_PARTY_ID or next(
            (v.PARENT_VENDOR_PARTY_ID for v in supplier if v.PARENT_VENDOR_PARTY_ID), None
        )
        name, cuts = clean(party.PARTY_NAME), ()
        if name and rules.truncate_long_names and units(name) > NAME_LIMIT:
            kept = fit(name, NAME_LIMIT)
            name, cuts = kept, (Truncated("name", name, units(name), units(kept)),)
        fields = {
            "name": name,
            "accountnumber": clean(customer[0].ACCOUNT_NUMBER) if customer else None,
            "customertypecode": _type_code(party, bool(customer), bool(supplier), rules),
            "telephone1": phone(
                party.PRIMARY_PHONE_COUNTRY_CODE, party.PRIMARY_PHONE_AREA_CODE, party.PRIMARY_PHONE_NUMBER
            )
            or _first_vendorphone(pay_sites),
            "emailaddress1": clean(party.EMAIL_ADDRESS)
            or next((clean(s.EMAIL_ADDRESS) for s in pay_sites if clean(s.EMAIL_ADDRESS)), None),
            "websiteurl": clean(party.URL),
            **_billing_address(party, sites_of.get(party.PARTY_ID, []), pay_sites),
            "parent": account_bind(parent_id, key_column) if parent_id and parent_id != party.PARTY_ID else None,
            **state_fields(active=inactive is None),
        }
        try:
            payload = AccountPayload.dump(fields)
        except ValidationError as exc:
            result.rejected.append(Rejected(key, describe(exc), party.model_dump()))
            continue
        if rules.vendor_flag_column:
            payload[rules.vendor_flag_column] = bool(supplier)
        refs = (("account", account_key(parent_id)),) if fields["parent"] else ()
        result.records.append(TargetRecord(key, payload, refs, cuts, update_only=_never_created(inactive)))
    return result


def map_contacts(contacts: list[Contact], rules: Rules, *, key_column: str, as_of: datetime) -> MappingResult:
    """A contact is active while its CONTACT_OF relationship is (the service's STATUS, and its END_DATE not passed
    as of `as_of`, as for suppliers): its own state, not its organization's, since a person stays a contact of an
    account that was retired."""
    result = MappingResult()
    for contact in contacts:
        key = contact_key(contact.RELATIONSHIP_ID)
        inactive = (
            f"relationship status {contact.STATUS}"
            if contact.STATUS != "A"
            else f"relationship ended {contact.END_DATE}"
            if passed(contact.END_DATE, as_of)
            else None
        )
        fields = {
            "firstname": clean(contact.PERSON_FIRST_NAME),
            "lastname": clean(contact.PERSON_LAST_NAME),
            "jobtitle": clean(contact.JOB_TITLE),
            "emailaddress1": clean(contact.EMAIL_ADDRESS),
            "telephone1": clean(contact.PHONE_NUMBER),
            "mobilephone": clean(contact.MOBILE_NUMBER),
            "parent": account_bind(contact.ORG_PARTY_ID, key_column),
            **state_fields(active=inactive is None),
        }
        try:
            payload = ContactPayload.dump(fields)
        except ValidationError as exc:
            result.rejected.append(Rejected(key, describe(exc), contact.model_dump()))
            continue
        refs = (("account", account_key(contact.ORG_PARTY_ID)),)
        result.records.append(TargetRecord(key, payload, refs, update_only=_never_created(inactive)))
    return result


def _inactive_because(party: Party, active_roles: list) -> str | None:
    if party.STATUS != "A":
        return f"party status {party.STATUS}"
    if not active_roles:
        return "no active customer account and no active supplier"
    return None


def _never_created(inactive: str | None) -> str | None:
    return inactive and f"inactive in EBS ({inactive}) and never synced: not created inactive"


def _type_code(party: Party, customer: bool, supplier: bool, rules: Rules) -> int:
    if customer and supplier:
        return rules.customer_and_vendor_type_code
    if supplier:
        return rules.vendor_type_code
    return rules.account_type_by_party_type[party.PARTY_TYPE]


def _billing_address(party: Party, sites: list[PartySite], pay_sites: list[VendorSite]) -> dict:
    active = [s for s in sites if s.STATUS == "A"]
    bill_to = next((s for s in active if s.PRIMARY_BILL_TO_FLAG == "Y"), None)
    site = bill_to or next((s for s in active if s.IDENTIFYING_ADDRESS_FLAG == "Y"), None)
    if site is not None:
        return _address(
            ADDRESS_BILL_TO if bill_to else ADDRESS_PRIMARY,
            site.ADDRESS1,
            site.ADDRESS2,
            site.ADDRESS3,
            site.ADDRESS4,
            site.CITY,
            site.STATE or site.PROVINCE,
            site.POSTAL_CODE,
            site.COUNTY,
            site.COUNTRY,
        )
    pay_site = primary_pay_site(pay_sites)
    if pay_site is not None:
        return _address(
            ADDRESS_BILL_TO,
            pay_site.ADDRESS_LINE1,
            pay_site.ADDRESS_LINE2,
            pay_site.ADDRESS_LINE3,
            pay_site.ADDRESS_LINE4,
            pay_site.CITY,
            pay_site.STATE or pay_site.PROVINCE,
            pay_site.ZIP,
            None,
            pay_site.COUNTRY,
        )
    if clean(party.ADDRESS1) or clean(party.CITY):
        return _address(
            ADDRESS_PRIMARY,
            party.ADDRESS1,
            party.ADDRESS2,
            party.ADDRESS3,
            party.ADDRESS4,
            party.CITY,
            party.STATE or party.PROVINCE,
            party.POSTAL_CODE,
            None,
            party.COUNTRY,
        )
    return _address(None, *[None] * 9)


def _address(type_code, line1, line2, line3, line4, city, state, postal_code, county, country) -> dict:
    # Dataverse has three street lines; EBS has four, so the fourth joins the third.
    third = ", ".join(part for part in (clean(line3), clean(line4)) if part) or None
    return {
        "address1_addresstypecode": type_code,
        "address1_line1": clean(line1),
        "address1_line2": clean(line2),
        "address1_line3": third,
        "address1_city": clean(city),
        "address1_stateorprovince": clean(state),
        "address1_postalcode": clean(postal_code),
        "address1_county": clean(county),
        "address1_country": clean(country),
    }


def _first_vendorphone(pay_sites: list[VendorSite]) -> str | None:
    return next((phone(None, s.AREA_CODE, s.PHONE) for s in pay_sites if clean(s.PHONE)), None)
