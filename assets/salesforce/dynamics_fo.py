"""Dynamics 365 F&O → Salesforce (the forward flow): Account payloads from CustomersV3 and Product2 payloads from
ReleasedProductsV2 of one legal entity (pure mapping), and their upserts by External ID."""

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapping_metadata
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.mapping import dynamics_fo_salesforce as mapping
from ml_connector_dagster.mapping import salesforce_dynamics_fo as reverse
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import frame_models

GROUP = "salesforce"
PAIR = mapping.PAIR

ACCOUNT_PAYLOADS = dg.AssetKey([GROUP, "dynamics_fo_account_payloads"])
PRODUCT_PAYLOADS = dg.AssetKey([GROUP, "dynamics_fo_product_payloads"])
ACCOUNTS = LoadTarget(PAIR, "Account", GROUP)
PRODUCTS = LoadTarget(PAIR, "Product2", GROUP)


def target_assets(partitions_def: dg.PartitionsDefinition, rules: mapping.Rules) -> TargetAssets:
    @dg.asset(
        key=ACCOUNT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        ins={"customers": dg.AssetIn(key=["dynamics_fo", "customers_v3"])},
        code_version="1",
        description="Validated Salesforce Account payloads for the legal entity's customers (those made from "
        "a Salesforce account wait until that account carries their key).",
    )
    def dynamics_fo_account_payloads(customers: pd.DataFrame, ledger: LedgerResource) -> dg.Output[MappingResult]:
        awaiting = ledger.ledger().target_ids_without(reverse.PAIR, reverse.CUSTOMERS, ["Account"])
        result = mapping.map_accounts(frame_models(customers, mapping.Customer), rules, frozenset(awaiting.values()))
        return dg.Output(result, metadata=mapping_metadata(result))

    @dg.asset(
        key=PRODUCT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        ins={"products": dg.AssetIn(key=["dynamics_fo", "released_products_v2"])},
        code_version="1",
        description="Validated Salesforce Product2 payloads for the legal entity's released products.",
    )
    def dynamics_fo_product_payloads(products: pd.DataFrame) -> dg.Output[MappingResult]:
        result = mapping.map_products(frame_models(products, mapping.ReleasedProduct))
        return dg.Output(result, metadata=mapping_metadata(result))

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
