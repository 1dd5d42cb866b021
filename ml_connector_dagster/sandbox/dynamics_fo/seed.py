"""Deterministic F&O data: each company's customer groups, a few hundred customers across USMF, USRT and DEMF with
the mess of a real environment (blank names, names longer than a CRM field, persons next to organisations, customers
without a currency from an old migration, missing cities, odd spacing, the same account number in two companies),
released products per company, and a few open sales orders with lines, numbered from the same sequences the API
draws from."""

import random
from datetime import UTC, datetime, timedelta

from ml_connector_dagster.sandbox.dynamics_fo import writes
from ml_connector_dagster.sandbox.dynamics_fo.company import COMPANIES, SEEDED_CUSTOMER_GROUPS
from ml_connector_dagster.sandbox.dynamics_fo.entities import (
    CUSTOMER_GROUPS,
    CUSTOMERS,
    RELEASED_PRODUCTS,
    SALES_ORDER_HEADERS,
    SALES_ORDER_LINES,
)
from ml_connector_dagster.sandbox.dynamics_fo.store import Store, Transaction, key_of

SHARES = {"usmf": 0.5, "usrt": 0.3, "demf": 0.2}
STEMS = (
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Woodgrove",
    "Alpine Ski",
    "Fourth Coffee",
    "Coho Winery",
    "Wide World",
    "Müller & Söhne",
    "Forêt Noire",
    "Öko Bau",
)
TRADES = ("Retail", "Electronics", "Supply", "Manufacturing", "Foods", "Logistics", "Outdoor", "Furniture")
SUFFIXES = ("Inc.", "LLC", "Corp.", "GmbH", "Co.", "Ltd", "")
PEOPLE = (("Karen", "Berg"), ("José", "Núñez"), ("Zoë", "O'Neil"), ("Jürgen", "Weiß"), ("Priya", "Raman"))
PLACES = {
    "usmf": (
        ("Seattle", "WA", "98101", "USA", "US"),
        ("San Diego", "CA", "92108", "USA", "US"),
        ("Chicago", "IL", "60601", "USA", "US"),
        ("Toronto", "ON", "M5H 2N2", "CAN", "CA"),
    ),
    "usrt": (("Dallas", "TX", "75201", "USA", "US"), ("Miami", "FL", "33101", "USA", "US")),
    "demf": (
        ("München", "BY", "80331", "DEU", "DE"),
        ("Hamburg", "HH", "20095", "DEU", "DE"),
        ("Wien", "", "1010", "AUT", "AT"),
    ),
}
PRODUCTS = (
    ("D0001", "MidRangeSpeaker", "Item", "ea", 220.0),
    ("D0002", "Cabinet", "Item", "ea", 780.0),
    ("D0003", "StandardSpeaker", "Item", "ea", 99.5),
    ("D0004", "HighEndSpeaker", "Item", "ea", 1499.0),
    ("M0001", "SpeakerCable", "Item", "m", 2.15),
    ("M0010", "Subwoofer kit, 12 inch", "Item", "ea", 310.0),
    ("P0001", "Acoustic foam panel", "Item", "Pcs", 12.0),
    ("P0002", "", "Item", "Pcs", 7.25),
    ("S0001", "Installation", "Service", "Hour", 95.0),
    ("S0002", "Calibration", "Service", "Hour", 120.0),
)
ORDERS = {"usmf": 8, "usrt": 3, "demf": 3}
SEEDED_FROM = datetime(2026, 9, 1, 8, tzinfo=UTC)


def seed(store: Store, *, customers: int, seed_value: int) -> None:
    rng = random.Random(seed_value)
    with store.transaction() as tx:
        for company, groups in SEEDED_CUSTOMER_GROUPS.items():
            for group, description in groups.items():
                tx.put(
                    CUSTOMER_GROUPS,
                    writes.stamp(
                        tx,
                        {
                            **CUSTOMER_GROUPS.blank(),
                            "dataAreaId": company,
                            "CustomerGroupId": group,
                            "Description": description,
                        },
                    ),
                    "Created",
                )
        for company, share in SHARES.items():
            accounts = [_customer(tx, rng, company, n) for n in range(1, int(customers * share) + 1)]
            for item in PRODUCTS:
                _product(tx, company, item)
            for n in range(ORDERS[company]):
                _order(tx, rng, company, rng.choice(accounts), n)


def _account(company: str, n: int) -> str:
    if company == "demf":
        return f"DE-{n:03d}"
    if company == "usrt" and n > 30:
        return f"{n:06d}"  # USRT switched to a numeric sequence; its first 30 accounts reuse USMF's numbers
    return f"US-{n:03d}"


