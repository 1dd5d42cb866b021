"""The JDE tables the emulator serves, by data service alias (erp_sources.md §3.5; the physical columns carry a
two-letter prefix AIS does not show). Kinds: N number, S string, D Julian date (CYYDDD), T time (HHMMSS)."""

import sqlite3

# table: (title, primary key, {alias: (kind, description)})
TABLES: dict[str, tuple[str, tuple[str, ...], dict[str, tuple[str, str]]]] = {
    "F0101": (
        "Address Book Master",
        ("AN8",),
        {
            "AN8": ("N", "Address Number"),
            "ALKY": ("S", "Long Address Number"),
            "ALPH": ("S", "Alpha Name"),
            "AT1": ("S", "Sch Typ"),
            "TAX": ("S", "Tax ID"),
            "SIC": ("S", "Industry Class"),
            "AC01": ("S", "Category Code 01"),
            "AC02": ("S", "Category Code 02"),
            "PA8": ("N", "Parent Number"),
            "UPMJ": ("D", "Date Updated"),
            "UPMT": ("T", "Time Last Updated"),
            "USER": ("S", "User ID"),
        },
    ),
    "F03012": (
        "Customer Master by Line of Business",
        ("AN8", "CO"),
        {
            "AN8": ("N", "Address Number"),
            "CO": ("S", "Company"),
            "ACL": ("N", "Credit Limit"),
            "TRAR": ("S", "Payment Terms - A/R"),
            "CRCD": ("S", "Currency Code"),
            "AC01": ("S", "Category Code - Customer 01"),
            "AC02": ("S", "Category Code - Customer 02"),
            "HDAR": ("S", "Hold Invoices"),
            "UPMJ": ("D", "Date Updated"),
            "UPMT": ("T", "Time Last Updated"),
        },
    ),
    "F0111": (
        "Address Book - Who's Who",
        ("AN8", "IDLN"),
        {
            "AN8": ("N", "Address Number"),
            "IDLN": ("N", "Who's Who Line Number"),
            "MLNM": ("S", "Mailing Name"),
            "GNNM": ("S", "Given Name"),
            "SRNM": ("S", "Surname"),
            "ATTL": ("S", "Title"),
            "UPMJ": ("D", "Date Updated"),
            "UPMT": ("T", "Time Last Updated"),
        },
    ),
    "F0116": (
        "Address by Date",
        ("AN8", "EFTB"),
        {
            "AN8": ("N", "Address Number"),
            "EFTB": ("D", "Beginning Effective Date"),
            **{f"ADD{n}": ("S", f"Address Line {n}") for n in range(1, 5)},
            "ADDZ": ("S", "Postal Code"),
            "CTY1": ("S", "City"),
            "ADDS": ("S", "State"),
            "CTR": ("S", "Country"),
            "UPMJ": ("D", "Date Updated"),
            "UPMT": ("T", "Time Last Updated"),
        },
    ),
    "F0115": (
        "Address Book - Contact Phone Numbers",
        ("AN8", "IDLN", "RCK7"),
        {
            "AN8": ("N", "Address Number"),
            "IDLN": ("N", "Who's Who Line Number"),
            "RCK7": ("N", "Line Number"),
            "PHTP": ("S", "Phone Type"),
            "AR1": ("S", "Prefix"),
            "PH1": ("S", "Phone Number"),
            "UPMJ": ("D", "Date Updated"),
            "UPMT": ("T", "Time Last Updated"),
        },
    ),
    "F01151": (
        "Electronic Address",
        ("AN8", "IDLN", "RCK7"),
        {
            "AN8": ("N", "Address Number"),
            "IDLN": ("N", "Who's Who Line Number"),
            "RCK7": ("N", "Line Number"),
            "ETP": ("S", "Electronic Address Type"),
            "EMAL": ("S", "Electronic Address"),
            "UPMJ": ("D", "Date Updated"),
            "UPMT": ("T", "Time Last Updated"),
        },
    ),
    "F0014": (
        "Payment Terms",
        ("PTC",),
        {"PTC": ("S", "Payment Terms Code"), "PTD": ("S", "Description")},
    ),
}


def columns(table: str) -> dict[str, tuple[str, str]]:
    return TABLES[table][2]


def key(table: str) -> tuple[str, ...]:
    return TABLES[table][1]


def ddl() -> list[str]:
    types = {"N": "NUMERIC", "S": "TEXT NOT NULL DEFAULT ''", "D": "INTEGER NOT NULL DEFAULT 0", "T": "INTEGER"}
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        + ", ".join(f'"{alias}" {types[kind]}' for alias, (kind, _) in cols.items())
        + f", PRIMARY KEY ({', '.join(pk)}))"
        for table, (_, pk, cols) in TABLES.items()
    ]


def insert(db: sqlite3.Connection, table: str, row: dict) -> None:
    names = ", ".join(f'"{name}"' for name in row)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
