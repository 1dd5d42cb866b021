"""The load asset every source pair into Dynamics 365 Sales shares: upsert a partition's payloads by external id
into one table, report the counts, and check agreement (every record in the target, a dead letter or excluded; no
two source records on one external id)."""

from collections.abc import Callable

import dagster as dg

from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import accounted_for_check, duplicate_keys_check, load_metadata
from ml_connector_dagster.partitions import daily_partitions
from ml_connector_dagster.sync import SyncTarget, sync
from resources.dynamics_sales import DynamicsSalesResource
from resources.dynamics_sales.client import ENTITY_SETS
from resources.ledger import LedgerResource

GROUP = "dynamics_sales"


def mapping_metadata(result: MappingResult) -> dict:
    return {"payloads": len(result.records), "rejected": len(result.rejected), "excluded": len(result.excluded)}


def load_asset(*, pair: str, source: str, target_object: str, payloads_key: dg.AssetKey, description: str,
               deps: list[dg.AssetKey] = (), part: str | None = None) -> dg.AssetsDefinition:
    """`dynamics_sales/<source>_<entity set>` from the payloads asset (or its `part` when it holds several)."""
    key = dg.AssetKey([GROUP, f"{source}_{ENTITY_SETS[target_object]}"])
    accounted = f"every_{target_object}_in_target_or_dead_letter"
    unique = f"no_two_source_{ENTITY_SETS[target_object]}_share_an_external_id"
    # The checks run inside the load, on the partition's own payloads: an asset check is not partitioned, so a
    # separate check step reading the payloads would load every partition of them.
    checks = [dg.AssetCheckSpec(accounted, asset=key, description=f"Every source record of the partition is in "
                                f"Dynamics 365 Sales ({ENTITY_SETS[target_object]}, read back from the target), an "
                                "open dead letter, or excluded by the mapping rules."),
              dg.AssetCheckSpec(unique, asset=key, description="No two source records of the partition map to one "
                                                               "external id.")]
    pick: Callable[[object], MappingResult] = (lambda value: value[part]) if part else (lambda value: value)

    @dg.asset(key=key, group_name=GROUP, partitions_def=daily_partitions, deps=list(deps),
              ins={"payloads": dg.AssetIn(key=payloads_key)}, kinds={"dynamics365"}, pool="dynamics_sales_api",
              description=description, code_version="1", check_specs=checks)
    def _load(context: dg.AssetExecutionContext, payloads, dynamics_sales: DynamicsSalesResource,
              ledger: LedgerResource) -> dg.MaterializeResult:
        result = pick(payloads)
        client = dynamics_sales.session()
        calls, writes = client.counter.total, client.counter.writes
        summary = sync(result, SyncTarget(pair, target_object, client, dynamics_sales.batch_size), ledger.ledger(),
                       run_id=context.run.run_id, partition=context.partition_key)
        context.log.info(f"{target_object}: {summary.as_metadata()}")
        metadata = load_metadata(summary, api_calls=client.counter.total - calls,
                                 write_calls=client.counter.writes - writes)
        check_results = [
            accounted_for_check(accounted, result, ledger=ledger.ledger(), pair=pair, target_object=target_object,
                                in_target=lambda keys: client.existing_keys(target_object, keys)),
            duplicate_keys_check(unique, result)]
        return dg.MaterializeResult(metadata=metadata, check_results=check_results)

    return _load
