"""What the entities' X++ logic does with a create, update or delete: payload checks (unknown properties, literal
types, nulls), number sequences, defaults copied from the customer or the released product, validation against
related tables, order totals, and referential checks on delete. Failures are F&O write errors (errors.py)."""

from datetime import UTC, datetime

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.dynamics_fo.company import ADDRESS_STATES, COMPANIES, COUNTRY_REGIONS, CURRENCIES
from ml_connector_dagster.sandbox.dynamics_fo.entities import (
    CUSTOMER_GROUPS,
    CUSTOMERS,
    RELEASED_PRODUCTS,
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
    Entity,
    Field,
)
from ml_connector_dagster.sandbox.dynamics_fo.errors import (
    FoError,
    must_be_filled_in,
    not_in_related_table,
    write_failed,
)
from ml_connector_dagster.sandbox.dynamics_fo.store import Transaction, fold, key_of

FIRST_RECID = 5637144576  # RecIds in a fresh F&O database start here
FIRST_ORDER, FIRST_LOT = 700, 200  # Guess: where the demo company's sequences stand; any start would do


def next_order_number(tx: Transaction, company: str) -> str:
    return f"{tx.store.next_number(f'SalesOrderNumber/{company}', FIRST_ORDER):06d}"


def next_lot_id(tx: Transaction, company: str) -> str:
    return f"{tx.store.next_number(f'InventoryLotId/{company}', FIRST_LOT):06d}"


def stamp(tx: Transaction, row: dict) -> dict:
    """Gives a row its RecId once and a new RecVersion on every write; the ETag is made from both."""
    row.setdefault("_recid", tx.store.next_number("RecId", FIRST_RECID))
    row["_recversion"] = row.get("_recversion", 0) + 1
    return row


def full_address(customer: dict) -> str:
    # Guess: the US address format (street / city, state zip / country); F&O formats per country.
    city_line = " ".join(
        part
        for part in (
            f"{customer['AddressCity']}," if customer["AddressCity"] else "",
            customer["AddressState"],
            customer["AddressZipCode"],
        )
        if part
    )
    parts = (customer["AddressStreet"], city_line.rstrip(","), customer["AddressCountryRegionId"])
    return "\n".join(part for part in parts if part)


def from_customer(customer: dict) -> dict:
    """The header fields F&O copies from the ordering customer when the order does not set them."""
    return {
        "OrderingCustomerAccountNumber": customer["CustomerAccount"],
        "InvoiceCustomerAccountNumber": customer["InvoiceAccount"] or customer["CustomerAccount"],
        "CurrencyCode": customer["SalesCurrencyCode"],
        "LanguageId": customer["LanguageId"],
        "PaymentTermsName": customer["PaymentTerms"],
        "DeliveryModeCode": customer["DeliveryMode"],
        "DeliveryTermsCode": customer["DeliveryTerms"],
        "SalesOrderName": customer["OrganizationName"],
        "DeliveryAddressStreet": customer["AddressStreet"],
        "DeliveryAddressCity": customer["AddressCity"],
        "DeliveryAddressZipCode": customer["AddressZipCode"],
        "DeliveryAddressStateId": customer["AddressState"],
        "DeliveryAddressCountryRegionId": customer["AddressCountryRegionId"],
    }


def from_product(product: dict) -> dict:
    """The line fields F&O takes from the released product's sales setup when the line does not set them."""
    # Guess: the line text comes from the search name; ReleasedProductsV2 has no product name (§3.3).
    return {
        "ItemNumber": product["ItemNumber"],
        "SalesUnitSymbol": product["SalesUnitSymbol"],
        "SalesPrice": product["SalesPrice"],
        "SalesPriceQuantity": product["SalesPriceQuantity"],
        "LineDescription": product["SearchName"],
    }


def line_amount(line: dict) -> float:
    unit_price = line["SalesPrice"] / (line["SalesPriceQuantity"] or 1) - line["LineDiscountAmount"]
    return round(line["OrderedSalesQuantity"] * unit_price * (1 - line["LineDiscountPercentage"] / 100), 2)


