"""Salesforce → Dynamics 365 F&O (the reverse flow of the two-way pair).

- A closed-won Opportunity or an activated Order, with its lines, becomes one SalesOrderHeadersV2 with its
  SalesOrderLines, keyed on the Salesforce record id, which the order carries in CustomersOrderReference: whatever
  reruns or duplicate events happen, the writer finds the order by that reference before it creates one.
- A new Salesforce Account (one without the ERP key the forward flow writes) becomes a CustomersV3 once the rules
  resolve its legal entity and currency; until then it waits in dead letters with that reason, and so do its deals.
- What goes back to Salesforce: the F&O customer key onto the Account (so the forward flow updates that Account
  instead of creating a second one) and the F&O sales order number onto the deal.

Keys follow the forward flow's `<legal entity>/<number>`. A new customer's account number is derived from the
Salesforce id (`SF-` + the id without its 3-character object prefix: 18 characters that stay unique without regard
to case, as F&O compares keys), so a create whose answer was lost is found again, never made twice.
"""

from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.address_states import StateIds
from ml_connector_dagster.mapping.common import MappingResult, Rejected, clean, describe, load_rules

PAIR = "salesforce__dynamics_fo"
DEFAULT_RULES_FILE = Path(__file__).with_name("salesforce_dynamics_fo.yaml")
CUSTOMERS, SALES_ORDERS = "CustomersV3", "SalesOrderHeadersV2"
WRITE_BACK_OBJECTS = {"006": "Opportunity", "801": "Order"}  # key prefix of a deal id → its sObject


