"""Deterministic JDE seed: customers (AT1 C) with their F03012 record, suppliers (AT1 V), each with an address,
a phone and an e-mail on who's-who line 0, and contacts (who's-who lines from 1) with e-mails and phones. Some
awkward values real address books hold: non-ASCII names, an alpha name at the full 40 characters, a blank e-mail.

Same seed, same data, whatever the clock says: UPMJ/UPMT are spread over the seeded days; dormant records were last
changed before the first of them.
"""

import random
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from ml_connector_dagster.sandbox.jde.schema import insert
from ml_connector_dagster.sandbox.oracle_ebs.seed import FIRST, LAST, PLACES, STEMS, STREETS, SUFFIXES, TRADES

PAYMENT_TERMS = {"N30": "Net 30 days", "N45": "Net 45 days", "N60": "Net 60 days", "2N1": "2% 10 Net 30", "COD": "Cash"}
COUNTRIES = ("US", "DE", "PL", "BR", "CH", "FR", "CA", "SE", "NO", "TR", "GB", "MX", "JP", "IT", "ES", "NL")
CATEGORIES = ("RET", "WHO", "DIS", "OEM", "")
INDUSTRIES = ("5045", "5063", "2834", "3711", "7372", "")
TITLES = ("Accounts Payable Clerk", "Purchasing Manager", "CFO", "Buyer", "")
FIRST_NUMBER = 4001  # address numbers of the seed; the next-number sequence goes on after the last
FULL_NAME = "Ærøskøbing Maritime Engineering Holdings"  # an alpha name at F0101.ALPH's 40 characters


@dataclass(frozen=True)
class SeedSize:
    customers: int
    vendors: int
    start_date: date
    days: int
    dormant: int


def seed(db: sqlite3.Connection, size: SeedSize, seed_value: int) -> None:
    _Seeder(db, size, random.Random(seed_value)).run()


class _Seeder:
    def __init__(self, db: sqlite3.Connection, size: SeedSize, rng: random.Random):
        self.db, self.size, self.rng = db, size, rng

    def run(self) -> None:
        for code, description in PAYMENT_TERMS.items():
            insert(self.db, "F0014", {"PTC": code, "PTD": description})
        number = FIRST_NUMBER
        kinds = ["C"] * self.size.customers + ["V"] * self.size.vendors + ["C"] * self.size.dormant
        for index, kind in enumerate(kinds):
            dormant = index >= self.size.customers + self.size.vendors
            self.address(number, kind, index, self.stamp(dormant))
            number += 1

    def stamp(self, dormant: bool) -> tuple[int, int]:
        if dormant:
            day = self.size.start_date - timedelta(days=self.rng.randrange(30, 900))
        else:
            day = self.size.start_date + timedelta(days=self.rng.randrange(self.size.days))
        seconds = self.rng.randrange(86400)
        julian = (day.year - 1900) * 1000 + day.timetuple().tm_yday
        return julian, seconds // 3600 * 10000 + seconds % 3600 // 60 * 100 + seconds % 60

    def address(self, an8: int, kind: str, index: int, stamp: tuple[int, int]) -> None:
        rng = self.rng
        name = FULL_NAME if index == 3 else f"{rng.choice(STEMS)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)}"[:40]
        upmj, upmt = stamp
        stamped = {"UPMJ": upmj, "UPMT": upmt}
        city, state, _, postal, _, country = rng.choice(PLACES)
        insert(
            self.db,
            "F0101",
            {
                "AN8": an8,
                "ALKY": f"{kind}{an8}",
                "ALPH": name,
                "AT1": kind,
                "TAX": f"{rng.randrange(10**8, 10**9)}" if rng.random() < 0.9 else "",
                "SIC": rng.choice(INDUSTRIES),
                "AC01": "",
                "AC02": "",
                "PA8": 0,
                "USER": "JDE",
                **stamped,
            },
        )
        insert(self.db, "F0111", {"AN8": an8, "IDLN": 0, "MLNM": name, "GNNM": "", "SRNM": "", "ATTL": "", **stamped})
        insert(
            self.db,
            "F0116",
            {
                "AN8": an8,
                "EFTB": (self.size.start_date.year - 1902) * 1000 + 1,  # in force for two years
                "ADD1": f"{rng.randrange(1, 300)} {rng.choice(STREETS)}",
                "ADD2": "",
                "ADD3": "",
                "ADD4": "",
                "ADDZ": postal,
                "CTY1": city[:25],
                "ADDS": state or "",
                "CTR": country,
                **stamped,
            },
        )
        self.channels(an8, 0, name, blank_email=index == 5, stamped=stamped)
        if kind == "C":
            insert(
                self.db,
                "F03012",
                {
                    "AN8": an8,
                    "CO": "00001",
                    "ACL": rng.choice((0, 5000, 25000, 100000, 250000.5)),
                    "TRAR": rng.choice(list(PAYMENT_TERMS)),
                    "CRCD": "USD",
                    "AC01": rng.choice(CATEGORIES),
                    "AC02": rng.choice(CATEGORIES),
                    "HDAR": "N",
                    **stamped,
                },
            )
            for line in range(1, rng.randrange(0, 4) + 1):
                self.contact(an8, line, stamped)

    def contact(self, an8: int, line: int, stamped: dict) -> None:
        given, surname = self.rng.choice(FIRST), self.rng.choice(LAST)
        insert(
            self.db,
            "F0111",
            {
                "AN8": an8,
                "IDLN": line,
                "MLNM": f"{given} {surname}",
                "GNNM": given,
                "SRNM": surname,
                "ATTL": self.rng.choice(TITLES),
                **stamped,
            },
        )
        self.channels(an8, line, f"{given}.{surname}", blank_email=False, stamped=stamped)

    def channels(self, an8: int, line: int, name: str, *, blank_email: bool, stamped: dict) -> None:
        local = "".join(c for c in name.lower() if c.isascii() and c.isalnum() or c == ".").strip(".") or "info"
        email = "" if blank_email else f"{local}@example{an8 % 7}.com"
        insert(self.db, "F01151", {"AN8": an8, "IDLN": line, "RCK7": 1, "ETP": "E", "EMAL": email, **stamped})
        phone = f"555-{self.rng.randrange(1000, 9999)}"
        insert(
            self.db,
            "F0115",
            {
                "AN8": an8,
                "IDLN": line,
                "RCK7": 1,
                "PHTP": "",
                "AR1": f"{self.rng.randrange(200, 999)}",
                "PH1": phone,
                **stamped,
            },
        )