class Writer:
    def __init__(self, clock: Clock):
        self.clock = clock

    def create(self, tx: Transaction, entity: Entity, body: object, default_company: str) -> dict:
        values = payload(entity, body)
        company = values.get("dataAreaId") or default_company
        if company not in COMPANIES:
            # Guess: the infolog text for a body naming a company that does not exist.
            raise write_failed(entity.aot_name, f"Company '{company}' does not exist.")
        row = {**entity.blank(), **values, "dataAreaId": company}
        self._complete(tx, entity, row, set(values), creating=True)
        if tx.get(entity, key_of(entity, row)) is not None:
            keys = ", ".join(str(row[name]) for name in entity.keys[1:])
            raise write_failed(
                entity.aot_name,
                f"Cannot create a record in "
                f"{entity.table or f'{entity.type_name} ({entity.aot_name})'}. {keys}, {company}. "
                "The record already exists.",
            )
        tx.put(entity, stamp(tx, row), "Created")
        self._after(tx, entity, row)
        return row

    def update(self, tx: Transaction, entity: Entity, existing: dict, body: object, *, replace: bool) -> dict:
        values = payload(entity, body)
        for name in entity.keys:
            if name in values and fold(values[name]) != fold(existing[name]):
                # Guess: F&O refuses to rename a record through its entity; the infolog text is made up.
                raise write_failed(entity.aot_name, f"The key field '{name}' cannot be changed.")
        kept = {
            name: value
            for name, value in existing.items()
            if name.startswith("_") or name in entity.keys or not entity.fields[name].writable
        }
        row = {**entity.blank(), **kept, **values} if replace else {**existing, **values}
        self._complete(tx, entity, row, set(values), creating=False)
        tx.put(entity, stamp(tx, row), "Updated")
        self._after(tx, entity, row)
        return row

    def delete(self, tx: Transaction, entity: Entity, existing: dict) -> None:
        if entity is CUSTOMERS and any(
            _same_company(order, existing)
            and fold(order["OrderingCustomerAccountNumber"]) == fold(existing["CustomerAccount"])
            for order in tx.rows(SALES_ORDER_HEADERS)
        ):
            # Guess: the delete actions of CustTable refuse a customer with sales orders; text made up.
            raise write_failed(
                entity.aot_name, f"The customer {existing['CustomerAccount']} has sales orders and cannot be deleted."
            )
        tx.delete(entity, existing)
        if entity is SALES_ORDER_HEADERS:
            for line in self._lines(tx, existing):
                tx.delete(SALES_ORDER_LINES, line)
        self._after(tx, entity, existing)

    # per entity ------------------------------------------------------------------------------------------------
    def _complete(self, tx: Transaction, entity: Entity, row: dict, given: set[str], *, creating: bool) -> None:
        if entity is CUSTOMERS:
            self._customer(tx, row)
        elif entity is CUSTOMER_GROUPS and not row["CustomerGroupId"]:
            raise must_be_filled_in(CUSTOMER_GROUPS.aot_name, "Customer group")
        elif entity is SALES_ORDER_HEADERS:
            self._header(tx, row, given, creating)
        elif entity is SALES_ORDER_LINES:
            self._line(tx, row, given, creating)

    def _customer(self, tx: Transaction, row: dict) -> None:
        aot, company = CUSTOMERS.aot_name, row["dataAreaId"]
        # Guess: the customer account sequence is manual, as in the USMF demo data, so the account is required.
        for name, label in (
            ("CustomerAccount", "Customer account"),
            ("CustomerGroupId", "Customer group"),
            ("SalesCurrencyCode", "Currency"),
        ):
            if not row[name]:
                raise must_be_filled_in(aot, label)
        if tx.get(CUSTOMER_GROUPS, key_of(CUSTOMER_GROUPS, row)) is None:
            raise not_in_related_table(
                aot, "CustomerGroupId", "Customer group", row["CustomerGroupId"], "Customer groups"
            )
        _currency(aot, "SalesCurrencyCode", row["SalesCurrencyCode"])
        if (
            row["InvoiceAccount"]
            and _customer_of(tx, company, row["InvoiceAccount"]) is None
            and fold(row["InvoiceAccount"]) != fold(row["CustomerAccount"])
        ):
            raise not_in_related_table(aot, "InvoiceAccount", "Invoice account", row["InvoiceAccount"], "Customers")
        if row["AddressCountryRegionId"]:
            region = row["AddressCountryRegionId"].upper()
            if region not in COUNTRY_REGIONS:
                raise not_in_related_table(aot, "AddressCountryRegionId", "Country/region", region, "Country/region")
            row["AddressCountryRegionISOCode"] = COUNTRY_REGIONS[region]
            if row["AddressState"] and row["AddressState"].upper() not in ADDRESS_STATES.get(region, ()):
                raise not_in_related_table(aot, "AddressState", "State", row["AddressState"], "States")
        if not row["PartyNumber"]:
            row["PartyNumber"] = f"{tx.store.next_number('PartyNumber', 100000):09d}"
        row["FullPrimaryAddress"] = full_address(row)

    def _header(self, tx: Transaction, row: dict, given: set[str], creating: bool) -> None:
        aot, company = SALES_ORDER_HEADERS.aot_name, row["dataAreaId"]
        if creating and not row["SalesOrderNumber"]:
            row["SalesOrderNumber"] = next_order_number(tx, company)
        if not row["OrderingCustomerAccountNumber"]:
            raise must_be_filled_in(aot, "Customer account")
        customer = _customer_of(tx, company, row["OrderingCustomerAccountNumber"])
        if customer is None:
            raise not_in_related_table(
                aot,
                "OrderingCustomerAccountNumber",
                "Customer account",
                row["OrderingCustomerAccountNumber"],
                "Customers",
            )
        if creating:
            row.update({name: value for name, value in from_customer(customer).items() if name not in given})
            row["OrderCreationDateTime"] = self.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if _customer_of(tx, company, row["InvoiceCustomerAccountNumber"]) is None:
            raise not_in_related_table(
                aot, "InvoiceCustomerAccountNumber", "Invoice account", row["InvoiceCustomerAccountNumber"], "Customers"
            )
        if not row["CurrencyCode"]:
            raise must_be_filled_in(aot, "Currency")
        _currency(aot, "CurrencyCode", row["CurrencyCode"])

    def _line(self, tx: Transaction, row: dict, given: set[str], creating: bool) -> None:
        aot, company = SALES_ORDER_LINES.aot_name, row["dataAreaId"]
        if not row["SalesOrderNumber"]:
            raise must_be_filled_in(aot, "Sales order")
        header = tx.get(SALES_ORDER_HEADERS, key_of(SALES_ORDER_HEADERS, row))
        if header is None:
            raise not_in_related_table(aot, "SalesOrderNumber", "Sales order", row["SalesOrderNumber"], "Sales orders")
        if not row["ItemNumber"]:
            raise must_be_filled_in(aot, "Item number")
        product = tx.get(RELEASED_PRODUCTS, key_of(RELEASED_PRODUCTS, row))
        if product is None:
            raise not_in_related_table(aot, "ItemNumber", "Item number", row["ItemNumber"], "Items")
        if creating:
            row.update({name: value for name, value in from_product(product).items() if name not in given})
            row["InventoryLotId"] = next_lot_id(tx, company)
            row["LineCreationSequenceNumber"] = 1 + max(
                (line["LineCreationSequenceNumber"] for line in self._lines(tx, header)), default=0
            )
        row["CurrencyCode"] = header["CurrencyCode"]
        row["LineAmount"] = line_amount(row)

    def _after(self, tx: Transaction, entity: Entity, row: dict) -> None:
        """Order totals follow the lines, as the sales order's totals calculation does."""
        if entity is not SALES_ORDER_LINES:
            return
        header = tx.get(SALES_ORDER_HEADERS, key_of(SALES_ORDER_HEADERS, row))
        if header is None:
            return
        total = round(sum(line["LineAmount"] for line in self._lines(tx, header)), 2)
        if total != header["OrderTotalAmount"]:
            tx.put(SALES_ORDER_HEADERS, stamp(tx, {**header, "OrderTotalAmount": total}), "Updated")

    def _lines(self, tx: Transaction, header: dict) -> list[dict]:
        return [
            line
            for line in tx.grouped(SALES_ORDER_LINES, key_of(SALES_ORDER_HEADERS, header))
            if _same_company(line, header) and fold(line["SalesOrderNumber"]) == fold(header["SalesOrderNumber"])
        ]