class Country(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_entity: str = Field(pattern=r"^[A-Za-z0-9]{1,4}$")
    country_region: str = Field(min_length=2, max_length=10, description="F&O country/region id, e.g. USA")


class LegalEntity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    customer_group: str = Field(min_length=1, max_length=10)


_US, _DE = Country(legal_entity="usmf", country_region="USA"), Country(legal_entity="demf", country_region="DEU")
_COUNTRIES = {"United States": _US, "USA": _US, "US": _US, "Germany": _DE, "Deutschland": _DE, "DE": _DE}
_LEGAL_ENTITIES = {
    "usmf": LegalEntity(currency="USD", customer_group="30"),
    "usrt": LegalEntity(currency="USD", customer_group="30"),
    "demf": LegalEntity(currency="EUR", customer_group="30"),
}


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    countries: dict[str, Country] = Field(
        default_factory=lambda: dict(_COUNTRIES),
        validate_default=True,
        description="Account.BillingCountry as reps type it (any case) → the legal entity that sells there",
    )
    legal_entities: dict[str, LegalEntity] = Field(default_factory=lambda: dict(_LEGAL_ENTITIES))
    customer_account_prefix: str = Field(default="SF-", pattern=r"^[A-Za-z0-9-]{0,5}$")
    states: dict[str, dict[str, Annotated[str, Field(min_length=1, max_length=10)]]] = Field(
        default_factory=dict,
        description="F&O country/region id → {Account.BillingState as reps type it → F&O state id}: added to the "
        "built-in table of US, Canadian and German states (mapping/address_states.py) or correcting it",
    )

    @field_validator("countries", mode="after")
    @classmethod
    def _fold_countries(cls, value: dict[str, Country]) -> dict[str, Country]:
        return {
            name.strip().casefold(): Country(
                legal_entity=country.legal_entity.lower(), country_region=country.country_region
            )
            for name, country in value.items()
        }

    @field_validator("legal_entities", mode="after")
    @classmethod
    def _lower_entities(cls, value: dict[str, LegalEntity]) -> dict[str, LegalEntity]:
        return {name.lower(): entity for name, entity in value.items()}


def load_pair_rules(path: Path | None = None) -> Rules:
    return load_rules(Rules, path or DEFAULT_RULES_FILE)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Account(_Row):
    Id: str
    Name: str = ""
    ErpKey: str | None = None  # the forward flow's `<legal entity>/<customer account>`, when the ERP owns it
    BillingStreet: str | None = None
    BillingCity: str | None = None
    BillingState: str | None = None
    BillingPostalCode: str | None = None
    BillingCountry: str | None = None
    Phone: str | None = None
    Website: str | None = None


class Deal(_Row):
    """A closed-won Opportunity or an activated Order, as the extracts read them."""

    Id: str
    AccountId: str | None = None
    Date: date = Field(validation_alias=AliasChoices("CloseDate", "EffectiveDate", "Date"))
    PoNumber: str | None = None


class DealLine(_Row):
    Id: str
    DealId: str
    ProductErpKey: str | None = None  # the product's `<legal entity>/<item number>`, when it came from F&O
    ProductName: str | None = None
    Quantity: float
    UnitPrice: float | None = None
    Discount: float | None = None
    Description: str | None = None


class CustomerPayload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataAreaId: str
    CustomerAccount: str = Field(min_length=1, max_length=20)
    OrganizationName: str = Field(min_length=1, max_length=100)
    CustomerGroupId: str
    SalesCurrencyCode: str
    AddressStreet: str | None = Field(default=None, max_length=250)
    AddressCity: str | None = Field(default=None, max_length=60)
    AddressState: str | None = Field(default=None, max_length=10)
    AddressZipCode: str | None = Field(default=None, max_length=10)
    AddressCountryRegionId: str
    PrimaryContactPhone: str | None = Field(default=None, max_length=255)
    PrimaryContactURL: str | None = Field(default=None, max_length=255)


class SalesOrderHeader(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataAreaId: str
    OrderingCustomerAccountNumber: str = Field(min_length=1, max_length=20)
    CustomersOrderReference: str = Field(min_length=15, max_length=60)
    CustomerRequisitionNumber: str | None = Field(default=None, max_length=20)
    RequestedShippingDate: str


class SalesOrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ItemNumber: str = Field(min_length=1, max_length=20)
    OrderedSalesQuantity: float = Field(gt=0)
    SalesPrice: float = Field(ge=0)
    LineDiscountPercentage: float = Field(default=0, ge=0, le=100)
    LineDescription: str | None = Field(default=None, max_length=1000)


def customer_account(account_id: str, rules: Rules) -> str:
    return rules.customer_account_prefix + account_id[3:]


def account_id_of(customer_account_number: str, rules: Rules) -> str | None:
    """The Salesforce Account id a customer created by this flow was named after (None for other customers)."""
    prefix = rules.customer_account_prefix
    if not customer_account_number.startswith(prefix) or len(customer_account_number) != len(prefix) + 15:
        return None
    return "001" + customer_account_number[len(prefix) :]


def _resolve(account: Account, rules: Rules) -> tuple[str, str, Country | None]:
    """(legal entity, customer account, country rule) of an account; raises ValueError with the reason a person
    must act on when the rules do not resolve it. Legal entity and currency come first: nothing else is tried
    before they resolve."""
    if account.ErpKey:
        entity, _, number = account.ErpKey.partition("/")
        if not number:
            raise ValueError(f"account {account.Id}: ERP key {account.ErpKey!r} is not <legal entity>/<number>")
        return entity.lower(), number, None
    country = rules.countries.get((account.BillingCountry or "").strip().casefold())
    if country is None:
        raise ValueError(
            f"account {account.Id}: no legal entity for BillingCountry {account.BillingCountry!r}; "
            "add it under `countries:` in the salesforce__dynamics_fo mapping rules, then rerun the "
            "partition"
        )
    if country.legal_entity not in rules.legal_entities:
        raise ValueError(
            f"account {account.Id}: legal entity {country.legal_entity} has no currency and customer "
            "group under `legal_entities:` in the salesforce__dynamics_fo mapping rules"
        )
    return country.legal_entity, customer_account(account.Id, rules), country


def _state_id(account: Account, country: Country, states: StateIds) -> str | None:
    """F&O's id of the account's BillingState in its country/region (free text in Salesforce, an id of at most 10
    characters in F&O that must exist for the country); raises ValueError with the reason when it is not known."""
    text = clean(account.BillingState)
    if text is None:
        return None
    state = states.state_id(country.country_region, text)
    if state is None:
        raise ValueError(
            f"account {account.Id}: BillingState {text!r} is not a state F&O knows in {country.country_region}; "
            "write it as its name or code (e.g. Massachusetts, MA or US-MA), or add it under `states:` in the "
            "salesforce__dynamics_fo mapping rules"
        )
    return state


def map_customers(accounts: list[Account], rules: Rules) -> MappingResult:
    """New Salesforce accounts (no ERP key) → CustomersV3, keyed by the Salesforce Account id."""
    result = MappingResult()
    states = StateIds(rules.states)
    for account in accounts:
        if account.ErpKey:
            continue
        try:
            entity, number, country = _resolve(account, rules)
            state = _state_id(account, country, states)
            payload = CustomerPayload.model_validate(
                {
                    "dataAreaId": entity,
                    "CustomerAccount": number,
                    "OrganizationName": clean(account.Name),
                    "CustomerGroupId": rules.legal_entities[entity].customer_group,
                    "SalesCurrencyCode": rules.legal_entities[entity].currency,
                    "AddressStreet": clean(account.BillingStreet),
                    "AddressCity": clean(account.BillingCity),
                    "AddressState": state,
                    "AddressZipCode": clean(account.BillingPostalCode),
                    "AddressCountryRegionId": country.country_region,
                    "PrimaryContactPhone": clean(account.Phone),
                    "PrimaryContactURL": clean(account.Website),
                }
            ).model_dump(exclude_none=True)
        except ValueError as exc:
            reason = describe(exc) if isinstance(exc, ValidationError) else str(exc)
            result.rejected.append(Rejected(account.Id, reason, account.model_dump(mode="json")))
            continue
        result.records.append(TargetRecord(account.Id, payload))
    return result


def map_sales_orders(deals: list[Deal], lines: list[DealLine], accounts: list[Account], rules: Rules) -> MappingResult:
    """Each deal with its lines → {"header": ..., "lines": [...]}, keyed by the deal's Salesforce id. A deal on a
    new account waits for that account's customer (a ref), so its order never names a customer F&O lacks."""
    by_id = {account.Id: account for account in accounts}
    lines_of: dict[str, list[DealLine]] = {}
    for line in sorted(lines, key=lambda line: line.Id):
        lines_of.setdefault(line.DealId, []).append(line)
    result = MappingResult()
    for deal in deals:
        try:
            record = _sales_order(deal, lines_of.get(deal.Id, []), by_id.get(deal.AccountId or ""), rules)
        except ValueError as exc:
            reason = describe(exc) if isinstance(exc, ValidationError) else str(exc)
            result.rejected.append(Rejected(deal.Id, reason, deal.model_dump(mode="json")))
            continue
        result.records.append(record)
    return result


def _sales_order(deal: Deal, lines: list[DealLine], account: Account | None, rules: Rules) -> TargetRecord:
    if account is None:
        raise ValueError(f"deal {deal.Id} has no account")
    entity, customer, _ = _resolve(account, rules)
    if not lines:
        raise ValueError(f"deal {deal.Id} has no line items")
    header = SalesOrderHeader(
        dataAreaId=entity,
        OrderingCustomerAccountNumber=customer,
        CustomersOrderReference=deal.Id,
        CustomerRequisitionNumber=clean(deal.PoNumber),
        RequestedShippingDate=f"{deal.Date.isoformat()}T12:00:00Z",
    )
    order_lines = []
    for line in lines:
        item_entity, _, item = (line.ProductErpKey or "").partition("/")
        if not item:
            raise ValueError(
                f"line {line.Id}: product {line.ProductName!r} has no ERP item number (it did not come from F&O)"
            )
        if item_entity.lower() != entity:
            raise ValueError(f"line {line.Id}: item {item} is released in {item_entity}, the order is for {entity}")
        order_lines.append(
            SalesOrderLine(
                ItemNumber=item,
                OrderedSalesQuantity=line.Quantity,
                SalesPrice=line.UnitPrice or 0,
                LineDiscountPercentage=line.Discount or 0,
                LineDescription=clean(line.Description),
            ).model_dump(exclude_none=True)
        )
    refs = () if account.ErpKey else ((CUSTOMERS, account.Id),)
    return TargetRecord(deal.Id, {"header": header.model_dump(exclude_none=True), "lines": order_lines}, refs)


def map_account_links(customers: dict[str, str], key_field: str) -> MappingResult:
    """The F&O customer key onto each Account F&O holds a customer for; `customers` maps Account id → the
    customer's key, as the ledger recorded it."""
    result = MappingResult()
    for account_id, customer_key in sorted(customers.items()):
        result.records.append(TargetRecord(account_id, {key_field: customer_key}))
    return result


def map_order_numbers(orders: dict[str, str], number_field: str) -> dict[str, MappingResult]:
    """`<legal entity>/<sales order number>` onto each deal F&O holds an order for, by object (Opportunity, Order);
    `orders` maps deal id → the order's key, as the ledger recorded it. Salesforce ids name their object in their
    first 3 characters."""
    result = {name: MappingResult() for name in WRITE_BACK_OBJECTS.values()}
    for deal_id, order_key in sorted(orders.items()):
        target = WRITE_BACK_OBJECTS.get(deal_id[:3])
        if target is not None:
            result[target].records.append(TargetRecord(deal_id, {number_field: order_key}))
    return result
