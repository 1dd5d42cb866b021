"""The load asset every pair shares, whatever its target: upsert a partition's payloads by external id into one target
object, a group of pages at a time (ml_connector_dagster/paged_sync.py: a spool of payload pages, or a result held
whole as its one page), report the counts, and check agreement (every record in the target, a dead letter or
excluded; no two source records on one external id). It holds the lease of its (pair, target object) throughout, so
two writers of one object never overlap, and heals drift the check finds (records the ledger holds as written that
the target lacks) by sending them again, unless the target lacks so much that it no longer knows the ledger (then the
check fails and points to `ml-connector heal`). The check reads back from the target only what the run's write
answers and the ledger leave open, a share of the partition per run in turn (materialize.ReadBack); the share's turn
is kept in the partition's materialization metadata (`read_back_turn`). A target plugs in through its resource:
`session()` gives a writer (loading.TargetWriter) that upserts, says which external ids exist and counts its calls,
and may delete; `batch_size` is how many records go to one upsert."""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import dagster as dg
from ml_connector_dagster.assets.dead_letters import load_tags

from ml_connector_dagster.key_upgrade import refuse_first_format
from ml_connector_dagster.lease import Lease
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import parallelism
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import (
    accounted_for_check,
    duplicate_keys_result,
    failed_records_metadata,
    load_metadata,
    waiting_for_parents_check,
)
from ml_connector_dagster.paged_sync import sync_pages
from ml_connector_dagster.spool import Spool, pages_of, spooled
from ml_connector_dagster.spool_io import PAGES
from ml_connector_dagster.sync import SyncTarget


def _same_session(session):
    return session


@dataclass(frozen=True)
class LoadTarget:
    """Where one load writes: the pair and object its ledger rows are kept under, the target system (its resource
    key, group and pool) and how that resource's session becomes the writer (`writer`, e.g. Salesforce addressed by
    record Id). Loads and replay both write through it, so a dead letter goes back the way it first went."""

    pair: str
    target_object: str
    target: str
    writer: Callable[[object], object] = _same_session
    # What a two-way pair records once the load is done (ml_connector_dagster/two_way.py: what both sides agree on),
    # given the ledger, the mapping result and the run id; under the load's lease, so no other writer interleaves.
    settle: Callable[[Ledger, MappingResult, str | None], object] | None = None


@dataclass(frozen=True)
class TargetAssets:
    """A pair's assets for one target (payloads and loads) and the LoadTargets those loads write through."""

    assets: list[dg.AssetsDefinition]
    loads: list[LoadTarget]


def _read_back_turn(context: dg.AssetExecutionContext, key: dg.AssetKey) -> int:
    """The share of its written records this run of the partition reads back: the one after its last run's."""
    partitions = [context.partition_key] if context.has_partition_key else None
    last = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=partitions), limit=1
    ).records
    previous = last[0].asset_materialization.metadata.get("read_back_turn") if last else None
    return previous.value + 1 if previous is not None else 0


def mapping_metadata(result: MappingResult) -> dict:
    return {"payloads": len(result.records), "rejected": len(result.rejected), "excluded": len(result.excluded)}


def mapped(
    pages: Iterable, map_page: Callable[[object], MappingResult | Mapping[str, MappingResult]]
) -> dg.Output[Spool]:
    """A payload asset's value from its input's pages (a spool's, several inputs' pages chained, or a value held
    whole as its one page), mapped one page at a time into a spool of results; its metadata counts them all. A result
    in parts (part → MappingResult, e.g. documents and their lines) is counted per part (`<part>_payloads`, ...)."""
    counts: Counter = Counter()

    def results() -> Iterator:
        for page in pages_of(pages):
            result = map_page(page)
            counts.update(
                {
                    f"{part}_{name}": value
                    for part, each in result.items()
                    for name, value in mapping_metadata(each).items()
                }
                if isinstance(result, Mapping)
                else mapping_metadata(result)
            )
            yield result

    spool = spooled(results())
    return dg.Output(spool, metadata=dict(counts))


