"""Deterministic seed data: customers, suppliers, sites, hierarchies and contacts, with the mess real EBS
instances have (names longer than Dataverse allows, blank names, broken e-mails, contacts without a last name,
inactive parties and accounts, sites in another operating unit, non-ASCII everywhere).

Same seed, same data, whatever the clock says: change stamps are spread over the seeded days, never "now".
Mess goes only to parties that are neither parents nor have contacts, so every record the target refuses is refused
for its own content (a validation dead letter), never because a relative was refused.
"""

import random
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

STEMS = (
    "Müller",
    "Société Générale des Eaux",
    "Łódź Metalworks",
    "São Paulo Comércio",
    "Nordström",
    "Ærø Shipping",
    "Çelik Yapı",
    "Zürich Präzision",
    "Kraków Młyn",
    "Øresund Fisk",
    "Acme",
    "Northwind",
    "Fabrikam",
    "Contoso",
    "Globex",
    "Initech",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Proseware",
    "Adventure Works",
    "Wide World",
    "Alpine Ski",
    "Coho Vineyard",
    "Fourth Coffee",
    "Blue Yonder",
    "Lucerne",
    "Margie's Travel",
    "Datum",
    "Trey Research",
    "Humongous",
    "Graphic Design",
    "Southridge",
    "Relecloud",
    "VanArsdel",
    "Bellows College",
)
TRADES = (
    "Logistics",
    "Industries",
    "Holdings",
    "Foods",
    "Engineering",
    "Trading",
    "Electric",
    "Pharma",
    "Textiles",
    "Supply",
    "Construction",
    "Software",
    "Médical",
    "Énergie",
    "Bau",
    "Chemie",
)
SUFFIXES = ("Ltd", "GmbH", "S.A.", "Inc.", "Sp. z o.o.", "AB", "Ltda", "KG", "PLC", "LLC", "SARL", "A/S")
PLACES = (  # city, state, province, postal code, county, country
    ("Redmond", "WA", None, "98052", "King", "US"),
    ("München", None, None, "80331", None, "DE"),
    ("Łódź", None, None, "90-001", None, "PL"),
    ("São Paulo", "SP", None, "01000-000", None, "BR"),
    ("Zürich", None, None, "8001", None, "CH"),
    ("Lyon", None, None, "69001", None, "FR"),
    ("Toronto", None, "ON", "M5H 2N2", None, "CA"),
    ("Göteborg", None, None, "411 01", None, "SE"),
    ("Austin", "TX", None, "73301", "Travis", "US"),
    ("Kraków", None, None, "30-001", None, "PL"),
    ("Bergen", None, None, "5003", None, "NO"),
    ("Istanbul", None, None, "34000", None, "TR"),
)
STREETS = (
    "Hauptstraße",
    "Rue de la République",
    "ul. Piotrkowska",
    "Avenida Paulista",
    "Main St",
    "Bahnhofstrasse",
    "King St W",
    "Kungsgatan",
    "Congress Ave",
    "Rynek Główny",
    "Bryggen",
    "İstiklal Caddesi",
)
FIRST = ("Anna", "José", "Zoë", "Łukasz", "Søren", "Ines", "Mohammed", "Chloé", "Jürgen", "Priya", "Wei", "Olga")
LAST = (
    "Nowak",
    "García",
    "Müller",
    "Ødegaard",
    "Dubois",
    "Kowalski",
    "Smith",
    "Yılmaz",
    "Andersson",
    "Rossi",
    "O'Brien",
    "Fernández",
)
TITLES = ("Accounts Payable Clerk", "Purchasing Manager", "CFO", "Buyer", "Controller", None)
ORG_OF_HEADER, OTHER_ORG = 204, 458


@dataclass(frozen=True)
class SeedSize:
    parties: int
    vendors: int
    start_date: date
    days: int
    dormant: int = 0  # organizations (with accounts, sites, contacts) last changed before start_date


class _Ids:
    def __init__(self) -> None:
        self._next = {
            "party": 1000,
            "account": 3000,
            "location": 5000,
            "site": 7000,
            "acct_site": 9000,
            "use": 11000,
            "rel": 13000,
            "org_contact": 15000,
            "point": 17000,
            "vendor": 19000,
            "vendor_site": 21000,
        }

    def __call__(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind]


