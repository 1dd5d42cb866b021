"""Deterministic seed of the ledger side, `seed_if_new`: the general ledger (seed_ledger.py) and the purchase
orders that charge it: subcontract and supply orders of the three projects, placed with the seeded suppliers, each
line charged to job-cost combinations of its project.

It draws from its own random stream and writes only its own tables, so the customer and supplier seed (seed.py),
which the existing pairs count on, is the same with or without it; it reads the suppliers that seed made. A sandbox
state folder saved before these tables existed gets them on its next start.

`PURCHASE_ORDERS` standard orders (a benchmark asks for more: `purchase_orders`) fall on the seeded days, spread
evenly from the first (order n, PO number 6007 + n, on day n × days // PURCHASE_ORDERS), with their lines and
distributions changed the same day; `GO_LIVE_ORDERS` more (6001 to 6006) were last changed months before (only a
read from before the start date returns them). Most are approved; every fifth from the fourth is still incomplete;
the order at `CANCELLED` is cancelled, the one at `CLOSED` closed, the one at `OTHER_UNIT` belongs to operating unit
458, and the one at `SPLIT` charges its first line to two projects, with the project it belongs to in ATTRIBUTE1, as
buyers record it when a purchase serves two jobs. Every fifth order from the second carries its project in ATTRIBUTE1
too (the Procore project id, in the descriptive flexfield a buyer fills in).
"""

import random
import sqlite3
from datetime import date, datetime, timedelta
from decimal import Decimal

from ml_connector_dagster.sandbox.oracle_ebs import chart
from ml_connector_dagster.sandbox.oracle_ebs.seed import ORG_OF_HEADER, OTHER_ORG
from ml_connector_dagster.sandbox.oracle_ebs.seed_ledger import Combination, Stamps, insert, seed_ledger, text

PURCHASE_ORDERS, GO_LIVE_ORDERS = 40, 6
CANCELLED, CLOSED, SPLIT, OTHER_UNIT = 7, 11, 13, 17
PROCORE_PROJECTS = {"1100": "101", "1200": "102", "1300": "103"}
FIRST_PO_NUMBER, FIRST_HEADER_ID, FIRST_LINE_ID, FIRST_DISTRIBUTION_ID = 6001, 31001, 33001, 35001
BUYER = 10010
SCOPES = ("labor and materials", "supply only", "install", "phase 1", "phase 2", "equipment rental")
UNITS = ("Each", "Hour", "Cubic Yard", "Ton")


def seed_if_new(
    db: sqlite3.Connection, start_date: date, days: int, seed_value: int, purchase_orders: int = PURCHASE_ORDERS
) -> None:
    """`purchase_orders`: the standard orders on the seeded days (a benchmark's knob; the default is the seed the
    tests and the demo count on)."""
    if db.execute("SELECT 1 FROM GL_LEDGERS").fetchone():
        return
    rng = random.Random(f"oracle_ebs-ledger-{seed_value}")
    stamps = Stamps(rng, datetime.combine(start_date, datetime.min.time()), days)
    seed_purchase_orders(db, stamps, rng, seed_ledger(db, stamps), purchase_orders)
    db.commit()


