"""The Dataverse tables the emulator serves, declared from the table reference (microsoft.md §2.4).

Only what the platform itself enforces is declared: column types, MaxLength, choice values, lookups and the
alternate keys an administrator defines (the connector's setup guide defines one on `mlc_externalid`).
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    type: str  # String | Memo | Integer | Decimal | Choice | Boolean | Money | DateTime | Uniqueidentifier
    max_length: int | None = None
    choices: frozenset[int] = frozenset()
    writable: bool = True


@dataclass(frozen=True)
class Lookup:
    column: str  # the read side: `_<column>_value`
    targets: tuple[str, ...]


@dataclass(frozen=True)
class State:
    """One statecode option: its label (as error messages name it) and its statuscodes, the default first."""

    label: str
    statuses: tuple[int, ...]


@dataclass(frozen=True)
class Table:
    logical_name: str
    entity_set: str
    columns: dict[str, Column]
    lookups: dict[str, Lookup] = field(default_factory=dict)  # navigation property → lookup
    alternate_keys: tuple[str, ...] = ()
    # statecode → State where a plain update sets the state (account, contact; §2.4); tables whose state moves
    # only through lifecycle actions (opportunity, order) declare none
    states: dict[int, State] = field(default_factory=dict)

    @property
    def primary_key(self) -> str:
        return self.logical_name + "id"

    def key_of_lookup(self, lookup_column: str) -> str:
        return f"_{lookup_column}_value"


def _s(length: int) -> Column:
    return Column("String", length)


_ADDRESS = {
    f"address1_{name}": _s(length)
    for name, length in (
        ("line1", 250),
        ("line2", 250),
        ("line3", 250),
        ("city", 80),
        ("stateorprovince", 50),
        ("postalcode", 20),
        ("country", 80),
        ("county", 50),
        ("telephone1", 50),
        ("name", 200),
    )
}
_ADDRESS["address1_addresstypecode"] = Column("Choice", choices=frozenset({1, 2, 3, 4}))
_SYSTEM = {
    "createdon": Column("DateTime", writable=False),
    "modifiedon": Column("DateTime", writable=False),
    "versionnumber": Column("Integer", writable=False),
    "statecode": Column("Choice", choices=frozenset({0, 1})),
    "statuscode": Column("Choice", choices=frozenset({1, 2})),
}
EXTERNAL_ID = "mlc_externalid"
# account and contact: 0 Active (status 1 Active), 1 Inactive (status 2 Inactive) (microsoft.md §2.4)
_ACTIVE_INACTIVE = {0: State("Active", (1,)), 1: State("Inactive", (2,))}

ACCOUNT = Table(
    "account",
    "accounts",
    {
        "accountid": Column("Uniqueidentifier"),
        "name": _s(160),
        "accountnumber": _s(20),
        "telephone1": _s(50),
        "telephone2": _s(50),
        "fax": _s(50),
        "emailaddress1": _s(100),
        "emailaddress2": _s(100),
        "websiteurl": _s(200),
        "description": Column("Memo", 2000),
        "customertypecode": Column("Choice", choices=frozenset(range(1, 13))),
        "accountcategorycode": Column("Choice", choices=frozenset({1, 2})),
        "creditlimit": Column("Money"),
        "creditonhold": Column("Boolean"),
        "paymenttermscode": Column("Choice", choices=frozenset({1, 2, 3, 4})),
        "numberofemployees": Column("Integer"),
        EXTERNAL_ID: _s(100),
        **_ADDRESS,
        **_SYSTEM,
    },
    lookups={
        "parentaccountid": Lookup("parentaccountid", ("account",)),
        "primarycontactid": Lookup("primarycontactid", ("contact",)),
    },
    alternate_keys=(EXTERNAL_ID,),
    states=_ACTIVE_INACTIVE,
)

CONTACT = Table(
    "contact",
    "contacts",
    {
        "contactid": Column("Uniqueidentifier"),
        "firstname": _s(50),
        "lastname": _s(50),
        "fullname": Column("String", 160, writable=False),
        "jobtitle": _s(100),
        "department": _s(100),
        "emailaddress1": _s(100),
        "telephone1": _s(50),
        "mobilephone": _s(50),
        "description": Column("Memo", 2000),
        EXTERNAL_ID: _s(100),
        **_ADDRESS,
        **_SYSTEM,
    },
    lookups={
        "parentcustomerid_account": Lookup("parentcustomerid", ("account",)),
        "parentcustomerid_contact": Lookup("parentcustomerid", ("contact",)),
    },
    alternate_keys=(EXTERNAL_ID,),
    states=_ACTIVE_INACTIVE,
)

CURRENCY = Table(
    "transactioncurrency",
    "transactioncurrencies",
    {
        "transactioncurrencyid": Column("Uniqueidentifier"),
        "isocurrencycode": _s(5),
        "currencyname": _s(100),
        "currencysymbol": _s(10),
        "exchangerate": Column("Decimal"),
        **_SYSTEM,
    },
)
_CUSTOMER = {
    "customerid_account": Lookup("customerid", ("account",)),
    "customerid_contact": Lookup("customerid", ("contact",)),
    "transactioncurrencyid": Lookup("transactioncurrencyid", ("transactioncurrency",)),
}
# Totals are calculated by the platform from the lines and cannot be written (microsoft.md §2.4).
_TOTALS = {
    name: Column("Money", writable=False)
    for name in ("totalamount", "totallineitemamount", "totaltax", "totaldiscountamount")
}
_LINE = {
    "isproductoverridden": Column("Boolean"),
    "productdescription": _s(500),
    "quantity": Column("Decimal"),
    "priceperunit": Column("Money"),
    "ispriceoverridden": Column("Boolean"),
    "manualdiscountamount": Column("Money"),
    "tax": Column("Money"),
    "lineitemnumber": Column("Integer"),
    "description": Column("Memo", 2000),
    "baseamount": Column("Money", writable=False),
    "extendedamount": Column("Money", writable=False),
    EXTERNAL_ID: _s(100),
    **_SYSTEM,
}

OPPORTUNITY = Table(
    "opportunity",
    "opportunities",
    {
        "opportunityid": Column("Uniqueidentifier"),
        "name": _s(300),
        "description": Column("Memo", 2000),
        "estimatedvalue": Column("Money"),
        "estimatedclosedate": Column("DateTime"),
        "isrevenuesystemcalculated": Column("Boolean"),
        "closeprobability": Column("Integer"),
        EXTERNAL_ID: _s(100),
        **_TOTALS,
        **_SYSTEM,
        "statecode": Column("Choice", choices=frozenset({0, 1, 2})),
        "statuscode": Column("Choice", choices=frozenset({1, 2, 3, 4, 5})),
    },
    lookups={**_CUSTOMER, "parentaccountid": Lookup("parentaccountid", ("account",))},
    alternate_keys=(EXTERNAL_ID,),
)

OPPORTUNITY_PRODUCT = Table(
    "opportunityproduct",
    "opportunityproducts",
    {
        "opportunityproductid": Column("Uniqueidentifier"),
        **_LINE,
    },
    lookups={"opportunityid": Lookup("opportunityid", ("opportunity",))},
    alternate_keys=(EXTERNAL_ID,),
)

SALES_ORDER = Table(
    "salesorder",
    "salesorders",
    {
        "salesorderid": Column("Uniqueidentifier"),
        "name": _s(300),
        "ordernumber": Column("String", 100, writable=False),
        "description": Column("Memo", 2000),
        "requestdeliveryby": Column("DateTime"),
        "submitdate": Column("DateTime"),
        "paymenttermscode": Column("Choice", choices=frozenset({1, 2, 3, 4})),
        **{
            f"billto_{name}": _s(length)
            for name, length in (
                ("line1", 250),
                ("line2", 250),
                ("line3", 250),
                ("city", 80),
                ("postalcode", 20),
                ("stateorprovince", 50),
                ("country", 80),
            )
        },
        EXTERNAL_ID: _s(100),
        **_TOTALS,
        **_SYSTEM,
        "statecode": Column("Choice", choices=frozenset({0, 1, 2, 3, 4})),
        "statuscode": Column("Choice", choices=frozenset({1, 2, 3, 4, 100001, 100002, 100003})),
    },
    lookups=_CUSTOMER,
    alternate_keys=(EXTERNAL_ID,),
)

SALES_ORDER_DETAIL = Table(
    "salesorderdetail",
    "salesorderdetails",
    {
        "salesorderdetailid": Column("Uniqueidentifier"),
        "requestdeliveryby": Column("DateTime"),
        **_LINE,
    },
    lookups={"salesorderid": Lookup("salesorderid", ("salesorder",))},
    alternate_keys=(EXTERNAL_ID,),
)

# line table → (parent table, the line's lookup to it): what the platform recalculates after a line changes
LINE_PARENTS = {
    "opportunityproduct": ("opportunity", "opportunityid"),
    "salesorderdetail": ("salesorder", "salesorderid"),
}

TABLES = {
    table.logical_name: table
    for table in (ACCOUNT, CONTACT, CURRENCY, OPPORTUNITY, OPPORTUNITY_PRODUCT, SALES_ORDER, SALES_ORDER_DETAIL)
}
BY_ENTITY_SET = {table.entity_set: table for table in TABLES.values()}
