"""The sandbox orgs' starting records, the same for a given seed: in `us`, prospects the sales team entered in Zoho
(no JDE_Address_Number: they were never in JD Edwards) with their contacts, some with awkward values (non-ASCII,
fields at their maximum length); in `eu`, a couple. Seeded through the same writes as the API, as the sales rep."""

import random

from ml_connector_dagster.sandbox.zoho_crm.org import HUMAN_USER, Org
from ml_connector_dagster.sandbox.zoho_crm.schema import ACCOUNTS, CONTACTS
from ml_connector_dagster.sandbox.zoho_crm.writes import Changed, Writes

_NAMES = [
    "Acme Robotics",
    "Łódź Maszyny Sp. z o.o.",
    "Café Noir SARL",
    "Nordic Fjord AS",
    "Müller & Söhne GmbH",
    "São Paulo Têxteis Ltda",
    "Blue Harbor Logistics",
    "日本精機株式会社",
    "O'Brien Hardware",
    "Zenith Foods",
]
_CITIES = ["Austin", "Łódź", "Lyon", "Bergen", "Köln", "São Paulo", "Seattle", "大阪", "Dublin", "Denver"]
_FIRST = ["Ana", "Zoë", "Jürgen", "Siobhán", "Kenji", "Łukasz", "Maria", "Émile"]
_LAST = ["García", "Nowak", "O'Neil", "Müller", "Tanaka", "Øster", "Smith", "Dubois"]


def seed(org: Org, changed: Changed, accounts: int, seed_value: int) -> None:
    if org.records(ACCOUNTS):
        return
    rng = random.Random(f"{seed_value}.{org.dc}")
    rows = []
    for n in range(accounts):
        rows.append(
            {
                "Account_Name": f"{_NAMES[n % len(_NAMES)]}{'' if n < len(_NAMES) else f' {n // len(_NAMES) + 1}'}",
                "Account_Type": "Prospect",
                "Industry": rng.choice(["Manufacturing", "Retail", "Logistics", "Food & Beverage"]),
                "Phone": f"+1 512 555 {rng.randrange(10000):04d}",
                "Billing_City": _CITIES[n % len(_CITIES)],
                "Billing_Country": rng.choice(["US", "PL", "FR", "NO", "DE", "BR", "JP", "IE"]),
                "Account_Email": f"sales{n}@prospect{n}.example.com",
            }
        )
    if accounts:
        # The longest values the fields take: a client must neither cut nor refuse them.
        rows[0] |= {"Account_Name": "Ä" * 200, "Billing_City": "é" * 30, "Description": "📦" * 32000}
    created = Writes(org, ACCOUNTS, HUMAN_USER, changed).insert(rows)
    contacts = []
    for n, result in enumerate(created):
        for k in range(1 + n % 2):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            contacts.append(
                {
                    "First_Name": first,
                    "Last_Name": last if n else "ß" * 80,
                    "Email": f"{first.lower()}.{k}{n}@prospect{n}.example.com".encode("ascii", "ignore").decode(),
                    "Title": rng.choice(["Buyer", "CFO", "Head of Procurement", "Owner"]),
                    "Account_Name": {"id": result["details"]["id"]},
                }
            )
    Writes(org, CONTACTS, HUMAN_USER, changed).insert(contacts)
