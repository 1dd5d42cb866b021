"""Dynamics 365 F&O → Salesforce (the forward flow): Account payloads from CustomersV3 and Product2 payloads from
ReleasedProductsV2 of one legal entity (pure mapping), and their upserts by External ID."""

from collections.abc import Callable, Iterator, Sequence

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.dynamics_fo import extracts as fo
from ml_connector_dagster.assets.extract import Table
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.initial_load import MasterObject, SourceRead
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.mapping import dynamics_fo_salesforce as mapping
from ml_connector_dagster.mapping import salesforce_dynamics_fo as reverse
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import Page, Spool

GROUP = "salesforce"
PAIR = mapping.PAIR

ACCOUNT_PAYLOADS = dg.AssetKey([GROUP, "dynamics_fo_account_payloads"])
PRODUCT_PAYLOADS = dg.AssetKey([GROUP, "dynamics_fo_product_payloads"])
ACCOUNTS = LoadTarget(PAIR, "Account", GROUP)
PRODUCTS = LoadTarget(PAIR, "Product2", GROUP)


def account_payloads(customers: pd.DataFrame, rules: mapping.Rules, ledger: Ledger) -> MappingResult:
    return mapped_accounts(customers, rules, awaiting_key(ledger))


def awaiting_key(ledger: Ledger) -> dict:
    """The F&O customers made from a Salesforce account that does not carry their key yet (read once per run)."""
    return ledger.target_ids_without(reverse.PAIR, reverse.CUSTOMERS, ["Account"])


def mapped_accounts(customers: pd.DataFrame, rules: mapping.Rules, awaiting: dict) -> MappingResult:
    rows = SourceRows()
    valid = rows.models(
        customers, mapping.Customer, lambda row: mapping.entity_key(row["dataAreaId"], row["CustomerAccount"])
    )
    return rows.reject_in(mapping.map_accounts(valid, rules, frozenset(awaiting.values())))


def product_payloads(products: pd.DataFrame) -> MappingResult:
    rows = SourceRows()
    valid = rows.models(
        products, mapping.ReleasedProduct, lambda row: mapping.entity_key(row["dataAreaId"], row["ItemNumber"])
    )
    return rows.reject_in(mapping.map_products(valid))


def initial_load_objects(rules: mapping.Rules, legal_entities: Sequence[str]) -> list[MasterObject]:
    """Every customer and every released product of every legal entity: what the legal-entity partitions read too,
    but page by page and resumable after the last entity read whole."""

    def pages(entity_set: str, table: Table) -> Callable[[SourceRead], Iterator[Page]]:
        def read(read: SourceRead) -> Iterator[Page]:
            for frame, position in fo.entity_pages(read, entity_set, table, legal_entities):
                yield Page(frame, position, len(frame))

        return read

    return [
        MasterObject(
            "accounts",
            ACCOUNTS,
            pages("CustomersV3", fo.CUSTOMERS),
            lambda customers, given: account_payloads(customers, rules, given.ledger),
            "Every F&O customer of every legal entity upserted as a Salesforce Account by External ID.",
        ),
        MasterObject(
            "products",
            PRODUCTS,
            pages("ReleasedProductsV2", fo.PRODUCTS),
            lambda products, _given: product_payloads(products),
            "Every F&O released product of every legal entity upserted as a Salesforce Product2 by External ID.",
        ),
    ]


def target_assets(partitions_def: dg.PartitionsDefinition, rules: mapping.Rules) -> TargetAssets:
    @dg.asset(
        key=ACCOUNT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        ins={"customers": dg.AssetIn(key=["dynamics_fo", "customers_v3"])},
        code_version="2",
        description="Validated Salesforce Account payloads for the legal entity's customers (those made from "
        "a Salesforce account wait until that account carries their key).",
    )
    def dynamics_fo_account_payloads(customers: Spool, ledger: LedgerResource) -> dg.Output[Spool]:
        awaiting = awaiting_key(ledger.ledger())
        return mapped(customers, lambda page: mapped_accounts(page, rules, awaiting))

    @dg.asset(
        key=PRODUCT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        ins={"products": dg.AssetIn(key=["dynamics_fo", "released_products_v2"])},
        code_version="2",
        description="Validated Salesforce Product2 payloads for the legal entity's released products.",
    )
    def dynamics_fo_product_payloads(products: Spool) -> dg.Output[Spool]:
        return mapped(products, product_payloads)

    load = {"partitions_def": partitions_def, "kinds": {"salesforce"}}
    accounts = load_asset(
        ACCOUNTS,
        **load,
        plural="accounts",
        payloads_key=ACCOUNT_PAYLOADS,
        description="F&O customers upserted as Salesforce Accounts by External ID.",
    )
    products = load_asset(
        PRODUCTS,
        **load,
        plural="products",
        payloads_key=PRODUCT_PAYLOADS,
        description="F&O released products upserted as Salesforce Product2 by External ID.",
    )
    return TargetAssets(
        [dynamics_fo_account_payloads, dynamics_fo_product_payloads, accounts, products], [ACCOUNTS, PRODUCTS]
    )
