"""Dynamics 365 F&O → Salesforce (the forward flow of the two-way pair): CustomersV3 → Account, ReleasedProductsV2 →
Product2, keyed on the F&O customer account and item number in Salesforce External ID fields.

Account numbers and item numbers are unique per legal entity only (usmf and usrt may both have US-001), so the key
is `<dataAreaId>/<number>`. F&O fills empty fields with "" and enums with symbols ("No"); both become "not set".
"""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import Excluded, MappingResult, Rejected, clean, describe, load_rules

PAIR = "dynamics_fo__salesforce"
DEFAULT_RULES_FILE = Path(__file__).with_name("dynamics_fo_salesforce.yaml")


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_hold_field: str | None = Field(
        default=None,
        max_length=40,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*__c$",
        description="custom Account text field that shows the customer's OnHoldStatus (No, Invoice, Payment, "
        "Requisition, All, Never); null: not shown",
    )
    account_type: str | None = Field(
        default="Customer", max_length=255, description="Account.Type of ERP customers; null leaves it"
    )


def load_pair_rules(path: Path | None = None) -> Rules:
    return load_rules(Rules, path or DEFAULT_RULES_FILE)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Customer(_Row):
    dataAreaId: str
    CustomerAccount: str
    PartyType: str = "Organization"
    OrganizationName: str = ""
    PersonFirstName: str = ""
    PersonLastName: str = ""
    SalesCurrencyCode: str = ""
    AddressStreet: str = ""
    AddressCity: str = ""
    AddressZipCode: str = ""
    AddressState: str = ""
    AddressCountryRegionISOCode: str = ""
    PrimaryContactPhone: str = ""
    PrimaryContactURL: str = ""
    OnHoldStatus: str = "No"


class ReleasedProduct(_Row):
    dataAreaId: str
    ItemNumber: str
    ProductNumber: str = ""
    SearchName: str = ""
    ProductSearchName: str = ""
    ProductType: str = "Item"
    SalesUnitSymbol: str = ""


class AccountPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Name: str = Field(min_length=1, max_length=255)
    AccountNumber: str | None = Field(default=None, max_length=40)
    Type: str | None = Field(default=None, max_length=255)
    Phone: str | None = Field(default=None, max_length=40)
    Website: str | None = Field(default=None, max_length=255)
    BillingStreet: str | None = Field(default=None, max_length=255)
    BillingCity: str | None = Field(default=None, max_length=40)
    BillingState: str | None = Field(default=None, max_length=80)
    BillingPostalCode: str | None = Field(default=None, max_length=20)
    BillingCountry: str | None = Field(default=None, max_length=80)


class ProductPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Name: str = Field(min_length=1, max_length=255)
    ProductCode: str | None = Field(default=None, max_length=255)
    QuantityUnitOfMeasure: str | None = Field(default=None, max_length=255)
    IsActive: bool = True


def entity_key(data_area_id: str, number: str) -> str:
    """A legal entity's record's key, `<legal entity>/<number>`, the External ID Salesforce holds it under."""
    return f"{data_area_id.lower()}/{number}"


def customer_key(row: Customer) -> str:
    return entity_key(row.dataAreaId, row.CustomerAccount)


def product_key(row: ReleasedProduct) -> str:
    return entity_key(row.dataAreaId, row.ItemNumber)


def map_accounts(customers: list[Customer], rules: Rules, awaiting_link: frozenset[str] = frozenset()) -> MappingResult:
    """`awaiting_link`: keys of customers made from Salesforce accounts that do not carry the key yet. Upserting
    them by External ID now would create a second Account; once the reverse flow has written the key onto the
    original one, they sync like any customer."""
    result = MappingResult()
    for customer in customers:
        key = customer_key(customer)
        if key in awaiting_link:
            result.excluded.append(
                Excluded(
                    key,
                    "made from a Salesforce account that does not show its ERP key yet; "
                    "synced once the Salesforce → F&O flow has written it there",
                )
            )
            continue
        person = " ".join(p for p in (clean(customer.PersonFirstName), clean(customer.PersonLastName)) if p)
        name = clean(customer.OrganizationName) if customer.PartyType != "Person" else person or None
        fields = {
            "Name": name or clean(customer.OrganizationName),
            "AccountNumber": customer.CustomerAccount,
            "Type": rules.account_type,
            "Phone": clean(customer.PrimaryContactPhone),
            "Website": clean(customer.PrimaryContactURL),
            "BillingStreet": clean(customer.AddressStreet),
            "BillingCity": clean(customer.AddressCity),
            "BillingState": clean(customer.AddressState),
            "BillingPostalCode": clean(customer.AddressZipCode),
            "BillingCountry": clean(customer.AddressCountryRegionISOCode),
        }
        # Salesforce has no standard "inactive" on Account; a customer on hold stays an Account sales may see, and
        # the hold is shown where the admin put it, set back to "No" when it is lifted
        held = {rules.on_hold_field: clean(customer.OnHoldStatus) or "No"} if rules.on_hold_field else {}
        _add(result, key, AccountPayload, fields, customer, held)
    return result


def map_products(products: list[ReleasedProduct], names: dict[str, str] | None = None) -> MappingResult:
    """`names`: ProductsV2 ProductNumber → ProductName, where the released product's own search name is not enough."""
    result = MappingResult()
    for product in products:
        name = (names or {}).get(product.ProductNumber) or clean(product.ProductSearchName) or clean(product.SearchName)
        _add(
            result,
            product_key(product),
            ProductPayload,
            {
                "Name": name,
                "ProductCode": product.ItemNumber,
                "QuantityUnitOfMeasure": clean(product.SalesUnitSymbol),
                "IsActive": True,
            },
            product,
        )
    return result


def _add(
    result: MappingResult, key: str, model: type[BaseModel], fields: dict, source: BaseModel, custom: dict | None = None
) -> None:
    """`custom`: fields of the org's own (named in the rules), which the model cannot list."""
    try:
        payload = model.model_validate(fields).model_dump() | (custom or {})
    except ValidationError as exc:
        result.rejected.append(Rejected(key, describe(exc), source.model_dump()))
        return
    result.records.append(TargetRecord(key, payload))
