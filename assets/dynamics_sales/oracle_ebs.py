"""Oracle EBS → Dynamics 365 Sales: account and contact payloads (pure mapping) and their loads (upserts by
external id), with the agreement checks. Accounts load before contacts, which bind to their parent account."""

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapping_metadata
from ml_connector_dagster.resources.dynamics_sales import DynamicsSalesResource
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import frame_models

GROUP = "dynamics_sales"
PAIR = mapping.PAIR

ACCOUNT_PAYLOADS = dg.AssetKey([GROUP, "oracle_ebs_account_payloads"])
CONTACT_PAYLOADS = dg.AssetKey([GROUP, "oracle_ebs_contact_payloads"])
ACCOUNTS = LoadTarget(PAIR, "account", GROUP)
CONTACTS = LoadTarget(PAIR, "contact", GROUP)


def target_assets(partitions_def: dg.PartitionsDefinition, rules: mapping.Rules) -> TargetAssets:
    @dg.asset(
        key=ACCOUNT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"snapshot": dg.AssetIn(key=["oracle_ebs", "party_snapshots"])},
        kinds={"python"},
        code_version="2",
        description="Validated Dataverse account payloads for the parties that changed or whose supplier ended "
        "that day: customers, suppliers or both, active or not as of the day's end, with billing address and "
        "parent account; invalid ones carry the reason.",
    )
    def oracle_ebs_account_payloads(
        context: dg.AssetExecutionContext,
        snapshot: dict[str, pd.DataFrame],
        dynamics_sales: DynamicsSalesResource,
        oracle_ebs: OracleEbsResource,
        ledger: LedgerResource,
    ) -> dg.Output[MappingResult]:
        result = mapping.map_accounts(
            frame_models(snapshot["hz_parties"], mapping.Party),
            frame_models(snapshot["hz_cust_accounts"], mapping.CustAccount),
            frame_models(snapshot["hz_party_sites"], mapping.PartySite),
            frame_models(snapshot["po_vendors"], mapping.Vendor),
            frame_models(snapshot["po_vendor_sites_all"], mapping.VendorSite),
            rules,
            key_column=dynamics_sales.external_id_column,
            as_of=oracle_ebs.server_time(_as_of(context, partitions_def, ledger)),
        )
        return dg.Output(result, metadata=mapping_metadata(result))

    @dg.asset(
        key=CONTACT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"contacts": dg.AssetIn(key=["oracle_ebs", "hz_contacts"])},
        kinds={"python"},
        code_version="3",
        description="Validated Dataverse contact payloads bound to their parent account, active or not as of the "
        "day's end.",
    )
    def oracle_ebs_contact_payloads(
        context: dg.AssetExecutionContext,
        contacts: pd.DataFrame,
        dynamics_sales: DynamicsSalesResource,
        oracle_ebs: OracleEbsResource,
        ledger: LedgerResource,
    ) -> dg.Output[MappingResult]:
        result = mapping.map_contacts(
            frame_models(contacts, mapping.Contact),
            rules,
            key_column=dynamics_sales.external_id_column,
            as_of=oracle_ebs.server_time(_as_of(context, partitions_def, ledger)),
        )
        return dg.Output(result, metadata=mapping_metadata(result))

    accounts = load_asset(
        ACCOUNTS,
        plural="accounts",
        payloads_key=ACCOUNT_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"dynamics365"},
        description="EBS customers and suppliers upserted as Dataverse "
        "accounts by external id (UpsertMultiple), parents "
        "before children.",
    )
    contacts = load_asset(
        CONTACTS,
        plural="contacts",
        payloads_key=CONTACT_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"dynamics365"},
        deps=[accounts.key],
        description="EBS organization contacts upserted as Dataverse contacts, bound to their parent account.",
    )
    return TargetAssets(
        [oracle_ebs_account_payloads, oracle_ebs_contact_payloads, accounts, contacts], [ACCOUNTS, CONTACTS]
    )


def _as_of(context: dg.AssetExecutionContext, partitions_def, ledger: LedgerResource):
    """The moment whose end dates count: the end of this day, or of the newest day this pair has run if that is
    later. Not the wall clock, so a run is the same whenever it runs; and never before a day already run, so a
    rerun of an old day does not bring back a supplier a later day ended (it would flip back and forth)."""
    newest = ledger.ledger().newest_partition(PAIR)
    if newest is None or not partitions_def.has_partition_key(newest):
        return context.partition_time_window.end
    return max(context.partition_time_window.end, partitions_def.time_window_for_partition_key(newest).end)
