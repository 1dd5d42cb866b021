"""Salesforce extract assets (the source side of the reverse flow): one day of SystemModstamp per partition.

The day's closed-won opportunities and activated orders are read by SOQL, then their lines and the accounts they
name by id, and the accounts created or changed that day that carry no ERP key yet (a rep's new customer). Change
Data Capture events only say which day to run (sensors/salesforce_cdc.py); these reads are the truth, so a day can be
rerun at any time.

Every read streams: the deals as SOQL pages them, their lines a page of deals at a time, the accounts they name
by ids kept on disk, so an extract holds a page of rows, never its day (issue #15).

Columns keep Salesforce's names, except the configurable ERP key fields, which are renamed to ErpKey (Account),
ProductErpKey and ProductName (the line's product) so the mapping does not depend on an org's field names.
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset, page_values
from ml_connector_dagster.resources.salesforce.client import SalesforceClient, soql_literal

from ml_connector_dagster.spool import KeySet, batched, pages_of

SYSTEM = "salesforce"
IDS_PER_QUERY = 200


def soql_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(read: Read) -> str:
    return f"SystemModstamp >= {soql_datetime(read.start)} AND SystemModstamp < {soql_datetime(read.end)}"


def _by_ids(client: SalesforceClient, select: str, field: str, ids: Iterable[str]) -> Iterator[dict]:
    for chunk in batched(ids, IDS_PER_QUERY):
        yield from client.query(f"{select} WHERE {field} IN ({', '.join(soql_literal(value) for value in chunk)})")


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return Table(("Id",), tuple(columns)).frame(rows)


def _ids(frame: pd.DataFrame, column: str = "Id") -> set[str]:
    return set(frame[column].dropna()) if not frame.empty else set()


def _and(condition: str, window: str | None) -> str:
    return f"{condition} AND {window}" if window else condition


# The reads, shared by the assets and the demo's agreement check (which reads everything: window None).
OPPORTUNITY_COLUMNS = ["Id", "Name", "AccountId", "CloseDate", "Amount", "SystemModstamp"]
ORDER_COLUMNS = ["Id", "OrderNumber", "AccountId", "EffectiveDate", "PoNumber", "SystemModstamp"]
LINE_COLUMNS = ["Id", "DealId", "ProductErpKey", "ProductName", "Quantity", "UnitPrice", "Discount", "Description"]
ACCOUNT_FIELDS = [
    "Id",
    "Name",
    "BillingStreet",
    "BillingCity",
    "BillingState",
    "BillingPostalCode",
    "BillingCountry",
    "Phone",
    "Website",
]


def won_opportunity_rows(client: SalesforceClient, window: str | None) -> Iterator[dict]:
    won = "IsWon = true"
    return client.query(f"SELECT {', '.join(OPPORTUNITY_COLUMNS)} FROM Opportunity WHERE {_and(won, window)}")


def activated_order_rows(client: SalesforceClient, window: str | None) -> Iterator[dict]:
    activated = "StatusCode = 'Activated'"
    return client.query(f"SELECT {', '.join(ORDER_COLUMNS)} FROM Order WHERE {_and(activated, window)}")


def read_won_opportunities(client: SalesforceClient, window: str | None) -> pd.DataFrame:
    return _frame(list(won_opportunity_rows(client, window)), OPPORTUNITY_COLUMNS)


def read_activated_orders(client: SalesforceClient, window: str | None) -> pd.DataFrame:
    return _frame(list(activated_order_rows(client, window)), ORDER_COLUMNS)


def read_lines(client: SalesforceClient, opportunities: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    return _frame(list(line_rows(client, opportunities, orders)), LINE_COLUMNS)


def line_rows(client: SalesforceClient, opportunities, orders) -> Iterator[dict]:
    """The lines of the deals, a page of deals at a time (`opportunities` and `orders`: spools or frames)."""
    product_key = client.key_field("Product2")
    for sobject, parent, deals, extra in (
        ("OpportunityLineItem", "OpportunityId", opportunities, ["Discount"]),
        ("OrderItem", "OrderId", orders, []),
    ):
        fields = [
            "Id",
            parent,
            "Quantity",
            "UnitPrice",
            "Description",
            *extra,
            "Product2.Name",
            f"Product2.{product_key}",
        ]
        select = f"SELECT {', '.join(fields)} FROM {sobject}"
        for page in pages_of(deals):
            for row in _by_ids(client, select, parent, sorted(_ids(page))):
                product = row.get("Product2") or {}
                yield {
                    "Id": row["Id"],
                    "DealId": row[parent],
                    "ProductErpKey": product.get(product_key),
                    "ProductName": product.get("Name"),
                    "Quantity": row["Quantity"],
                    "UnitPrice": row["UnitPrice"],
                    "Discount": row.get("Discount"),
                    "Description": row.get("Description"),
                }


def account_rows(client: SalesforceClient, window: str | None, *deals) -> Iterator[dict]:
    """Accounts without an ERP key (in the window), and the accounts the deals (spools or frames) name, each read
    once (their ids kept on disk)."""
    key = client.key_field("Account")
    select = f"SELECT {', '.join(ACCOUNT_FIELDS)}, {key} FROM Account"
    with KeySet() as named:
        for frame in deals:
            for page in pages_of(frame):
                named.add(page_values(page, "AccountId"))
        for row in client.query(f"{select} WHERE {_and(f'{key} = null', window)}"):
            yield {**row, "ErpKey": row.get(key)}
        for ids in named.chunks(IDS_PER_QUERY):
            for row in _by_ids(client, select, "Id", ids):
                yield {**row, "ErpKey": row.get(key)}


def _deals(read: Read) -> tuple:
    return read.inputs["opportunities"], read.inputs["orders"]


def _windowed(reader: Callable[[SalesforceClient, str | None], Iterator[dict]]) -> Callable[[Read], Iterator[dict]]:
    def read(read: Read) -> Iterator[dict]:
        return reader(read.session, _window(read))

    return read


_DEALS = {
    "opportunities": dg.AssetKey([SYSTEM, "won_opportunities"]),
    "orders": dg.AssetKey([SYSTEM, "activated_orders"]),
}
_KINDS = frozenset({"salesforce"})
EXTRACTS = (
    Extract(
        SYSTEM,
        "won_opportunities",
        _windowed(won_opportunity_rows),
        kinds=_KINDS,
        overlap=True,
        table=Table(("Id",), tuple(OPPORTUNITY_COLUMNS)),
        description="Opportunities won (IsWon) whose SystemModstamp falls in the partition's day.",
    ),
    Extract(
        SYSTEM,
        "activated_orders",
        _windowed(activated_order_rows),
        kinds=_KINDS,
        overlap=True,
        table=Table(("Id",), tuple(ORDER_COLUMNS)),
        description="Orders activated (StatusCode Activated) whose SystemModstamp falls in the partition's day.",
    ),
    Extract(
        SYSTEM,
        "deal_lines",
        lambda read: line_rows(read.session, *_deals(read)),
        kinds=_KINDS,
        ins=_DEALS,
        paged_inputs=True,
        table=Table(("Id",), tuple(LINE_COLUMNS)),
        description="The line items of the day's won opportunities and the items of its activated orders, with "
        "their product's ERP item key.",
    ),
    Extract(
        SYSTEM,
        "accounts",
        lambda read: account_rows(read.session, _window(read), *_deals(read)),
        kinds=_KINDS,
        ins=_DEALS,
        paged_inputs=True,
        overlap=True,
        table=Table(("Id",), (*ACCOUNT_FIELDS, "ErpKey")),
        description="Accounts created or changed that day without an ERP key (new customers), and every account "
        "the day's deals name, with its ERP key when it has one.",
    ),
)


def extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [extract_asset(extract, partitions_def) for extract in EXTRACTS]
