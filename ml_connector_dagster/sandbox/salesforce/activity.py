"""The sandbox's sales team on a demo day: what reps do in Lightning after the connector has brought F&O's customers
and released products into the org. They sign new customers (no ERP key yet), win deals and lose some, and enter
orders and activate them, all through the emulator's validated write path as a UI user, so the Salesforce → F&O
flow has real work: closed-won deals and activated orders to turn into sales orders, new accounts to turn into
customers, and things it must leave alone (open or lost deals, draft orders) or park (a customer in France, where
no legal entity sells)."""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml_connector_dagster.sandbox.salesforce.emulator import SalesforceEmulator

# Reps write it on what they enter, so a second run finds the first run's records and only reports them.
NOTE = "Entered by the sandbox sales team"
FRANCE = "France"


@dataclass(frozen=True)
class _Country:
    catalogue: str  # the legal entity whose released products its reps sell
    streets: tuple[str, ...]
    places: tuple[tuple[str, str | None, str], ...]  # city, state, postal code
    phone: str


# The connector's rules resolve United States and Germany to a legal entity and France to none, so the one French
# account waits in dead letters with its deal; its rep quotes from the US catalogue.
_COUNTRIES = {
    "United States": _Country(
        "usmf",
        ("{n} Pike St", "{n} Oak Ave", "{n} Market St"),
        (("Seattle", "WA", "98104"), ("Portland", "OR", "97204"), ("Denver", "CO", "80202")),
        "+1 206 555 {n}",
    ),
    "Germany": _Country(
        "demf",
        ("Friedrichstraße {n}", "Ringstraße {n}"),
        (("Berlin", None, "10117"), ("Köln", None, "50667"), ("Stuttgart", None, "70173")),
        "+49 30 2{n}",
    ),
    FRANCE: _Country("usmf", ("{n} rue de la République",), (("Lyon", None, "69002"),), "+33 4 72 1{n}"),
}
_STEMS = ("Blue Yonder", "Trey Research", "Lucerne", "Humongous", "Relecloud", "Datum", "Bellows", "Lamna")
_TRADES = ("Audio", "Events", "Studios", "Hospitality", "Acoustics", "Theatres")
_PRICES = (12.0, 49.5, 99.5, 220.0, 310.0, 780.0, 1499.0)
_DISCOUNTS = (5.0, 10.0, 15.0)


def simulate_sales(
    emulator: "SalesforceEmulator", *, seed: int = 7, deals: int = 12, orders: int = 6, new_accounts: int = 6
) -> dict:
    """A day of the sales team, deterministic given the seed and the org's content; once done for a seed, calling
    again changes nothing and answers the same summary."""
    note = f"{NOTE} (seed {seed})"
    if not any(_summary(emulator, note).values()):
        _Team(emulator, random.Random(seed), note).work(deals, orders, new_accounts)
    return _summary(emulator, note)


def _summary(emulator: "SalesforceEmulator", note: str) -> dict:
    def entered(sobject: str) -> list[dict]:
        return _by_id([row for row in emulator.rows(sobject) if row["Description"] == note])

    opportunities, orders = entered("Opportunity"), entered("Order")
    return {
        "new_accounts": [row["Id"] for row in entered("Account")],
        "won_deals": [row["Id"] for row in opportunities if row["IsWon"]],
        "other_deals": [row["Id"] for row in opportunities if not row["IsWon"]],
        "activated_orders": [row["Id"] for row in orders if row["StatusCode"] == "Activated"],
        "draft_orders": [row["Id"] for row in orders if row["StatusCode"] != "Activated"],
    }


def legal_entity(erp_key: str | None) -> str | None:
    """`usmf/US-001` → `usmf`: the connector keys ERP records per legal entity."""
    entity, slash, _ = (erp_key or "").partition("/")
    return entity.lower() if slash and entity else None