def load_asset(
    load: LoadTarget,
    *,
    plural: str,
    payloads_key: dg.AssetKey,
    partitions_def: dg.PartitionsDefinition,
    description: str,
    deps: list[dg.AssetKey] = (),
    part: str | None = None,
    kinds: set[str] = frozenset(),
    name: str | None = None,
) -> dg.AssetsDefinition:
    """`<target>/<source>_<plural>` (e.g. dynamics_sales/sap_ecc_opportunities), or `<target>/<name>`, from the
    payloads asset, or its `part` when it holds several; group and pool are the target's."""
    pair, target, target_object = load.pair, load.target, load.target_object
    source = pair.split("__")[0]
    key = dg.AssetKey([target, name or f"{source}_{plural}"])
    accounted = f"every_{target_object.lower()}_in_target_or_dead_letter"
    unique = f"no_two_source_{plural}_share_an_external_id"
    parents = f"no_{target_object.lower()}_waits_for_a_parent"
    # The checks run inside the load, on the partition's own payloads: an asset check is not partitioned, so a
    # separate check step reading the payloads would load every partition of them.
    checks = [
        dg.AssetCheckSpec(
            accounted,
            asset=key,
            description=f"Every source record of the partition is in "
            f"the target ({plural}: as a write of this run answered, or read back from it, each record at least once "
            "in every read_back_runs runs of its partition), an open dead letter, or "
            "excluded by the mapping rules.",
        ),
        dg.AssetCheckSpec(
            unique, asset=key, description="No two source records of the partition map to one external id."
        ),
        dg.AssetCheckSpec(
            parents,
            asset=key,
            description="Warns while records of the partition wait for a parent as dependency dead letters, and "
            "says why: the source lacks the parent, the target or the mapping refused it, or the mapping leaves "
            "it out.",
        ),
    ]
    pick: Callable[[object], MappingResult] = (lambda value: value[part]) if part else (lambda value: value)

    @dg.asset(
        key=key,
        group_name=target,
        partitions_def=partitions_def,
        deps=list(deps),
        ins={"payloads": dg.AssetIn(key=payloads_key, dagster_type=PAGES)},
        kinds=set(kinds),
        tags=load_tags(pair, target_object),
        pool=f"{target}_api",
        description=description,
        code_version="1",
        check_specs=checks,
        required_resource_keys={target, "ledger"},
    )
    def _load(context: dg.AssetExecutionContext, payloads) -> dg.MaterializeResult:
        resource = getattr(context.resources, target)
        ledger = context.resources.ledger.ledger()
        run_id, partition = context.run.run_id, context.partition_key
        # Held from the diff to the last ledger row and the check's heal: another run of this partition, an
        # overlapping one or another deployment on this ledger waits, then finds these records unchanged.
        with Lease(ledger, pair, target_object, run_id=run_id, log=context.log.warning) as lease:
            refuse_first_format(ledger, pair, target, target_object)
            client = lease.guard(load.writer(resource.session()))
            calls, writes = client.counter.total, client.counter.writes
            turn = _read_back_turn(context, key)
            done = sync_pages(
                lambda: pages_of(payloads, pick),
                SyncTarget(pair, target_object, client, resource.batch_size),
                ledger,
                at_once=lambda: resource.batch_size * parallelism(client),
                run_id=run_id,
                partition=partition,
                limit=context.resources.ledger.drift_limit(),
                read_back=context.resources.ledger.read_back(turn),
                log=context.log.warning,
                settle=None if load.settle is None else lambda result: load.settle(ledger, result, run_id),
            )
        summary = done.summary
        context.log.info(f"{target_object}: {summary.as_metadata()}")
        metadata = {
            **load_metadata(
                summary,
                api_calls=client.counter.total - calls,
                write_calls=client.counter.writes - writes,
                check_calls=done.check_calls,
            ),
            "drifted": done.drifted,
            "read_back_turn": turn,
            **failed_records_metadata(ledger, pair, target_object, run_id=run_id),
        }
        accounted_for = accounted_for_check(accounted, done.tally, heal_command=done.heal_command)
        if accounted_for.passed:
            # The source windows this run read for the pair are loaded once its every load of them finished in
            # agreement with no record left to retry: a rerun may then skip them while they stay unchanged
            # (unchanged_windows.py).
            ledger.window_loaded(pair, partition, run_id=run_id, load=key.to_user_string())
        check_results = [
            accounted_for,
            duplicate_keys_result(unique, done.conflicts, done.records),
            waiting_for_parents_check(parents, done.tally),
        ]
        return dg.MaterializeResult(metadata=metadata, check_results=check_results)

    return _load
