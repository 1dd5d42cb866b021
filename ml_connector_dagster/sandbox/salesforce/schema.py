"""The sObjects the emulator serves, with the standard fields of crm_targets.md §1.8 (lengths, what the platform
requires, what is read-only) and the org's custom External ID fields, which are configurable per org."""

from dataclasses import dataclass, field

NUMERIC = ("double", "currency", "percent", "int")
TEXT = ("string", "id", "reference")


@dataclass(frozen=True)
class Field:
    type: str  # string | id | reference | date | datetime | boolean | double | currency | percent | int
    length: int | None = None
    required: bool = False
    writable: bool = True
    external_id: bool = False
    unique: bool = False
    reference_to: str | None = None


@dataclass(frozen=True)
class SObject:
    name: str
    prefix: str  # the record id's key prefix
    fields: dict[str, Field] = field(default_factory=dict)

    def external_ids(self) -> list[str]:
        return [name for name, spec in self.fields.items() if spec.external_id]

    def relationship(self, name: str) -> str | None:
        """The lookup field behind a relationship name (`Account` → `AccountId`, `Parent` → `ParentId`)."""
        return next(
            (f for f, spec in self.fields.items() if spec.reference_to and f.lower() == f"{name.lower()}id"), None
        )

    def field_named(self, name: str) -> str | None:
        """Field names are case-insensitive in SOQL and JSON bodies; the answer uses the declared spelling."""
        return next((f for f in self.fields if f.lower() == name.lower()), None)


def _text(length: int, **kw) -> Field:
    return Field("string", length, **kw)


def _ref(to: str, **kw) -> Field:
    return Field("reference", 18, reference_to=to, **kw)


def _read_only(kind: str, length: int | None = None) -> Field:
    return Field(kind, length, writable=False)


_SYSTEM = {
    "Id": _read_only("id", 18),
    "CreatedDate": _read_only("datetime"),
    "LastModifiedDate": _read_only("datetime"),
    "SystemModstamp": _read_only("datetime"),
    "IsDeleted": _read_only("boolean"),
}
# Guess: OwnerId is read-only here because the sandbox serves no User object to validate an owner against.
_OWNED = {**_SYSTEM, "OwnerId": _read_only("reference", 18)}


def _address(kind: str) -> dict[str, Field]:
    return {
        f"{kind}{part}": _text(length)
        for part, length in (("Street", 255), ("City", 40), ("State", 80), ("PostalCode", 20), ("Country", 80))
    }