def payload(entity: Entity, body: object) -> dict:
    """The writable values of a request body, checked as the OData deserializer checks them."""
    if not isinstance(body, dict):
        raise FoError(400, "The request body must be a JSON object describing a single entity.")
    values = {}
    for name, value in body.items():
        if name.startswith("@odata.") or "@" in name:
            continue  # instance and property annotations
        spec = entity.fields.get(name)
        if spec is None:
            raise FoError(
                400,
                f"The property '{name}' does not exist on type '{entity.qualified_type}'. Make sure "
                "to only use property names that are defined by the type.",
            )
        # Guess: values for fields the entity computes (totals, lot id, ...) are ignored rather than refused.
        if spec.writable:
            values[name] = _literal(name, spec, value)
    if "dataAreaId" in values:
        values["dataAreaId"] = values["dataAreaId"].lower()
    return values


def _literal(name: str, spec: Field, value: object) -> object:
    if value is None:
        raise FoError(
            400,
            f"A null value was found for the property named '{name}', which has the expected type "
            f"'{spec.edm}[Nullable=False]'. The expected type '{spec.edm}[Nullable=False]' does not "
            "allow null values.",
        )
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if (
        (spec.kind in ("String", "Enum", "Date", "DateTime") and not isinstance(value, str))
        or (spec.kind == "Decimal" and not number)
        or (spec.kind == "Int" and not isinstance(value, int))
    ):
        raise FoError(400, f"Cannot convert the literal '{value}' to the expected type '{spec.edm}'.")
    if spec.kind == "Enum" and value not in spec.symbols:
        raise FoError(
            400,
            f"The value '{value}' of property '{name}' is not a valid enumerated type value; "
            f"expected one of {', '.join(spec.symbols)}.",
        )
    if spec.kind in ("Date", "DateTime"):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FoError(400, f"Cannot convert the literal '{value}' to the expected type '{spec.edm}'.") from None
        if moment.tzinfo is None:
            raise FoError(400, f"Cannot convert the literal '{value}' to the expected type '{spec.edm}'.")
        moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT12:00:00Z" if spec.kind == "Date" else "%Y-%m-%dT%H:%M:%SZ")
    return value


def _customer_of(tx: Transaction, company: str, account: str) -> dict | None:
    return tx.get(CUSTOMERS, key_of(CUSTOMERS, {"dataAreaId": company, "CustomerAccount": account}))


def _currency(aot: str, field: str, code: str) -> None:
    if code.upper() not in CURRENCIES:
        raise not_in_related_table(aot, field, "Currency", code, "Currency")


def _same_company(first: dict, second: dict) -> bool:
    return first["dataAreaId"] == second["dataAreaId"]