class _Team:
    def __init__(self, emulator: "SalesforceEmulator", rng: random.Random, note: str):
        self.emulator = emulator
        self.rng = rng
        self.note = note
        self.today = emulator.clock.now().astimezone(UTC).date()
        [book] = emulator.rows("Pricebook2", IsStandard=True)
        self.book = book["Id"]
        self.entries: dict[str, dict] = {}  # product id → its active standard price

    def work(self, deals: int, orders: int, new_accounts: int) -> None:
        catalogue = self._catalogue()
        customers = [
            (row, catalogue[entity])
            for row in _by_id(self.emulator.rows("Account"))
            if (entity := legal_entity(row.get("ERP_Account_Number__c"))) in catalogue
        ]
        if not customers:
            raise ValueError(
                "no Account with an ERP key of a legal entity that has active products with ERP keys: "
                "sync F&O to Salesforce first"
            )
        prospects = [
            (row, catalogue[entity])
            for row in self._sign(new_accounts)
            if (entity := _COUNTRIES[row["BillingCountry"]].catalogue) in catalogue
        ]
        french = [pair for pair in prospects if pair[0]["BillingCountry"] == FRANCE][:deals]
        others = [pair for pair in prospects if pair[0]["BillingCountry"] != FRANCE]
        plan = french + self.rng.sample(others, min(len(others), deals // 4))
        plan += self.rng.choices(customers, k=deals - len(plan))
        self.rng.shuffle(plan)
        for account, products in plan:
            self._deal(account, products, "Closed Won")
        for stage in ("Prospecting", "Closed Lost"):
            self._deal(*self.rng.choice(customers), stage)
        for activate in [True] * orders + [False]:
            self._order(*self.rng.choice(customers), activate)

    def _catalogue(self) -> dict[str, list[dict]]:
        """Active products with an ERP key, by the legal entity that released them."""
        # Guess: Lightning's product picker offers active products only.
        products = defaultdict(list)
        for row in _by_id(self.emulator.rows("Product2", IsActive=True)):
            entity = legal_entity(row.get("ERP_Item_Number__c"))
            if entity:
                products[entity].append(row)
        return dict(products)

    def _sign(self, count: int) -> list[dict]:
        """New customers: mostly in the United States, some in Germany, one in France."""
        names = self.rng.sample([f"{stem} {trade}" for stem in _STEMS for trade in _TRADES], count)
        french_at = self.rng.randrange(count) if count else -1
        accounts = []
        for n, name in enumerate(names):
            country = FRANCE if n == french_at else "Germany" if n % 3 == 2 else "United States"
            where = _COUNTRIES[country]
            city, state, postal_code = self.rng.choice(where.places)
            phone = where.phone.format(n=self.rng.randint(1000, 9999)) if self.rng.random() < 0.7 else None
            accounts.append(
                {
                    "Name": name,
                    "BillingStreet": self.rng.choice(where.streets).format(n=self.rng.randint(1, 299)),
                    "BillingCity": city,
                    "BillingState": state,
                    "BillingPostalCode": postal_code,
                    "BillingCountry": country,
                    "Phone": phone,
                    "Description": self.note,
                }
            )
        return self.emulator.insert("Account", accounts)

    def _deal(self, account: dict, products: list[dict], stage: str) -> None:
        """The rep opens the deal, adds its products, then sets its final stage, as in Lightning."""
        entries = self._pick(products, 4)
        lines = [
            {
                "PricebookEntryId": entry["Id"],
                "Quantity": self.rng.randint(1, 20),
                "UnitPrice": entry["UnitPrice"],
                "Discount": self._discount(),
            }
            for entry in entries
        ]
        amount = sum(line["Quantity"] * line["UnitPrice"] * (1 - (line["Discount"] or 0) / 100) for line in lines)
        close = self.today if stage.startswith("Closed") else self.today + timedelta(days=30)
        # Guess: Negotiation/Review, a stage of the default sales process, is where a deal gets its products.
        [deal] = self.emulator.insert(
            "Opportunity",
            [
                {
                    "Name": f"{account['Name']} – {entries[0]['Name']}"[:120],
                    "AccountId": account["Id"],
                    "StageName": "Negotiation/Review",
                    "CloseDate": close.isoformat(),
                    "Pricebook2Id": self.book,
                    "Amount": round(amount, 2),
                    "Description": self.note,
                }
            ],
        )
        self.emulator.insert("OpportunityLineItem", [{"OpportunityId": deal["Id"], **line} for line in lines])
        self.emulator.edit("Opportunity", deal["Id"], {"StageName": stage})

    def _order(self, account: dict, products: list[dict], activate: bool) -> None:
        [order] = self.emulator.insert(
            "Order",
            [
                {
                    "AccountId": account["Id"],
                    "EffectiveDate": self.today.isoformat(),
                    "Status": "Draft",
                    "Pricebook2Id": self.book,
                    "PoNumber": f"PO-{self.rng.randint(10_000, 99_999)}",
                    "Description": self.note,
                }
            ],
        )
        self.emulator.insert(
            "OrderItem",
            [
                {
                    "OrderId": order["Id"],
                    "PricebookEntryId": entry["Id"],
                    "Quantity": self.rng.randint(1, 20),
                    "UnitPrice": entry["UnitPrice"],
                }
                for entry in self._pick(products, 3)
            ],
        )
        if activate:
            self.emulator.edit("Order", order["Id"], {"Status": "Activated"})

    def _pick(self, products: list[dict], most: int) -> list[dict]:
        chosen = self.rng.sample(products, min(self.rng.randint(1, most), len(products)))
        return [self._standard_price(product) for product in chosen]

    def _discount(self) -> float | None:
        return self.rng.choice(_DISCOUNTS) if self.rng.random() < 0.3 else None

    def _standard_price(self, product: dict) -> dict:
        """The product's active standard price book entry: the one it has, reactivated, or a new one."""
        if product["Id"] not in self.entries:
            standard = _by_id(self.emulator.rows("PricebookEntry", Product2Id=product["Id"], Pricebook2Id=self.book))
            entry = next((row for row in standard if row["IsActive"]), None)
            if entry is None and standard:
                entry = self.emulator.edit("PricebookEntry", standard[0]["Id"], {"IsActive": True})
            if entry is None:
                [entry] = self.emulator.insert(
                    "PricebookEntry",
                    [
                        {
                            "Pricebook2Id": self.book,
                            "Product2Id": product["Id"],
                            "UnitPrice": self.rng.choice(_PRICES),
                            "IsActive": True,
                        }
                    ],
                )
            self.entries[product["Id"]] = entry
        return self.entries[product["Id"]]


def _by_id(rows: list[dict]) -> list[dict]:
    """Ids grow with each record made, so this is the order they were made in, whatever order the store loads."""
    return sorted(rows, key=lambda row: row["Id"])
