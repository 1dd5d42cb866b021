"""Oracle EBS → Dynamics 365 Sales: account and contact payloads (pure mapping) and their loads (upserts by
external id), with the agreement checks. Accounts load before contacts, which bind to their parent account."""

from datetime import date

import dagster as dg
import pandas as pd

from assets.oracle_ebs import daily_partitions
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import accounted_for_check, duplicate_keys_check, frame_models, load_metadata
from ml_connector_dagster.settings import settings
from ml_connector_dagster.sync import SyncTarget, sync
from resources.dynamics_sales import DynamicsSalesResource
from resources.ledger import LedgerResource

GROUP = "dynamics_sales"
PAIR = mapping.PAIR
RULES = mapping.load_pair_rules(settings().mapping_file(PAIR))

ACCOUNT_PAYLOADS = dg.AssetKey(["dynamics_sales", "oracle_ebs_account_payloads"])
CONTACT_PAYLOADS = dg.AssetKey(["dynamics_sales", "oracle_ebs_contact_payloads"])
ACCOUNTS = dg.AssetKey(["dynamics_sales", "oracle_ebs_accounts"])
CONTACTS = dg.AssetKey(["dynamics_sales", "oracle_ebs_contacts"])


@dg.asset(key=ACCOUNT_PAYLOADS, group_name=GROUP, partitions_def=daily_partitions,
          ins={"snapshot": dg.AssetIn(key=["oracle_ebs", "party_snapshots"])}, kinds={"python"}, code_version="1",
          description="Validated Dataverse account payloads for the parties that changed: customers, suppliers or "
                      "both, with billing address and parent account; invalid ones carry the reason.")
def oracle_ebs_account_payloads(context: dg.AssetExecutionContext, snapshot: dict[str, pd.DataFrame],
                                dynamics_sales: DynamicsSalesResource) -> dg.Output[MappingResult]:
    result = mapping.map_accounts(
        frame_models(snapshot["hz_parties"], mapping.Party),
        frame_models(snapshot["hz_cust_accounts"], mapping.CustAccount),
        frame_models(snapshot["hz_party_sites"], mapping.PartySite),
        frame_models(snapshot["po_vendors"], mapping.Vendor),
        frame_models(snapshot["po_vendor_sites_all"], mapping.VendorSite),
        RULES, key_column=dynamics_sales.external_id_column, today=date.today())
    return dg.Output(result, metadata=_mapping_metadata(result))


@dg.asset(key=CONTACT_PAYLOADS, group_name=GROUP, partitions_def=daily_partitions,
          ins={"contacts": dg.AssetIn(key=["oracle_ebs", "hz_contacts"])}, kinds={"python"}, code_version="1",
          description="Validated Dataverse contact payloads bound to their parent account.")
def oracle_ebs_contact_payloads(contacts: pd.DataFrame,
                                dynamics_sales: DynamicsSalesResource) -> dg.Output[MappingResult]:
    result = mapping.map_contacts(frame_models(contacts, mapping.Contact), RULES,
                                  key_column=dynamics_sales.external_id_column)
    return dg.Output(result, metadata=_mapping_metadata(result))


def _mapping_metadata(result: MappingResult) -> dict:
    return {"payloads": len(result.records), "rejected": len(result.rejected), "excluded": len(result.excluded)}


def _load_asset(key: dg.AssetKey, payloads_key: dg.AssetKey, target_object: str, description: str,
                deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    plural = target_object + "s"
    accounted, unique = f"every_{target_object}_in_target_or_dead_letter", f"no_two_source_{plural}_share_an_external_id"
    # The checks run inside the load, on the partition's own payloads: an asset check is not partitioned, so a
    # separate check step reading the payloads would load every partition of them.
    checks = [dg.AssetCheckSpec(accounted, asset=key, description=f"Every source record of the partition is in "
                                f"Dynamics 365 Sales ({plural}, read back from the target), an open dead letter, or "
                                "excluded by the mapping rules."),
              dg.AssetCheckSpec(unique, asset=key, description="No two source records of the partition map to one "
                                                               "external id.")]

    @dg.asset(key=key, group_name=GROUP, partitions_def=daily_partitions, deps=deps,
              ins={"result": dg.AssetIn(key=payloads_key)}, kinds={"dynamics365"}, pool="dynamics_sales_api",
              description=description, code_version="1", check_specs=checks)
    def _load(context: dg.AssetExecutionContext, result: MappingResult, dynamics_sales: DynamicsSalesResource,
              ledger: LedgerResource) -> dg.MaterializeResult:
        client = dynamics_sales.session()
        calls, writes = client.counter.total, client.counter.writes
        summary = sync(result, SyncTarget(PAIR, target_object, client, dynamics_sales.batch_size), ledger.ledger(),
                       run_id=context.run.run_id, partition=context.partition_key)
        context.log.info(f"{target_object}: {summary.as_metadata()}")
        metadata = load_metadata(summary, api_calls=client.counter.total - calls,
                                 write_calls=client.counter.writes - writes)
        check_results = [
            accounted_for_check(accounted, result, ledger=ledger.ledger(), pair=PAIR, target_object=target_object,
                                in_target=lambda keys: client.existing_keys(target_object, keys)),
            duplicate_keys_check(unique, result)]
        return dg.MaterializeResult(metadata=metadata, check_results=check_results)

    return _load


oracle_ebs_accounts = _load_asset(ACCOUNTS, ACCOUNT_PAYLOADS, "account", deps=[],
                                  description="EBS customers and suppliers upserted as Dataverse accounts by "
                                              "external id (UpsertMultiple), parents before children.")
oracle_ebs_contacts = _load_asset(CONTACTS, CONTACT_PAYLOADS, "contact", deps=[ACCOUNTS],
                                  description="EBS organization contacts upserted as Dataverse contacts, bound to "
                                              "their parent account.")

assets = [oracle_ebs_account_payloads, oracle_ebs_contact_payloads, oracle_ebs_accounts, oracle_ebs_contacts]