_STANDARD: tuple[SObject, ...] = (
    SObject(
        "Account",
        "001",
        {
            **_OWNED,
            "Name": _text(255, required=True),
            "AccountNumber": _text(40),
            "Type": _text(255),
            "Industry": _text(255),
            "ParentId": _ref("Account"),
            "Phone": _text(40),
            "Website": _text(255),
            **_address("Billing"),
            **_address("Shipping"),
            "AnnualRevenue": Field("currency"),
            "NumberOfEmployees": Field("int"),
            "Description": _text(32000),
        },
    ),
    SObject(
        "Contact",
        "003",
        {
            **_OWNED,
            "LastName": _text(80, required=True),
            "FirstName": _text(40),
            "Salutation": _text(40),
            "Name": _read_only("string", 121),
            "AccountId": _ref("Account"),
            "Title": _text(128),
            "Department": _text(80),
            "Email": _text(80),
            "Phone": _text(40),
            "MobilePhone": _text(40),
            **_address("Mailing"),
            "Description": _text(32000),
        },
    ),
    SObject(
        "Product2",
        "01t",
        {
            **_SYSTEM,
            "Name": _text(255, required=True),
            "ProductCode": _text(255),
            "Description": _text(4000),
            "IsActive": Field("boolean"),
            "Family": _text(255),
            "StockKeepingUnit": _text(180),
            "QuantityUnitOfMeasure": _text(255),
        },
    ),
    SObject(
        "Pricebook2",
        "01s",
        {
            **_SYSTEM,
            "Name": _text(255, required=True),
            "IsActive": Field("boolean"),
            "IsStandard": _read_only("boolean"),
            "Description": _text(255),
        },
    ),
    SObject(
        "PricebookEntry",
        "01u",
        {
            **_SYSTEM,
            "Pricebook2Id": _ref("Pricebook2", required=True),
            "Product2Id": _ref("Product2", required=True),
            "UnitPrice": Field("currency", required=True),
            "IsActive": Field("boolean"),
            "UseStandardPrice": Field("boolean"),
            "Name": _read_only("string", 255),
            "ProductCode": _read_only("string", 255),
        },
    ),
    SObject(
        "Opportunity",
        "006",
        {
            **_OWNED,
            "Name": _text(120, required=True),
            "AccountId": _ref("Account"),
            "StageName": _text(255, required=True),
            "CloseDate": Field("date", required=True),
            "Amount": Field("currency"),
            "Probability": Field("percent"),
            "ForecastCategoryName": _text(40),
            "IsClosed": _read_only("boolean"),
            "IsWon": _read_only("boolean"),
            "Type": _text(255),
            "LeadSource": _text(255),
            "Pricebook2Id": _ref("Pricebook2"),
            "NextStep": _text(255),
            "Description": _text(32000),
            "HasOpportunityLineItem": _read_only("boolean"),
        },
    ),
    SObject(
        "OpportunityLineItem",
        "00k",
        {
            **_SYSTEM,
            "OpportunityId": _ref("Opportunity", required=True),
            "PricebookEntryId": _ref("PricebookEntry"),
            "Product2Id": _ref("Product2"),
            "Quantity": Field("double", required=True),
            "UnitPrice": Field("currency"),
            "TotalPrice": Field("currency"),
            "ListPrice": _read_only("currency"),
            "Discount": Field("percent"),
            "ServiceDate": Field("date"),
            "Description": _text(255),
            "Name": _read_only("string", 376),
            "ProductCode": _read_only("string", 255),
        },
    ),
    SObject(
        "Order",
        "801",
        {
            **_OWNED,
            "AccountId": _ref("Account", required=True),
            "EffectiveDate": Field("date", required=True),
            "Status": _text(40, required=True),
            "StatusCode": _read_only("string", 40),
            "OrderNumber": _read_only("string", 30),
            "Pricebook2Id": _ref("Pricebook2"),
            "OpportunityId": _ref("Opportunity"),
            "TotalAmount": _read_only("currency"),
            "EndDate": Field("date"),
            "PoNumber": _text(80),
            "Type": _text(255),
            "ActivatedDate": _read_only("datetime"),
            "ActivatedById": _read_only("reference", 18),
            "Description": _text(32000),
        },
    ),
    SObject(
        "OrderItem",
        "802",
        {
            **_SYSTEM,
            "OrderId": _ref("Order", required=True),
            "PricebookEntryId": _ref("PricebookEntry", required=True),
            "Product2Id": _ref("Product2"),
            "Quantity": Field("double", required=True),
            "UnitPrice": Field("currency", required=True),
            "ListPrice": Field("currency"),
            "TotalPrice": _read_only("currency"),
            "OrderItemNumber": _read_only("string", 10),
            "ServiceDate": Field("date"),
            "EndDate": Field("date"),
            "Description": _text(255),
        },
    ),
)

DEFAULT_EXTERNAL_IDS = {
    "Account": ["ERP_Account_Number__c"],
    "Product2": ["ERP_Item_Number__c"],
    "Opportunity": ["ERP_Sales_Order_Number__c"],
    "Order": ["ERP_Sales_Order_Number__c"],
}


def build_objects(external_ids: dict[str, list[str]], unique: bool) -> dict[str, SObject]:
    """The standard objects plus the org's External ID fields: Text(100), External ID, and Unique when `unique`
    (an External ID that is not Unique lets several records share a value, which makes upserts answer 300)."""
    custom = {
        name: {f: _text(100, external_id=True, unique=unique) for f in fields} for name, fields in external_ids.items()
    }
    return {o.name: SObject(o.name, o.prefix, {**o.fields, **custom.get(o.name, {})}) for o in _STANDARD}
