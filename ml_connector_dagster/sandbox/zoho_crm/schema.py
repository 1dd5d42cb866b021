"""The org layout the sandbox serves (the contract's Zoho CRM layout, crm_targets.md §2.5): Accounts and Contacts
with their standard and custom fields, each field's type, length, picklist values, whether it is mandatory or
unique, and the system fields Zoho stamps. The same declarations answer `GET /settings/fields`."""

from dataclasses import dataclass, field

# Guess: the currency field's precision and maximum, as Zoho's default currency field has them.
CURRENCY_MAX = 10**16


@dataclass(frozen=True)
class Field:
    data_type: str  # text | textarea | email | phone | website | picklist | currency | lookup | ownerlookup | datetime
    length: int | None = None
    mandatory: bool = False
    unique: bool = False
    read_only: bool = False
    custom: bool = False
    label: str = ""
    values: tuple[str, ...] = ()
    lookup_module: str | None = None


@dataclass(frozen=True)
class Module:
    api_name: str
    singular: str
    id_prefix: str  # Zoho ids of one module share their leading digits in an org; sandbox ids keep them apart
    fields: dict[str, Field] = field(default_factory=dict)
    # The system-defined duplicate-check field (§2.4): upsert looks it up first unless the request says otherwise.
    system_duplicate_field: str = ""
    name_field: str = ""

    def unique_fields(self) -> list[str]:
        return [name for name, spec in self.fields.items() if spec.unique]

    def field_named(self, name: str) -> str | None:
        """API names are matched without regard to case, as Zoho does; answers the declared spelling."""
        return next((f for f in self.fields if f.lower() == name.lower()), None)


def _text(length: int, **kw) -> Field:
    return Field("text", length, **kw)


_SYSTEM = {
    "id": Field("bigint", 19, read_only=True, label="Record Id"),
    "Created_Time": Field("datetime", read_only=True, label="Created Time"),
    "Modified_Time": Field("datetime", read_only=True, label="Modified Time"),
    "Created_By": Field("ownerlookup", read_only=True, label="Created By"),
    "Modified_By": Field("ownerlookup", read_only=True, label="Modified By"),
    # Guess: Owner is read-only here because the sandbox org has no other users to assign records to.
    "Owner": Field("ownerlookup", read_only=True, label="Account Owner"),
}

ACCOUNT_TYPES = ("-None-", "Customer", "Vendor", "Prospect", "Partner", "Other")

ACCOUNTS = Module(
    "Accounts",
    "Account",
    "1",
    {
        **_SYSTEM,
        "Account_Name": _text(200, mandatory=True, label="Account Name"),
        "Account_Number": _text(40, label="Account Number"),
        "Account_Type": Field("picklist", 120, values=ACCOUNT_TYPES, label="Account Type"),
        # The contract says "picklist, text 120": the admin's Industry list is open-ended, so any text up to 120 goes.
        "Industry": _text(120, label="Industry"),
        "Phone": Field("phone", 30, label="Phone"),
        "Website": Field("website", 255, label="Website"),
        "Billing_Street": _text(250, label="Billing Street"),
        "Billing_City": _text(30, label="Billing City"),
        "Billing_State": _text(30, label="Billing State"),
        "Billing_Code": _text(30, label="Billing Code"),
        "Billing_Country": _text(30, label="Billing Country"),
        "Description": Field("textarea", 32000, label="Description"),
        "JDE_Address_Number": _text(20, unique=True, custom=True, label="JDE Address Number"),
        "Tax_ID": _text(20, custom=True, label="Tax ID"),
        "Account_Email": Field("email", 100, custom=True, label="Account Email"),
        "Payment_Terms": _text(10, custom=True, label="Payment Terms"),
        "Credit_Limit": Field("currency", 16, custom=True, label="Credit Limit"),
        "Customer_Category": _text(10, custom=True, label="Customer Category"),
    },
    system_duplicate_field="Account_Name",
    name_field="Account_Name",
)

CONTACTS = Module(
    "Contacts",
    "Contact",
    "2",
    {
        **_SYSTEM,
        "Owner": Field("ownerlookup", read_only=True, label="Contact Owner"),
        "First_Name": _text(40, label="First Name"),
        "Last_Name": _text(80, mandatory=True, label="Last Name"),
        "Full_Name": _text(120, read_only=True, label="Full Name"),
        "Email": Field("email", 100, label="Email"),
        "Phone": Field("phone", 30, label="Phone"),
        "Title": _text(100, label="Title"),
        "Account_Name": Field("lookup", lookup_module="Accounts", label="Account Name"),
        "JDE_Contact_Key": _text(30, unique=True, custom=True, label="JDE Contact Key"),
    },
    system_duplicate_field="Email",
    name_field="Full_Name",
)

MODULES = {module.api_name: module for module in (ACCOUNTS, CONTACTS)}


def module_named(name: str) -> Module | None:
    return next((m for m in MODULES.values() if m.api_name.lower() == name.lower()), None)
