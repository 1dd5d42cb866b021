"""The Dataverse tables the emulator serves, declared from the table reference (microsoft.md §2.4).

Only what the platform itself enforces is declared: column types, MaxLength, choice values, lookups and the
alternate keys an administrator defines (the connector's setup guide defines one on `mlc_externalid`).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    type: str  # String | Memo | Integer | Choice | Boolean | Money | DateTime | Uniqueidentifier
    max_length: int | None = None
    choices: frozenset[int] = frozenset()
    writable: bool = True


@dataclass(frozen=True)
class Lookup:
    column: str            # the read side: `_<column>_value`
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    logical_name: str
    entity_set: str
    columns: dict[str, Column]
    lookups: dict[str, Lookup] = field(default_factory=dict)  # navigation property → lookup
    alternate_keys: tuple[str, ...] = ()

    @property
    def primary_key(self) -> str:
        return self.logical_name + "id"

    def key_of_lookup(self, lookup_column: str) -> str:
        return f"_{lookup_column}_value"


def _s(length: int) -> Column:
    return Column("String", length)


_ADDRESS = {f"address1_{name}": _s(length) for name, length in (
    ("line1", 250), ("line2", 250), ("line3", 250), ("city", 80), ("stateorprovince", 50), ("postalcode", 20),
    ("country", 80), ("county", 50), ("telephone1", 50), ("name", 200))}
_ADDRESS["address1_addresstypecode"] = Column("Choice", choices=frozenset({1, 2, 3, 4}))
_SYSTEM = {"createdon": Column("DateTime", writable=False), "modifiedon": Column("DateTime", writable=False),
           "versionnumber": Column("Integer", writable=False), "statecode": Column("Choice", choices=frozenset({0, 1})),
           "statuscode": Column("Choice", choices=frozenset({1, 2}))}
EXTERNAL_ID = "mlc_externalid"

ACCOUNT = Table("account", "accounts", {
    "accountid": Column("Uniqueidentifier"), "name": _s(160), "accountnumber": _s(20), "telephone1": _s(50),
    "telephone2": _s(50), "fax": _s(50), "emailaddress1": _s(100), "emailaddress2": _s(100), "websiteurl": _s(200),
    "description": Column("Memo", 2000), "customertypecode": Column("Choice", choices=frozenset(range(1, 13))),
    "accountcategorycode": Column("Choice", choices=frozenset({1, 2})), "creditlimit": Column("Money"),
    "creditonhold": Column("Boolean"), "paymenttermscode": Column("Choice", choices=frozenset({1, 2, 3, 4})),
    "numberofemployees": Column("Integer"), EXTERNAL_ID: _s(100), **_ADDRESS, **_SYSTEM,
}, lookups={"parentaccountid": Lookup("parentaccountid", ("account",)),
            "primarycontactid": Lookup("primarycontactid", ("contact",))}, alternate_keys=(EXTERNAL_ID,))

CONTACT = Table("contact", "contacts", {
    "contactid": Column("Uniqueidentifier"), "firstname": _s(50), "lastname": _s(50),
    "fullname": Column("String", 160, writable=False), "jobtitle": _s(100), "department": _s(100),
    "emailaddress1": _s(100), "telephone1": _s(50), "mobilephone": _s(50), "description": Column("Memo", 2000),
    EXTERNAL_ID: _s(100), **_ADDRESS, **_SYSTEM,
}, lookups={"parentcustomerid_account": Lookup("parentcustomerid", ("account",)),
            "parentcustomerid_contact": Lookup("parentcustomerid", ("contact",))}, alternate_keys=(EXTERNAL_ID,))

TABLES = {table.logical_name: table for table in (ACCOUNT, CONTACT)}
BY_ENTITY_SET = {table.entity_set: table for table in TABLES.values()}