def seed_purchase_orders(
    db: sqlite3.Connection,
    stamps: Stamps,
    rng: random.Random,
    ccids: dict[Combination, int],
    purchase_orders: int = PURCHASE_ORDERS,
) -> None:
    sites: dict[int, list[tuple[int, int]]] = {}
    for vendor_id, site_id, org_id in db.execute(
        """SELECT s.VENDOR_ID, ss.VENDOR_SITE_ID, ss.ORG_ID FROM AP_SUPPLIERS s
           JOIN AP_SUPPLIER_SITES_ALL ss ON ss.VENDOR_ID = s.VENDOR_ID
           WHERE s.ENABLED_FLAG = 'Y' AND s.END_DATE_ACTIVE IS NULL AND ss.PURCHASING_SITE_FLAG = 'Y'
             AND ss.INACTIVE_DATE IS NULL ORDER BY ss.VENDOR_SITE_ID"""
    ):
        sites.setdefault(org_id, []).append((vendor_id, site_id))
    if ORG_OF_HEADER not in sites:
        return
    # A contractor places most orders with a dozen subcontractors and suppliers.
    regulars = {org: rng.sample(found, min(12, len(found))) for org, found in sites.items()}
    orders = _Orders(db, rng, ccids)
    for index in range(GO_LIVE_ORDERS):
        created = stamps.go_live(20, 300)
        orders.add(index, created, regulars[ORG_OF_HEADER], approved=True)
    for index in range(purchase_orders):
        created = stamps.on(index * stamps.days // purchase_orders, 7, 18)
        org = OTHER_ORG if index == OTHER_UNIT and OTHER_ORG in regulars else ORG_OF_HEADER
        orders.add(
            index,
            created,
            regulars[org],
            approved=index % 5 != 3 or index in (CANCELLED, CLOSED, SPLIT, OTHER_UNIT),
            cancelled=index == CANCELLED,
            closed=index == CLOSED,
            split=index == SPLIT,
        )


class _Orders:
    def __init__(self, db: sqlite3.Connection, rng: random.Random, ccids: dict[Combination, int]):
        self.db, self.rng, self.ccids = db, rng, ccids
        self.accrual = ccids[chart.ACCRUAL]
        self.headers, self.lines, self.distributions = FIRST_HEADER_ID, FIRST_LINE_ID, FIRST_DISTRIBUTION_ID

    def add(self, index, created, vendors, *, approved, cancelled=False, closed=False, split=False) -> None:
        projects = list(chart.PROJECTS)
        project = projects[index % len(projects)]
        other = projects[(index + 1) % len(projects)]
        vendor_id, site_id = self.rng.choice(vendors)
        header_id, self.headers = self.headers, self.headers + 1
        org = self._org_of(site_id)
        changed = created + timedelta(seconds=self.rng.randrange(60, 3600))
        trades = []
        for line_num in range(1, (2 if split else self.rng.randint(1, 4)) + 1):
            account = self.rng.choice(list(chart.JOB_COST))
            trades.append(chart.JOB_COST[account][1])
            split_with = other if split and line_num == 1 else None
            self._line(header_id, line_num, account, project, org, created, cancelled, closed, split_with)
        insert(
            self.db,
            "PO_HEADERS_ALL",
            PO_HEADER_ID=header_id,
            SEGMENT1=str(FIRST_PO_NUMBER + header_id - FIRST_HEADER_ID),
            TYPE_LOOKUP_CODE="STANDARD",
            VENDOR_ID=vendor_id,
            VENDOR_SITE_ID=site_id,
            AGENT_ID=BUYER,
            ORG_ID=org,
            CURRENCY_CODE=chart.CURRENCY,
            AUTHORIZATION_STATUS="APPROVED" if approved else "INCOMPLETE",
            APPROVED_FLAG="Y" if approved else "N",
            APPROVED_DATE=text(changed) if approved else None,
            # Guess: a cancelled order keeps CLOSED_CODE OPEN and says so in CANCEL_FLAG (no page reached here
            # says whether cancelling also closes it).
            CLOSED_CODE="CLOSED" if closed else "OPEN",
            CLOSED_DATE=text(changed) if closed else None,
            CANCEL_FLAG="Y" if cancelled else "N",
            COMMENTS=f"{chart.PROJECTS[project]} - {', '.join(dict.fromkeys(trades))}"[:240],
            ATTRIBUTE_CATEGORY=None,
            ATTRIBUTE1=PROCORE_PROJECTS[project] if split or index % 5 == 1 else None,
            CREATION_DATE=text(created),
            LAST_UPDATE_DATE=text(changed),
        )

    def _org_of(self, site_id: int) -> int:
        return self.db.execute(
            "SELECT ORG_ID FROM AP_SUPPLIER_SITES_ALL WHERE VENDOR_SITE_ID = ?", (site_id,)
        ).fetchone()[0]

    def _line(self, header_id, line_num, account, project, org, created, cancelled, closed, split_with) -> None:
        division, name = chart.JOB_COST[account]
        lot = split_with is None and self.rng.random() < 0.3
        quantity = 1 if lot else self.rng.randint(2, 400)
        cents = self.rng.randrange(500_000, 25_000_000) if lot else self.rng.randrange(2_500, 250_000)
        line_id, self.lines = self.lines, self.lines + 1
        stamp = text(created + timedelta(seconds=self.rng.randrange(0, 3600)))
        insert(
            self.db,
            "PO_LINES_ALL",
            PO_LINE_ID=line_id,
            PO_HEADER_ID=header_id,
            LINE_NUM=line_num,
            LINE_TYPE_ID=1,  # Goods
            ITEM_ID=None,
            ITEM_DESCRIPTION=f"{name} - {self.rng.choice(SCOPES)}",
            CATEGORY_ID=None,
            UNIT_MEAS_LOOKUP_CODE="Lot" if lot else self.rng.choice(UNITS),
            UNIT_PRICE=str(Decimal(cents) / 100),
            QUANTITY=quantity,
            CANCEL_FLAG="Y" if cancelled else "N",
            CLOSED_CODE="CLOSED" if closed else "OPEN",
            ORG_ID=org,
            CREATION_DATE=text(created),
            LAST_UPDATE_DATE=stamp,
        )
        parts = [quantity]
        if split_with is not None or (quantity > 1 and self.rng.random() < 0.35):
            first = self.rng.randint(1, quantity - 1)
            parts = [first, quantity - first]
        for number, part in enumerate(parts, start=1):
            charged = split_with if split_with is not None and number == 2 else project
            distribution_id, self.distributions = self.distributions, self.distributions + 1
            insert(
                self.db,
                "PO_DISTRIBUTIONS_ALL",
                PO_DISTRIBUTION_ID=distribution_id,
                PO_HEADER_ID=header_id,
                PO_LINE_ID=line_id,
                LINE_LOCATION_ID=None,
                DISTRIBUTION_NUM=number,
                ORG_ID=org,
                SET_OF_BOOKS_ID=chart.LEDGER_ID,
                QUANTITY_ORDERED=part,
                QUANTITY_DELIVERED=0,
                QUANTITY_BILLED=0,
                QUANTITY_CANCELLED=part if cancelled else 0,
                CODE_COMBINATION_ID=self.ccids[(chart.COMPANY, charged, account, division)],
                ACCRUAL_ACCOUNT_ID=self.accrual,
                DESTINATION_TYPE_CODE="EXPENSE",
                CREATION_DATE=text(created),
                LAST_UPDATE_DATE=stamp,
            )
