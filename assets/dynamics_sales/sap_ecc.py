"""SAP ECC → Dynamics 365 Sales: account payloads from the business partner snapshots, opportunity (or order) and
line payloads from the purchase order snapshots, and their loads. Accounts load first: documents bind to the
vendor's account, lines to their document."""

import dagster as dg
import pandas as pd

from ml_connector_dagster.assets.load import LoadTarget, load_asset, mapping_metadata
from ml_connector_dagster.resources.dynamics_sales.client import ENTITY_SETS
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import frame_models
from ml_connector_dagster.partitions import daily_partitions
from ml_connector_dagster.settings import settings
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource

GROUP = "dynamics_sales"
PAIR = mapping.PAIR
RULES = mapping.load_pair_rules(settings().mapping_file(PAIR))

ACCOUNT_PAYLOADS = dg.AssetKey(["dynamics_sales", "sap_ecc_account_payloads"])
ORDER_PAYLOADS = dg.AssetKey(["dynamics_sales", "sap_ecc_purchase_order_payloads"])


@dg.asset(key=ACCOUNT_PAYLOADS, group_name=GROUP, partitions_def=daily_partitions,
          ins={"snapshot": dg.AssetIn(key=["sap_ecc", "business_partner_snapshots"])}, kinds={"python"},
          code_version="1", description="Validated Dataverse account payloads: one per vendor (with the customers "
                                        "that are the same company) and per other customer; invalid ones carry the "
                                        "reason.")
def sap_ecc_account_payloads(snapshot: dict[str, pd.DataFrame]) -> dg.Output[MappingResult]:
    result = mapping.map_accounts(
        frame_models(snapshot["LFA1"], mapping.Vendor), frame_models(snapshot["LFB1"], mapping.CompanyCode),
        frame_models(snapshot["KNA1"], mapping.Customer), frame_models(snapshot["KNB1"], mapping.CompanyCode), RULES)
    return dg.Output(result, metadata=mapping_metadata(result))


@dg.asset(key=ORDER_PAYLOADS, group_name=GROUP, partitions_def=daily_partitions,
          ins={"snapshot": dg.AssetIn(key=["sap_ecc", "purchase_order_snapshots"])}, kinds={"python"},
          code_version="1", description=f"Validated payloads of the day's purchase orders as "
                                        f"{RULES.document_object} rows and their items as {RULES.line_object} rows, "
                                        "bound to the vendor's account and the order's currency.")
def sap_ecc_purchase_order_payloads(snapshot: dict[str, pd.DataFrame],
                                    dynamics_sales: DynamicsSalesResource) -> dg.Output[dict[str, MappingResult]]:
    client = dynamics_sales.session()
    result = mapping.map_purchase_orders(
        frame_models(snapshot["EKKO"], mapping.PurchaseOrder), frame_models(snapshot["EKPO"], mapping.PurchaseOrderItem),
        RULES, key_column=dynamics_sales.external_id_column, currencies=client.currencies())
    metadata = {f"{part}_{name}": value for part, part_result in result.items()
                for name, value in mapping_metadata(part_result).items()}
    return dg.Output(result, metadata=metadata)


LOAD = {"partitions_def": daily_partitions, "kinds": {"dynamics365"}}
sap_ecc_accounts = load_asset(LoadTarget(PAIR, "account", GROUP), **LOAD, plural="accounts", payloads_key=ACCOUNT_PAYLOADS,
                              description="SAP vendors and customers upserted as Dataverse accounts by external id.")
sap_ecc_documents = load_asset(LoadTarget(PAIR, RULES.document_object, GROUP), **LOAD,
                               plural=ENTITY_SETS[RULES.document_object],
                               payloads_key=ORDER_PAYLOADS, part="document", deps=[sap_ecc_accounts.key],
                               description=f"SAP purchase orders upserted as {RULES.document_object} rows by "
                                           "purchase order number, bound to the vendor's account.")
sap_ecc_lines = load_asset(LoadTarget(PAIR, RULES.line_object, GROUP), **LOAD, plural=ENTITY_SETS[RULES.line_object],
                           payloads_key=ORDER_PAYLOADS,
                           part="line", deps=[sap_ecc_documents.key],
                           description=f"SAP purchase order items upserted as {RULES.line_object} rows (write-in "
                                       "products with quantity and price); the target totals them on the document.")

assets = [sap_ecc_account_payloads, sap_ecc_purchase_order_payloads, sap_ecc_accounts, sap_ecc_documents,
          sap_ecc_lines]