def seed(db: sqlite3.Connection, size: SeedSize, seed_value: int) -> None:
    _Seeder(db, size, random.Random(seed_value)).run()


class _Seeder:
    def __init__(self, db: sqlite3.Connection, size: SeedSize, rng: random.Random):
        self.db, self.size, self.rng, self.id = db, size, rng, _Ids()
        self.first_day = datetime.combine(size.start_date, datetime.min.time())
        self.stamp_from, self.stamp_days = self.first_day, size.days  # where change stamps fall

    def stamp(self) -> str:
        days = self.rng.randrange(self.stamp_days)
        return _text(self.stamp_from + timedelta(days=days, seconds=self.rng.randrange(86400)))

    def created(self) -> str:
        return _text(self.stamp_from - timedelta(days=self.rng.randrange(30, 3000)))

    def insert(self, table: str, **row) -> None:
        self.db.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
        )

    def run(self) -> None:
        clean: list[int] = []
        for index in range(self.size.parties):
            party_id = self.organization(index, clean)
            if index % 10 != 9:
                clean.append(party_id)
        for party_id in clean:
            if self.rng.random() < 0.5:
                for _ in range(self.rng.randint(1, 3)):
                    self.contact(party_id)
        self.hierarchies(clean)
        self.suppliers(clean)
        self.dormant()

    def dormant(self) -> None:
        """Organizations nobody has touched for months before the start date, as most masters are at go-live: no
        day's window reads them, only the initial load. Drawn after everything else, so the rest of the seed is the
        same with or without them."""
        self.stamp_from, self.stamp_days = self.first_day - timedelta(days=1000), 900
        for index in range(self.size.parties, self.size.parties + self.size.dormant):
            party_id = self.organization(index, [])
            if index % 10 != 9 and self.rng.random() < 0.5:
                self.contact(party_id)

    # customers ---------------------------------------------------------------------------------------------------
    def name(self) -> str:
        return f"{self.rng.choice(STEMS)} {self.rng.choice(TRADES)} {self.rng.choice(SUFFIXES)}"

    def organization(self, index: int, clean: list[int]) -> int:
        party_id, stamp = self.id("party"), self.stamp()
        messy = index % 10 == 9
        name, status, email = self.name(), "A", None
        if self.rng.random() < 0.6:
            email = f"ap{party_id}@{name.split()[0].lower().encode('ascii', 'ignore').decode() or 'mail'}.example"
        if messy:
            kind = (index // 10) % 5
            if kind == 0:  # EBS allows 360 characters, Dataverse 160
                name = " ".join([name] + [self.rng.choice(TRADES) for _ in range(30)])[: self.rng.randint(170, 360)]
            elif kind == 1 and index < 200:
                name = "   "
            elif kind == 2:
                email = f"accounts(at){name.split()[0].lower()}.example"
            elif kind == 3:
                status = "I"
        place = self.rng.choice(PLACES)
        street = f"{self.rng.randint(1, 250)} {self.rng.choice(STREETS)}"
        has_phone = self.rng.random() < 0.7
        self.insert(
            "HZ_PARTIES",
            PARTY_ID=party_id,
            PARTY_NUMBER=str(party_id),
            PARTY_NAME=name,
            PARTY_TYPE="ORGANIZATION",
            STATUS=status,
            JGZZ_FISCAL_CODE=f"TX{party_id:08}",
            TAX_REFERENCE=f"EU{party_id:09}" if self.rng.random() < 0.4 else None,
            EMAIL_ADDRESS=email,
            PRIMARY_PHONE_COUNTRY_CODE="1" if has_phone else None,
            PRIMARY_PHONE_AREA_CODE=str(self.rng.randint(200, 999)) if has_phone else None,
            PRIMARY_PHONE_NUMBER=f"555-{self.rng.randint(0, 9999):04}" if has_phone else None,
            URL=f"https://www.example.com/{party_id}" if self.rng.random() < 0.3 else None,
            ADDRESS1=street,
            CITY=place[0],
            STATE=place[1],
            PROVINCE=place[2],
            POSTAL_CODE=place[3],
            COUNTRY=place[5],
            OBJECT_VERSION_NUMBER=1,
            CREATION_DATE=self.created(),
            LAST_UPDATE_DATE=stamp,
        )
        prospect = messy and (index // 10) % 5 == 4
        if not prospect:
            account_id = self.id("account")
            self.insert(
                "HZ_CUST_ACCOUNTS",
                CUST_ACCOUNT_ID=account_id,
                PARTY_ID=party_id,
                ACCOUNT_NUMBER=f"C{account_id}",
                ACCOUNT_NAME=name[:240],
                STATUS="I" if messy and self.rng.random() < 0.3 else "A",
                CUSTOMER_TYPE="R",
                CUSTOMER_CLASS_CODE=self.rng.choice(("COMMERCIAL", "PUBLIC SECTOR", None)),
                OBJECT_VERSION_NUMBER=1,
                CREATION_DATE=self.created(),
                LAST_UPDATE_DATE=self.stamp(),
            )
            for number in range(self.rng.randint(1, 3)):
                self.site(party_id, account_id, identifying=number == 0, bill_to=number == 0)
        else:
            self.site(party_id, None, identifying=True, bill_to=False)
        return party_id

    def site(self, party_id: int, account_id: int | None, *, identifying: bool, bill_to: bool) -> None:
        place = self.rng.choice(PLACES)
        location_id, site_id = self.id("location"), self.id("site")
        self.insert(
            "HZ_LOCATIONS",
            LOCATION_ID=location_id,
            ADDRESS1=f"{self.rng.randint(1, 250)} {self.rng.choice(STREETS)}",
            ADDRESS2=f"Building {self.rng.randint(1, 9)}" if self.rng.random() < 0.3 else None,
            ADDRESS3="c/o Accounts Payable" if self.rng.random() < 0.1 else None,
            ADDRESS4="Dock 4" if self.rng.random() < 0.05 else None,
            CITY=place[0],
            STATE=place[1],
            PROVINCE=place[2],
            POSTAL_CODE=place[3],
            COUNTY=place[4],
            COUNTRY=place[5],
            OBJECT_VERSION_NUMBER=1,
            LAST_UPDATE_DATE=self.stamp(),
        )
        self.insert(
            "HZ_PARTY_SITES",
            PARTY_SITE_ID=site_id,
            PARTY_ID=party_id,
            LOCATION_ID=location_id,
            PARTY_SITE_NUMBER=str(site_id),
            PARTY_SITE_NAME=None,
            IDENTIFYING_ADDRESS_FLAG="Y" if identifying else "N",
            STATUS="A",
            OBJECT_VERSION_NUMBER=1,
            LAST_UPDATE_DATE=self.stamp(),
        )
        if account_id is None:
            return
        org = OTHER_ORG if self.rng.random() < 0.1 else ORG_OF_HEADER
        acct_site = self.id("acct_site")
        self.insert(
            "HZ_CUST_ACCT_SITES_ALL",
            CUST_ACCT_SITE_ID=acct_site,
            CUST_ACCOUNT_ID=account_id,
            PARTY_SITE_ID=site_id,
            ORG_ID=org,
            STATUS="A",
            BILL_TO_FLAG="P" if bill_to else "Y",
            SHIP_TO_FLAG="Y",
            OBJECT_VERSION_NUMBER=1,
            LAST_UPDATE_DATE=self.stamp(),
        )
        for code, primary in (("BILL_TO", bill_to), ("SHIP_TO", self.rng.random() < 0.5)):
            self.insert(
                "HZ_CUST_SITE_USES_ALL",
                SITE_USE_ID=self.id("use"),
                CUST_ACCT_SITE_ID=acct_site,
                SITE_USE_CODE=code,
                PRIMARY_FLAG="Y" if primary else "N",
                STATUS="A",
                LOCATION=f"{code}-{acct_site}",
                ORG_ID=org,
                OBJECT_VERSION_NUMBER=1,
                LAST_UPDATE_DATE=self.stamp(),
            )

    def relationship(
        self, subject: int, subject_type: str, obj: int, code: str, backward: str, rel_type: str, party_id: int | None
    ) -> int:
        rel_id, stamp = self.id("rel"), self.stamp()
        for flag, (sid, stype), (oid, otype), rcode in (
            ("F", (subject, subject_type), (obj, "ORGANIZATION"), code),
            ("B", (obj, "ORGANIZATION"), (subject, subject_type), backward),
        ):
            self.insert(
                "HZ_RELATIONSHIPS",
                RELATIONSHIP_ID=rel_id,
                SUBJECT_ID=sid,
                SUBJECT_TYPE=stype,
                SUBJECT_TABLE_NAME="HZ_PARTIES",
                OBJECT_ID=oid,
                OBJECT_TYPE=otype,
                OBJECT_TABLE_NAME="HZ_PARTIES",
                RELATIONSHIP_TYPE=rel_type,
                RELATIONSHIP_CODE=rcode,
                DIRECTIONAL_FLAG=flag,
                PARTY_ID=party_id,
                STATUS="A",
                START_DATE=_text(self.first_day - timedelta(days=400)),
                END_DATE=None,
                OBJECT_VERSION_NUMBER=1,
                LAST_UPDATE_DATE=stamp,
            )
        return rel_id

    def hierarchies(self, clean: list[int]) -> None:
        for position, party_id in enumerate(clean):
            if position > 10 and self.rng.random() < 0.05:
                parent = self.rng.choice(clean[:position])
                self.relationship(
                    party_id, "ORGANIZATION", parent, "SUBSIDIARY_OF", "PARENT_OF", "PARENT_COMPANY", None
                )

    # contacts ----------------------------------------------------------------------------------------------------
    def contact(self, org_party_id: int) -> None:
        person_id, rel_party_id = self.id("party"), self.id("party")
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        missing_last = self.rng.random() < 0.02
        self.insert(
            "HZ_PARTIES",
            PARTY_ID=person_id,
            PARTY_NUMBER=str(person_id),
            PARTY_NAME=f"{first} {last}",
            PARTY_TYPE="PERSON",
            STATUS="A",
            PERSON_FIRST_NAME=first,
            PERSON_LAST_NAME=None if missing_last else last,
            OBJECT_VERSION_NUMBER=1,
            CREATION_DATE=self.created(),
            LAST_UPDATE_DATE=self.stamp(),
        )
        self.insert(
            "HZ_PARTIES",
            PARTY_ID=rel_party_id,
            PARTY_NUMBER=f"{person_id}-{org_party_id}",
            PARTY_NAME=f"{first} {last}-{org_party_id}",
            PARTY_TYPE="PARTY_RELATIONSHIP",
            STATUS="A",
            OBJECT_VERSION_NUMBER=1,
            CREATION_DATE=self.created(),
            LAST_UPDATE_DATE=self.stamp(),
        )
        rel_id = self.relationship(person_id, "PERSON", org_party_id, "CONTACT_OF", "CONTACT", "CONTACT", rel_party_id)
        self.insert(
            "HZ_ORG_CONTACTS",
            ORG_CONTACT_ID=self.id("org_contact"),
            PARTY_RELATIONSHIP_ID=rel_id,
            CONTACT_NUMBER=str(rel_id),
            JOB_TITLE=self.rng.choice(TITLES),
            DEPARTMENT=self.rng.choice(("Finance", "Procurement", None)),
            STATUS="A",
            OBJECT_VERSION_NUMBER=1,
            LAST_UPDATE_DATE=self.stamp(),
        )
        ascii_last = last.encode("ascii", "ignore").decode().replace("'", "").lower()
        email = f"{first.encode('ascii', 'ignore').decode().lower()}.{ascii_last}@example.com"
        if self.rng.random() < 0.02:
            email = email.replace("@", " at ")
        points = [("EMAIL", None, email), ("PHONE", "GEN", None)]
        if self.rng.random() < 0.4:
            points.append(("PHONE", "MOBILE", None))
        for kind, line_type, address in points:
            self.insert(
                "HZ_CONTACT_POINTS",
                CONTACT_POINT_ID=self.id("point"),
                CONTACT_POINT_TYPE=kind,
                OWNER_TABLE_NAME="HZ_PARTIES",
                OWNER_TABLE_ID=rel_party_id,
                PRIMARY_FLAG="Y",
                STATUS="A",
                EMAIL_ADDRESS=address,
                PHONE_COUNTRY_CODE="44" if kind == "PHONE" else None,
                PHONE_AREA_CODE="20" if kind == "PHONE" else None,
                PHONE_NUMBER=f"7946 {self.rng.randint(0, 9999):04}" if kind == "PHONE" else None,
                PHONE_LINE_TYPE=line_type,
                OBJECT_VERSION_NUMBER=1,
                LAST_UPDATE_DATE=self.stamp(),
            )

    # suppliers ---------------------------------------------------------------------------------------------------
    def suppliers(self, clean: list[int]) -> None:
        customers_too = self.rng.sample(clean, min(len(clean), self.size.vendors // 4))
        active: list[int] = []
        for index in range(self.size.vendors):
            if index < len(customers_too):
                party_id = customers_too[index]
            else:
                party_id = self.id("party")
                self.insert(
                    "HZ_PARTIES",
                    PARTY_ID=party_id,
                    PARTY_NUMBER=str(party_id),
                    PARTY_NAME=self.name(),
                    PARTY_TYPE="ORGANIZATION",
                    STATUS="A",
                    OBJECT_VERSION_NUMBER=1,
                    CREATION_DATE=self.created(),
                    LAST_UPDATE_DATE=self.stamp(),
                )
            vendor_id = self.id("vendor")
            name = self.db.execute("SELECT PARTY_NAME FROM HZ_PARTIES WHERE PARTY_ID = ?", (party_id,)).fetchone()[0]
            disabled, ended, ending = index % 29 == 17, index % 31 == 19, index % 37 == 23
            parent = self.rng.choice(active) if active and self.rng.random() < 0.04 else None
            self.insert(
                "AP_SUPPLIERS",
                VENDOR_ID=vendor_id,
                SEGMENT1=str(vendor_id),
                VENDOR_NAME=name[:240],
                VENDOR_NAME_ALT=None,
                VENDOR_TYPE_LOOKUP_CODE="VENDOR",
                PARTY_ID=party_id,
                NUM_1099=f"{self.rng.randint(10, 99)}-{self.rng.randint(1000000, 9999999)}"
                if self.rng.random() < 0.3
                else None,
                VAT_REGISTRATION_NUM=f"VAT{vendor_id}" if self.rng.random() < 0.5 else None,
                ENABLED_FLAG="N" if disabled else "Y",
                START_DATE_ACTIVE=_text(self.first_day - timedelta(900)),
                END_DATE_ACTIVE=_text(self.first_day - timedelta(days=10))
                if ended
                # ends on a seeded day after the first, unedited: that day's run must see it
                else _text(self.first_day + timedelta(days=1 + index % max(1, self.size.days - 1)))
                if ending
                else None,
                PARENT_VENDOR_ID=parent,
                TERMS_ID=10000,
                CREATION_DATE=self.created(),
                LAST_UPDATE_DATE=self.stamp(),
            )
            if not (disabled or ended):
                active.append(vendor_id)
            for number in range(self.rng.randint(1, 2)):
                self.vendor_site(vendor_id, primary=number == 0)

    def vendor_site(self, vendor_id: int, *, primary: bool) -> None:
        place = self.rng.choice(PLACES)
        site_id = self.id("vendor_site")
        self.insert(
            "AP_SUPPLIER_SITES_ALL",
            VENDOR_SITE_ID=site_id,
            VENDOR_ID=vendor_id,
            VENDOR_SITE_CODE=("HQ" if primary else f"SITE{site_id}"),
            ORG_ID=OTHER_ORG if self.rng.random() < 0.1 else ORG_OF_HEADER,
            ADDRESS_LINE1=f"{self.rng.randint(1, 250)} {self.rng.choice(STREETS)}",
            ADDRESS_LINE2=None,
            ADDRESS_LINE3=None,
            ADDRESS_LINE4=None,
            CITY=place[0],
            STATE=place[1],
            ZIP=place[3],
            PROVINCE=place[2],
            COUNTRY=place[5],
            PAY_SITE_FLAG="Y",
            PURCHASING_SITE_FLAG="Y",
            PRIMARY_PAY_SITE_FLAG="Y" if primary else "N",
            INACTIVE_DATE=None,
            EMAIL_ADDRESS=f"remit{site_id}@supplier.example" if self.rng.random() < 0.5 else None,
            AREA_CODE=str(self.rng.randint(200, 999)),
            PHONE=f"555-{self.rng.randint(0, 9999):04}",
            LAST_UPDATE_DATE=self.stamp(),
        )


def _text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
