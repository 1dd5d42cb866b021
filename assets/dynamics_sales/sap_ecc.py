"""SAP ECC → Dynamics 365 Sales: account payloads from the business partner snapshots, opportunity (or order) and
line payloads from the purchase order snapshots, and their loads. Accounts load first: documents bind to the
vendor's account, lines to their document."""

from collections.abc import Callable, Iterator

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets import sap_ecc
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.dynamics_sales.client import ENTITY_SETS
from ml_connector_dagster.resources.sap_ecc.tables import KNA1, KNB1, LFA1, LFB1, SapTable

from ml_connector_dagster.initial_load import MapInput, MasterObject, SourceRead
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import Page, Spool

GROUP = "dynamics_sales"
PAIR = mapping.PAIR

ACCOUNT_PAYLOADS = dg.AssetKey([GROUP, "sap_ecc_account_payloads"])
ORDER_PAYLOADS = dg.AssetKey([GROUP, "sap_ecc_purchase_order_payloads"])
ACCOUNTS = LoadTarget(PAIR, "account", GROUP)
SAP_TABLES = {sap_table.name: sap_table for sap_table in (LFA1, LFB1, KNA1, KNB1)}
VENDOR_TABLES = (("LFA1", mapping.Vendor), ("LFB1", mapping.CompanyCode))
CUSTOMER_TABLES = (("KNA1", mapping.Customer), ("KNB1", mapping.CompanyCode))


def _of_vendor(row) -> str:
    return mapping.vendor_key(row["LIFNR"])


def _of_customer(row) -> str:
    return mapping.customer_key(row["KUNNR"])


def account_payloads(snapshot: dict[str, pd.DataFrame], rules: mapping.Rules) -> MappingResult:
    rows = SourceRows()
    vendors = [rows.models(snapshot[table], model, _of_vendor) for table, model in VENDOR_TABLES]
    customers = [rows.models(snapshot[table], model, _of_customer) for table, model in CUSTOMER_TABLES]
    return rows.reject_in(mapping.map_accounts(*vendors, *customers, rules))


def purchase_order_payloads(
    snapshot: dict[str, pd.DataFrame], rules: mapping.Rules, key_column: str, currencies: dict[str, str]
) -> dict[str, MappingResult]:
    rows = SourceRows()

    def of_order(row) -> str:
        # an item is part of its document (the document's total is its items' sum): a bad item fails the
        # document, and the document's other lines wait for it
        return mapping.order_key(row["EBELN"])

    result = mapping.map_purchase_orders(
        rows.models(snapshot["EKKO"], mapping.PurchaseOrder, of_order),
        rows.models(snapshot["EKPO"], mapping.PurchaseOrderItem, of_order),
        rules,
        key_column=key_column,
        currencies=currencies,
    )
    result["document"] = rows.reject_in(result["document"])
    return result


def initial_load_objects(rules: mapping.Rules) -> list[MasterObject]:
    """Every vendor (LFA1 in LIFNR order), then every customer (KNA1 in KUNNR order), each whole with the partners
    it is one company with, as accounts: a customer linked to a vendor maps to the vendor's account again, which the
    ledger finds unchanged. Purchase orders are documents, not masters: the daily partitions bring them
    (docs/operators/go_live.md says how to reach back for open ones)."""

    def partner_pages(sap_table: SapTable, vendors: bool) -> Callable[[SourceRead], Iterator[Page]]:
        def pages(read: SourceRead) -> Iterator[Page]:
            for keys in sap_ecc.key_pages(read, sap_table):
                given = (set(keys), set()) if vendors else (set(), set(keys))
                snapshot = sap_ecc.business_partners(read.session, *given)
                frames = {name: sap_ecc.table(SAP_TABLES[name]).frame(rows) for name, rows in snapshot.items()}
                yield Page(frames, keys[-1], len(keys))

        return pages

    def accounts(snapshot: dict[str, pd.DataFrame], _given: MapInput) -> MappingResult:
        return account_payloads(snapshot, rules)

    return [
        MasterObject(
            "vendors",
            ACCOUNTS,
            partner_pages(LFA1, vendors=True),
            accounts,
            "Every SAP vendor (LFA1, LFB1) with the customers that are the same company, upserted as Dataverse "
            "accounts, whatever its creation date or change documents.",
        ),
        MasterObject(
            "customers",
            ACCOUNTS,
            partner_pages(KNA1, vendors=False),
            accounts,
            "Every SAP customer (KNA1, KNB1) with the vendors that are the same company, upserted as Dataverse "
            "accounts.",
        ),
    ]


def target_assets(partitions_def: dg.PartitionsDefinition, rules: mapping.Rules) -> TargetAssets:
    @dg.asset(
        key=ACCOUNT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"snapshot": dg.AssetIn(key=["sap_ecc", "business_partner_snapshots"])},
        kinds={"python"},
        code_version="2",
        description="Validated Dataverse account payloads: one per vendor (with the "
        "customers that are the same company) and per other customer; invalid "
        "ones carry the reason.",
    )
    def sap_ecc_account_payloads(snapshot: Spool) -> dg.Output[Spool]:
        return mapped(snapshot, lambda page: account_payloads(page, rules))

    @dg.asset(
        key=ORDER_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"snapshot": dg.AssetIn(key=["sap_ecc", "purchase_order_snapshots"])},
        kinds={"python"},
        code_version="2",
        description=f"Validated payloads of the day's purchase orders as "
        f"{rules.document_object} rows and their items as {rules.line_object} "
        "rows, bound to the vendor's account and the order's currency.",
    )
    def sap_ecc_purchase_order_payloads(snapshot: Spool, dynamics_sales: DynamicsSalesResource) -> dg.Output[Spool]:
        key_column, currencies = dynamics_sales.external_id_column, dynamics_sales.session().currencies()
        return mapped(snapshot, lambda page: purchase_order_payloads(page, rules, key_column, currencies))

    documents_target = LoadTarget(PAIR, rules.document_object, GROUP)
    lines_target = LoadTarget(PAIR, rules.line_object, GROUP)
    load = {"partitions_def": partitions_def, "kinds": {"dynamics365"}}
    accounts = load_asset(
        ACCOUNTS,
        **load,
        plural="accounts",
        payloads_key=ACCOUNT_PAYLOADS,
        description="SAP vendors and customers upserted as Dataverse accounts by external id.",
    )
    documents = load_asset(
        documents_target,
        **load,
        plural=ENTITY_SETS[rules.document_object],
        payloads_key=ORDER_PAYLOADS,
        part="document",
        deps=[accounts.key],
        description=f"SAP purchase orders upserted as {rules.document_object} rows by purchase "
        "order number, bound to the vendor's account.",
    )
    lines = load_asset(
        lines_target,
        **load,
        plural=ENTITY_SETS[rules.line_object],
        payloads_key=ORDER_PAYLOADS,
        part="line",
        deps=[documents.key],
        description=f"SAP purchase order items upserted as {rules.line_object} rows (write-in "
        "products with quantity and price); the target totals them on the document.",
    )
    return TargetAssets(
        [sap_ecc_account_payloads, sap_ecc_purchase_order_payloads, accounts, documents, lines],
        [ACCOUNTS, documents_target, lines_target],
    )
