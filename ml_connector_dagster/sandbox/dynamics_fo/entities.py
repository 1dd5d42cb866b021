"""The F&O data entities the emulator serves (microsoft.md §3.3): public collection names, keys, fields with their
EDM kinds and the values F&O writes when a field is left empty (§3.1: "" for strings, "No"-style enum symbols,
1900-01-01 dates), and which fields the entity computes itself."""

from dataclasses import dataclass, field

EMPTY_DATE = "1900-01-01T12:00:00Z"  # date-only fields are stored at 12:00 UTC (§3.5)
EMPTY_DATETIME = "1900-01-01T00:00:00Z"
NAMESPACE = "Microsoft.Dynamics.DataEntities"


@dataclass(frozen=True)
class Field:
    kind: str  # String | Enum | Date | DateTime | Decimal | Int
    default: object = None
    symbols: tuple[str, ...] = ()  # enum symbols, the first is the default
    writable: bool = True

    @property
    def empty(self) -> object:
        if self.default is not None:
            return self.default
        return {
            "String": "",
            "Enum": self.symbols[0] if self.symbols else "",
            "Date": EMPTY_DATE,
            "DateTime": EMPTY_DATETIME,
            "Decimal": 0,
            "Int": 0,
        }[self.kind]

    @property
    def edm(self) -> str:
        return {
            "String": "Edm.String",
            "Enum": "Edm.Enum",
            "Date": "Edm.DateTimeOffset",
            "DateTime": "Edm.DateTimeOffset",
            "Decimal": "Edm.Decimal",
            "Int": "Edm.Int32",
        }[self.kind]


@dataclass(frozen=True)
class Navigation:
    target: str  # entity set of the related rows
    join: tuple[str, ...]  # fields equal on both sides


@dataclass(frozen=True)
class Entity:
    entity_set: str
    type_name: str  # e.g. CustomerV3, for @odata.type and messages
    aot_name: str  # e.g. CustCustomerV3Entity, as infolog messages name it
    keys: tuple[str, ...]
    fields: dict[str, Field]
    navigations: dict[str, Navigation] = field(default_factory=dict)
    table: str | None = None  # how an infolog names the table behind the entity, e.g. Customer groups (CustGroup)

    @property
    def qualified_type(self) -> str:
        return f"{NAMESPACE}.{self.type_name}"

    def blank(self) -> dict:
        """A new row as F&O stores it before any value is given: nothing is null."""
        return {name: spec.empty for name, spec in self.fields.items()}


def _strings(*names: str) -> dict[str, Field]:
    return {name: Field("String") for name in names}


NO_YES = ("No", "Yes")
_COMPANY = {"dataAreaId": Field("String")}

CUSTOMERS = Entity(
    "CustomersV3",
    "CustomerV3",
    "CustCustomerV3Entity",
    ("dataAreaId", "CustomerAccount"),
    {
        **_COMPANY,
        **_strings(
            "CustomerAccount",
            "OrganizationName",
            "NameAlias",
            "PersonFirstName",
            "PersonLastName",
            "PartyNumber",
            "CustomerGroupId",
            "SalesCurrencyCode",
            "PaymentTerms",
            "PaymentMethod",
            "SalesTaxGroup",
            "InvoiceAccount",
            "DeliveryTerms",
            "DeliveryMode",
            "LanguageId",
            "SalesMemo",
            "CreditRating",
            "AddressStreet",
            "AddressCity",
            "AddressZipCode",
            "AddressState",
            "AddressCounty",
            "AddressCountryRegionId",
            "AddressCountryRegionISOCode",
            "AddressDescription",
            "AddressLocationRoles",
            "PrimaryContactEmail",
            "PrimaryContactPhone",
            "PrimaryContactFax",
            "PrimaryContactURL",
        ),
        "PartyType": Field("Enum", symbols=("Organization", "Person")),
        "CustomerType": Field("Enum", symbols=("Organization", "Person")),
        "CreditLimit": Field("Decimal"),
        "CreditLimitIsMandatory": Field("Enum", symbols=NO_YES),
        "OnHoldStatus": Field("Enum", symbols=("No", "Invoice", "All", "Payment", "Requisition", "Never")),
        "AddressValidFrom": Field("DateTime"),
        # Guess: F&O's open-ended "valid to" is its maximum date, not the empty 1900 date.
        "AddressValidTo": Field("DateTime", default="2154-12-31T23:59:59Z"),
        "FullPrimaryAddress": Field("String", writable=False),
    },
)

