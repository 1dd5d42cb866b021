"""Deterministic ECC seed in the style of the EBS one: vendors with company codes, customers with company codes,
purchase orders with items, and the mess of a real client (blank names, deletion flags and blocks, non-ASCII,
missing cities, alphanumeric external numbers next to zero-padded internal ones, vendors that are also customers,
linked through LFA1-KUNNR / KNA1-LIFNR or only through a shared tax number)."""

import random
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from ml_connector_dagster.sandbox.oracle_ebs.seed import PLACES, STEMS, STREETS, SUFFIXES, TRADES

CLIENT = "100"
COMPANY_CODES = ("1000", "2000")
PAYMENT_TERMS = ("0001", "ZB30", "ZN45", "NT60")
MATERIALS = (
    ("MAT-1001", "Hydraulic pump 40 bar", "EA", "1250.00"),
    ("MAT-2040", "Stahlrohr DN50 6 m", "M", "18.40"),
    ("MAT-3300", "Safety gloves (pair)", "PAA", "3.95"),
    ("", "Consulting services, on site", "H", "145.00"),
    ("MAT-4711", "Câble électrique 3G2,5", "M", "1.72"),
    ("MAT-5150", "Palette Euro 1200x800", "EA", "12.00"),
)


def seed(
    db: sqlite3.Connection,
    *,
    vendors: int,
    customers: int,
    orders: int,
    start: date,
    days: int,
    seed_value: int,
    dormant_vendors: int = 0,
    dormant_customers: int = 0,
) -> None:
    """`dormant_vendors` and `dormant_customers`: partners created before `start` and never changed since, as most
    masters are at go-live: no day reads them (neither by ERDAT nor by a change document), only the initial load."""
    rng = random.Random(seed_value)

    def day() -> str:
        return (start + timedelta(days=rng.randrange(days))).strftime("%Y%m%d")

    def insert(table: str, **row) -> None:
        db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))

    def name(index: int) -> str:
        if index % 97 == 13:
            return ""
        return f"{rng.choice(STEMS)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)}"[:35]

    def address(index: int) -> dict:
        city, state, province, postal, _, country = rng.choice(PLACES)
        return {
            "STRAS": f"{rng.choice(STREETS)} {rng.randint(1, 250)}"[:35],
            "ORT01": None if index % 53 == 7 else city,
            "PSTLZ": postal,
            "REGIO": (state or province or "")[:3],
            "LAND1": country,
            "TELF1": f"+49 {rng.randint(30, 89)} {rng.randint(100000, 999999)}" if rng.random() < 0.7 else None,
        }

    def before_start() -> str:
        return (start - timedelta(days=rng.randrange(30, 3000))).strftime("%Y%m%d")

    def vendor(index: int, lifnr: str, created: Callable[[], str], customer: str | None) -> None:
        tax = f"DE{rng.randint(100000000, 999999999)}"
        insert(
            "LFA1",
            MANDT=CLIENT,
            LIFNR=lifnr,
            NAME1=name(index),
            NAME2=None,
            **address(index),
            STCD1=tax if rng.random() < 0.6 else None,
            STCEG=tax,
            ERDAT=created(),
            ERNAM="MIGRATION",
            KUNNR=customer,
            LOEVM="X" if index % 37 == 11 else None,
            SPERR="X" if index % 29 == 5 else None,
            SPERM=None,
        )
        for bukrs in COMPANY_CODES[: 1 + (index % 4 == 0)]:
            insert(
                "LFB1",
                MANDT=CLIENT,
                LIFNR=lifnr,
                BUKRS=bukrs,
                AKONT="0000160000",
                ZTERM=rng.choice(PAYMENT_TERMS),
                ERDAT=created(),
                LOEVM=None,
                SPERR=None,
            )

    def customer(index: int, kunnr: str, created: Callable[[], str], vendor: str | None, vat: str | None) -> None:
        """`vendor`: the vendor it is linked to; `vat`: the VAT number of a vendor it shares only that with."""
        tax = vat or f"DE{rng.randint(100000000, 999999999)}"
        insert(
            "KNA1",
            MANDT=CLIENT,
            KUNNR=kunnr,
            NAME1=name(index + 5),
            NAME2=None,
            **address(index),
            STCD1=None,
            STCEG=tax if rng.random() < 0.8 or vat else None,
            ERDAT=created(),
            ERNAM="MIGRATION",
            LIFNR=vendor,
            LOEVM="X" if index % 43 == 17 else None,
            AUFSD="01" if index % 31 == 3 else None,
        )
        insert(
            "KNB1",
            MANDT=CLIENT,
            KUNNR=kunnr,
            BUKRS="1000",
            AKONT="0000140000",
            ZTERM=rng.choice(PAYMENT_TERMS),
            ERDAT=created(),
            LOEVM=None,
        )

    def vendor_id(n: int) -> str:
        return f"{100000 + n:010d}"

    def customer_id(n: int) -> str:
        return f"{200000 + n:010d}" if n % 41 else f"CUST-{n:04d}"

    vendor_ids = [vendor_id(n) for n in range(1, vendors + 1)]
    customer_ids = [customer_id(n) for n in range(1, customers + 1)]
    linked = dict(zip(vendor_ids[::7], customer_ids[::7], strict=False))  # vendor ↔ customer linked in the masters
    for index, lifnr in enumerate(vendor_ids):
        vendor(index, lifnr, day, linked.get(lifnr))
    vendor_tax = {row[0]: row[1] for row in db.execute("SELECT LIFNR, STCEG FROM LFA1")}
    by_customer = {kunnr: lifnr for lifnr, kunnr in linked.items()}
    shared_tax = dict(
        zip(customer_ids[3::11], vendor_ids[5::11], strict=False)
    )  # same company, not linked: same VAT number
    for index, kunnr in enumerate(customer_ids):
        sharing = shared_tax.get(kunnr)
        customer(index, kunnr, day, by_customer.get(kunnr), vendor_tax[sharing] if sharing else None)
    for n in range(1, orders + 1):
        ebeln = f"{4500000000 + n}"
        created = day()
        insert(
            "EKKO",
            MANDT=CLIENT,
            EBELN=ebeln,
            BUKRS="1000",
            BSTYP="F",
            BSART="NB",
            LOEKZ="L" if n % 47 == 9 else None,
            AEDAT=created,
            ERNAM="BUYER01",
            LIFNR=rng.choice(vendor_ids),
            ZTERM=rng.choice(PAYMENT_TERMS),
            EKORG="1000",
            WAERS=rng.choice(("EUR", "EUR", "USD", "PLN")),
            BEDAT=created,
        )
        for item in range(1, rng.randint(1, 5) + 1):
            matnr, text, unit, price = rng.choice(MATERIALS)
            quantity = Decimal(rng.randint(1, 400))
            net = (quantity * Decimal(price)).quantize(Decimal("0.01"))
            insert(
                "EKPO",
                MANDT=CLIENT,
                EBELN=ebeln,
                EBELP=f"{item * 10:05d}",
                LOEKZ="L" if item == 3 and n % 5 == 0 else None,
                AEDAT=created,
                TXZ01=text,
                MATNR=matnr or None,
                WERKS="1000",
                MENGE=f"{quantity:.3f}",
                MEINS=unit,
                NETPR=price,
                PEINH="1",
                NETWR=f"{net:.2f}",
            )
    # Drawn after everything else, so the rest of the seed is the same with or without them.
    for n in range(vendors + 1, vendors + dormant_vendors + 1):
        vendor(n - 1, vendor_id(n), before_start, None)
    for n in range(customers + 1, customers + dormant_customers + 1):
        customer(n - 1, customer_id(n), before_start, None, None)
