"""Salesforce → Dynamics 365 F&O (the reverse flow): customer payloads from the day's new accounts, sales order
payloads from its won opportunities and activated orders with their lines (pure mapping), and their loads.
Customers load first: an order for a new account waits for its customer.

Both are mapped a page at a time (issue #15): accounts a page of them, sales orders a page of whole deals, each with
the lines and the account it needs, looked up on disk (spool.RowsBy) rather than held for the day."""

from itertools import chain

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.extract import page_values
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped

from ml_connector_dagster.mapping import salesforce_dynamics_fo as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import RowsBy, Spool, pages_of

GROUP = "dynamics_fo"
PAIR = mapping.PAIR

CUSTOMER_PAYLOADS = dg.AssetKey([GROUP, "salesforce_customer_payloads"])
ORDER_PAYLOADS = dg.AssetKey([GROUP, "salesforce_sales_order_payloads"])
CUSTOMERS = LoadTarget(PAIR, mapping.CUSTOMERS, GROUP)
SALES_ORDERS = LoadTarget(PAIR, mapping.SALES_ORDERS, GROUP)
CUSTOMERS_KEY = dg.AssetKey([GROUP, "salesforce_customers"])
SALES_ORDERS_KEY = dg.AssetKey([GROUP, "salesforce_sales_orders"])


def _own_id(row) -> str:
    """A Salesforce record's own key: its Id, which every record made of it is keyed by."""
    return row["Id"]


def customer_payloads(accounts: pd.DataFrame, rules: mapping.Rules) -> MappingResult:
    rows = SourceRows()
    return rows.reject_in(mapping.map_customers(rows.models(accounts, mapping.Account, _own_id), rules))


def sales_order_payloads(
    deals: pd.DataFrame, lines: pd.DataFrame, accounts: pd.DataFrame, rules: mapping.Rules
) -> MappingResult:
    """Sales orders for whole deals, given all their lines and the accounts they name."""
    rows = SourceRows()
    result = mapping.map_sales_orders(
        rows.models(deals, mapping.Deal, _own_id),
        rows.models(lines, mapping.DealLine, lambda row: row["DealId"]),
        # an account a deal cannot be mapped without: the deal says so itself ("has no account")
        rows.models(accounts, mapping.Account, lambda row: None),
        rules,
    )
    return rows.reject_in(result)


def target_assets(partitions_def: dg.PartitionsDefinition, rules: mapping.Rules) -> TargetAssets:
    @dg.asset(
        key=CUSTOMER_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        ins={"accounts": dg.AssetIn(key=["salesforce", "accounts"])},
        code_version="2",
        description="CustomersV3 payloads for the day's new Salesforce accounts, in the legal entity and "
        "currency the rules give their country; accounts the rules do not resolve carry the reason.",
    )
    def salesforce_customer_payloads(accounts: Spool) -> dg.Output[Spool]:
        return mapped(accounts, lambda page: customer_payloads(page, rules))

    @dg.asset(
        key=ORDER_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        ins={
            "opportunities": dg.AssetIn(key=["salesforce", "won_opportunities"]),
            "orders": dg.AssetIn(key=["salesforce", "activated_orders"]),
            "lines": dg.AssetIn(key=["salesforce", "deal_lines"]),
            "accounts": dg.AssetIn(key=["salesforce", "accounts"]),
        },
        code_version="2",
        description="One sales order (header and lines) per won opportunity and activated order, keyed on the "
        "Salesforce id it carries in CustomersOrderReference.",
    )
    def salesforce_sales_order_payloads(
        opportunities: Spool, orders: Spool, lines: Spool, accounts: Spool
    ) -> dg.Output[Spool]:
        with RowsBy(pages_of(lines), "DealId") as lines_of, RowsBy(pages_of(accounts), "Id") as account_of:

            def orders_of(deals: pd.DataFrame) -> MappingResult:
                return sales_order_payloads(
                    deals,
                    lines_of.frame(page_values(deals, "Id")),
                    account_of.frame(page_values(deals, "AccountId")),
                    rules,
                )

            return mapped(chain(pages_of(opportunities), pages_of(orders)), orders_of)

    load = {"partitions_def": partitions_def, "kinds": {"dynamics365"}}
    customers = load_asset(
        CUSTOMERS,
        **load,
        plural="customers",
        payloads_key=CUSTOMER_PAYLOADS,
        description="New Salesforce accounts created (or, once created, kept up to date) as F&O customers.",
    )
    sales_orders = load_asset(
        SALES_ORDERS,
        **load,
        plural="sales_orders",
        payloads_key=ORDER_PAYLOADS,
        deps=[customers.key],
        description="Won deals and activated orders created once each as F&O sales orders "
        "with their lines, in one change set per order.",
    )
    return TargetAssets(
        [salesforce_customer_payloads, salesforce_sales_order_payloads, customers, sales_orders],
        [CUSTOMERS, SALES_ORDERS],
    )
