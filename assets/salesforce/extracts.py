"""Salesforce extract assets (the source side of the reverse flow): one day of SystemModstamp per partition.

The day's closed-won opportunities and activated orders are read by SOQL, then their lines and the accounts they
name by id, and the accounts created or changed that day that carry no ERP key yet (a rep's new customer). Change
Data Capture events only say which day to run (sensors/salesforce_cdc.py); these reads are the truth, so a day can be
rerun at any time.

Columns keep Salesforce's names, except the configurable ERP key fields, which are renamed to ErpKey (Account),
ProductErpKey and ProductName (the line's product) so the mapping does not depend on an org's field names.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset
from ml_connector_dagster.resources.salesforce.client import SalesforceClient, soql_literal

SYSTEM = "salesforce"
IDS_PER_QUERY = 200


def soql_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(read: Read) -> str:
    return f"SystemModstamp >= {soql_datetime(read.start)} AND SystemModstamp < {soql_datetime(read.end)}"


def _by_ids(client: SalesforceClient, select: str, field: str, ids: Iterable[str]) -> list[dict]:
    ordered, rows = sorted(set(ids)), []
    for start in range(0, len(ordered), IDS_PER_QUERY):
        chunk = ", ".join(soql_literal(value) for value in ordered[start : start + IDS_PER_QUERY])
        rows += client.query(f"{select} WHERE {field} IN ({chunk})")
    return rows


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


def read_won_opportunities(client: SalesforceClient, window: str | None) -> pd.DataFrame:
    return _frame(
        list(
            client.query(
                f"SELECT {', '.join(OPPORTUNITY_COLUMNS)} FROM Opportunity WHERE {_and('IsWon = true', window)}"
            )
        ),
        OPPORTUNITY_COLUMNS,
    )


def read_activated_orders(client: SalesforceClient, window: str | None) -> pd.DataFrame:
    activated = "StatusCode = 'Activated'"
    return _frame(
        list(client.query(f"SELECT {', '.join(ORDER_COLUMNS)} FROM Order WHERE {_and(activated, window)}")),
        ORDER_COLUMNS,
    )


def read_lines(client: SalesforceClient, opportunities: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    product_key = client.key_field("Product2")
    rows = []
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
        for row in _by_ids(client, f"SELECT {', '.join(fields)} FROM {sobject}", parent, _ids(deals)):
            product = row.get("Product2") or {}
            rows.append(
                {
                    "Id": row["Id"],
                    "DealId": row[parent],
                    "ProductErpKey": product.get(product_key),
                    "ProductName": product.get("Name"),
                    "Quantity": row["Quantity"],
                    "UnitPrice": row["UnitPrice"],
                    "Discount": row.get("Discount"),
                    "Description": row.get("Description"),
                }
            )
    return _frame(rows, LINE_COLUMNS)


def read_accounts(client: SalesforceClient, window: str | None, *deals: pd.DataFrame) -> pd.DataFrame:
    """Accounts without an ERP key (in the window), and the accounts the deals name."""
    key = client.key_field("Account")
    select = f"SELECT {', '.join(ACCOUNT_FIELDS)}, {key} FROM Account"
    rows = list(client.query(f"{select} WHERE {_and(f'{key} = null', window)}"))
    rows += _by_ids(client, select, "Id", set().union(*(_ids(frame, "AccountId") for frame in deals)))
    return _frame([{**row, "ErpKey": row.get(key)} for row in rows], [*ACCOUNT_FIELDS, "ErpKey"])


def _deals(read: Read) -> tuple[pd.DataFrame, pd.DataFrame]:
    return read.inputs["opportunities"], read.inputs["orders"]


def _windowed(reader: Callable[[SalesforceClient, str | None], pd.DataFrame]) -> Callable[[Read], pd.DataFrame]:
    def read(read: Read) -> pd.DataFrame:
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
        _windowed(read_won_opportunities),
        kinds=_KINDS,
        overlap=True,
        table=Table(("Id",), tuple(OPPORTUNITY_COLUMNS)),
        description="Opportunities won (IsWon) whose SystemModstamp falls in the partition's day.",
    ),
    Extract(
        SYSTEM,
        "activated_orders",
        _windowed(read_activated_orders),
        kinds=_KINDS,
        overlap=True,
        table=Table(("Id",), tuple(ORDER_COLUMNS)),
        description="Orders activated (StatusCode Activated) whose SystemModstamp falls in the partition's day.",
    ),
    Extract(
        SYSTEM,
        "deal_lines",
        lambda read: read_lines(read.session, *_deals(read)),
        kinds=_KINDS,
        ins=_DEALS,
        table=Table(("Id",), tuple(LINE_COLUMNS)),
        description="The line items of the day's won opportunities and the items of its activated orders, with "
        "their product's ERP item key.",
    ),
    Extract(
        SYSTEM,
        "accounts",
        lambda read: read_accounts(read.session, _window(read), *_deals(read)),
        kinds=_KINDS,
        ins=_DEALS,
        overlap=True,
        table=Table(("Id",), (*ACCOUNT_FIELDS, "ErpKey")),
        description="Accounts created or changed that day without an ERP key (new customers), and every account "
        "the day's deals name, with its ERP key when it has one.",
    ),
)


def extract_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [extract_asset(extract, partitions_def) for extract in EXTRACTS]