RELEASED_PRODUCTS = Entity(
    "ReleasedProductsV2",
    "ReleasedProductV2",
    "EcoResReleasedProductV2Entity",
    ("dataAreaId", "ItemNumber"),
    {
        **_COMPANY,
        **_strings(
            "ItemNumber",
            "ProductNumber",
            "SearchName",
            "ProductSearchName",
            "ProductGroupId",
            "ItemModelGroupId",
            "SalesUnitSymbol",
            "InventoryUnitSymbol",
            "PurchaseUnitSymbol",
            "SalesSalesTaxItemGroupCode",
        ),
        "ProductType": Field("Enum", symbols=("Item", "Service")),
        "ProductSubType": Field("Enum", symbols=("Product", "ProductMaster", "Variant")),
        "SalesPrice": Field("Decimal"),
        "PurchasePrice": Field("Decimal"),
        "NetProductWeight": Field("Decimal"),
        "SalesPriceQuantity": Field("Decimal", default=1),  # Guess: the price unit defaults to 1, not 0
    },
)

SALES_ORDER_HEADERS = Entity(
    "SalesOrderHeadersV2",
    "SalesOrderHeaderV2",
    "SalesOrderHeaderV2Entity",
    ("dataAreaId", "SalesOrderNumber"),
    {
        **_COMPANY,
        **_strings(
            "SalesOrderNumber",
            "OrderingCustomerAccountNumber",
            "InvoiceCustomerAccountNumber",
            "CurrencyCode",
            "LanguageId",
            "CustomersOrderReference",
            "CustomerRequisitionNumber",
            "SalesOrderName",
            "DeliveryModeCode",
            "DeliveryTermsCode",
            "PaymentTermsName",
            "DefaultShippingSiteId",
            "DefaultShippingWarehouseId",
            "DeliveryAddressStreet",
            "DeliveryAddressCity",
            "DeliveryAddressZipCode",
            "DeliveryAddressStateId",
            "DeliveryAddressCountryRegionId",
        ),
        # A new order is an open order, which F&O reports as Backorder.
        "SalesOrderStatus": Field("Enum", symbols=("Backorder", "None", "Delivered", "Invoiced", "Canceled")),
        "SalesOrderProcessingStatus": Field(
            "Enum", symbols=("None", "Confirmed", "PickingListProduced", "PackingSlipPosted", "Invoiced")
        ),
        "IsDeliveryAddressOrderSpecific": Field("Enum", symbols=NO_YES),
        "RequestedShippingDate": Field("Date"),
        "RequestedReceiptDate": Field("Date"),
        "ConfirmedShippingDate": Field("Date"),
        "OrderTotalAmount": Field("Decimal", writable=False),
        "OrderTotalTaxAmount": Field("Decimal", writable=False),
        "OrderCreationDateTime": Field("DateTime", writable=False),
    },
    navigations={"SalesOrderLines": Navigation("SalesOrderLines", ("dataAreaId", "SalesOrderNumber"))},
)

SALES_ORDER_LINES = Entity(
    "SalesOrderLines",
    "SalesOrderLine",
    "SalesOrderLineEntity",
    ("dataAreaId", "InventoryLotId"),
    {
        **_COMPANY,
        **_strings(
            "SalesOrderNumber",
            "ItemNumber",
            "SalesUnitSymbol",
            "LineDescription",
            "ShippingSiteId",
            "ShippingWarehouseId",
            "ExternalItemNumber",
        ),
        # The lot id is the line's key, drawn from a number sequence; a client never chooses it (§3.3).
        "InventoryLotId": Field("String", writable=False),
        "OrderedSalesQuantity": Field("Decimal", default=1),  # Guess: the item's standard sales quantity, 1
        "SalesPrice": Field("Decimal"),
        "SalesPriceQuantity": Field("Decimal", default=1),
        "LineDiscountAmount": Field("Decimal"),
        "LineDiscountPercentage": Field("Decimal"),
        "LineAmount": Field("Decimal", writable=False),
        "CurrencyCode": Field("String", writable=False),
        "SalesOrderLineStatus": Field("Enum", symbols=("Backorder", "Delivered", "Invoiced", "Canceled")),
        "RequestedShippingDate": Field("Date"),
        "RequestedReceiptDate": Field("Date"),
        "LineCreationSequenceNumber": Field("Int", writable=False),
    },
)

# The customer groups a customer's CustomerGroupId must name (§3.7: "not found in the related table 'Customer
# groups'"; §5.3 lists the entity). Guess: its AOT name and that Description is its only other field worth serving;
# F&O's entity also carries payment terms, tax group and clearing-period defaults, none of which this sandbox uses.
CUSTOMER_GROUPS = Entity(
    "CustomerGroups",
    "CustomerGroup",
    "CustCustomerGroupEntity",
    ("dataAreaId", "CustomerGroupId"),
    {**_COMPANY, **_strings("CustomerGroupId", "Description")},
    table="Customer groups (CustGroup)",
)

ENTITIES = {
    entity.entity_set: entity
    for entity in (CUSTOMERS, RELEASED_PRODUCTS, SALES_ORDER_HEADERS, SALES_ORDER_LINES, CUSTOMER_GROUPS)
}