def _customer(tx: Transaction, rng: random.Random, company: str, n: int) -> dict:
    city, state, zip_code, country, iso = rng.choice(PLACES[company])
    person = n % 11 == 4
    first, last = rng.choice(PEOPLE) if person else ("", "")
    name = f"{first} {last}" if person else f"{rng.choice(STEMS)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)}".strip()
    if n % 19 == 3:
        name = f"{name} – Zentrallager, Wareneingang Tor 7, Anlieferung nur werktags von 7 bis 15 Uhr nach Voranmeldung"
    if n % 29 == 9:
        name = f"  {name.upper()}  "
    if n % 37 == 5:
        name = ""
    values = {
        "dataAreaId": company,
        "CustomerAccount": _account(company, n),
        "OrganizationName": name,
        "NameAlias": name.strip()[:20],
        "PersonFirstName": first,
        "PersonLastName": last,
        "PartyType": "Person" if person else "Organization",
        "CustomerType": "Person" if person else "Organization",
        "PartyNumber": f"{n + len(company) * 10000:09d}",
        "CustomerGroupId": rng.choice(sorted(SEEDED_CUSTOMER_GROUPS[company])),
        "SalesCurrencyCode": "" if n % 23 == 7 else COMPANIES[company],
        "PaymentTerms": rng.choice(("Net30", "Net10", "Net45", "")),
        "LanguageId": "de" if company == "demf" else "en-us",
        "CreditLimit": rng.choice((0, 5000, 25000, 100000)),
        "OnHoldStatus": "All" if n % 31 == 2 else "No",
        "AddressStreet": f"{rng.randint(1, 999)} {rng.choice(('Main St', 'Pine Ave', 'Hauptstraße', 'Lake Rd'))}",
        "AddressCity": "" if n % 13 == 6 else city,
        "AddressState": state,
        "AddressZipCode": zip_code,
        "AddressCountryRegionId": country,
        "AddressCountryRegionISOCode": iso,
        "AddressLocationRoles": "Business",
        "PrimaryContactEmail": "" if n % 7 == 0 else f"AP{n}@{'Example' if n % 2 else 'example'}.com",
        "PrimaryContactPhone": "" if n % 5 == 0 else f"+1 555 {rng.randint(1000000, 9999999)}",
    }
    row = {**CUSTOMERS.blank(), **values}
    row["FullPrimaryAddress"] = writes.full_address(row)
    tx.put(CUSTOMERS, writes.stamp(tx, row), "Created")
    return row


def _product(tx: Transaction, company: str, item: tuple) -> None:
    number, name, kind, unit, price = item
    factor = 0.92 if COMPANIES[company] == "EUR" else 1.0
    tx.put(
        RELEASED_PRODUCTS,
        writes.stamp(
            tx,
            {
                **RELEASED_PRODUCTS.blank(),
                "dataAreaId": company,
                "ItemNumber": number,
                "ProductNumber": number,
                "SearchName": name,
                "ProductSearchName": name,
                "ProductType": kind,
                "SalesUnitSymbol": unit,
                "InventoryUnitSymbol": unit,
                "PurchaseUnitSymbol": unit,
                "SalesPrice": round(price * factor, 2),
                "PurchasePrice": round(price * factor * 0.6, 2),
                "ProductGroupId": "Audio" if kind == "Item" else "Services",
                "ItemModelGroupId": "FIFO" if kind == "Item" else "SRV",
            },
        ),
        "Created",
    )


def _order(tx: Transaction, rng: random.Random, company: str, customer: dict, n: int) -> None:
    number = writes.next_order_number(tx, company)
    created = SEEDED_FROM + timedelta(days=n * 3, hours=rng.randint(0, 9))
    header = {
        **SALES_ORDER_HEADERS.blank(),
        **writes.from_customer(customer),
        "dataAreaId": company,
        "SalesOrderNumber": number,
        "OrderCreationDateTime": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "CustomersOrderReference": f"PO-{rng.randint(1000, 9999)}" if n % 2 else "",
        "RequestedShippingDate": (created + timedelta(days=14)).strftime("%Y-%m-%dT12:00:00Z"),
    }
    header["CurrencyCode"] = header["CurrencyCode"] or COMPANIES[company]
    lines = []
    for sequence in range(1, rng.randint(1, 4) + 1):
        item = rng.choice(PRODUCTS)[0]
        product = tx.get(RELEASED_PRODUCTS, key_of(RELEASED_PRODUCTS, {"dataAreaId": company, "ItemNumber": item}))
        line = {
            **SALES_ORDER_LINES.blank(),
            **writes.from_product(product),
            "dataAreaId": company,
            "SalesOrderNumber": number,
            "CurrencyCode": header["CurrencyCode"],
            "InventoryLotId": writes.next_lot_id(tx, company),
            "LineCreationSequenceNumber": sequence,
            "OrderedSalesQuantity": rng.randint(1, 40),
        }
        line["LineAmount"] = writes.line_amount(line)
        lines.append(line)
        tx.put(SALES_ORDER_LINES, writes.stamp(tx, line), "Created")
    header["OrderTotalAmount"] = round(sum(line["LineAmount"] for line in lines), 2)
    tx.put(SALES_ORDER_HEADERS, writes.stamp(tx, header), "Created")
