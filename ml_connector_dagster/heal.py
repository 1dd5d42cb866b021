"""Healing on purpose a target that no longer knows the ledger's records (`ml-connector heal`).

A load re-sends by itself the few records its target lacks (assets/load.py). A target that lacks most of what the
ledger holds as written for a partition (a refreshed sandbox, a restore, another environment behind the same URL) is
not healed silently: the load's check fails and points here. `heal` asks the target which of the ledger's records of
one (pair, target object) it holds, forgets the sync state of the rest (audited as `drifted`, with who healed) so the
next run of their partitions sends them again, and names those partitions (the CLI reruns them); records the initial
load wrote name no partition, so the pair's initial load runs again for them (it reads every master and sends what
the ledger no longer holds). It holds the object's lease meanwhile, so no load of the object runs halfway through it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from ml_connector_dagster import initial_load
from ml_connector_dagster.assets.load import LoadTarget
from ml_connector_dagster.code_location import build_pairs
from ml_connector_dagster.connections import ledger_resource
from ml_connector_dagster.demo import QUIET
from ml_connector_dagster.lease import Lease
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.loading import TargetWriter
from ml_connector_dagster.session_resource import SessionResource
from ml_connector_dagster.settings import Settings

INITIAL_LOAD = "initial load"


@dataclass(frozen=True)
class Healed:
    pair: str
    target_object: str
    written: int  # records the ledger held as written to the target
    missing: list[str]  # of those, the ones the target lacks: forgotten, unless it was a dry run
    dependents: int  # records that refer to missing ones, sent again once those are back
    partitions: list[str]  # whose runs send the missing records again
    without_partition: list[str]  # missing records no daily run wrote (the initial load's, or a replay's)


def heal(
    ledger: Ledger,
    load: LoadTarget,
    writer: TargetWriter,
    *,
    by: str,
    dry_run: bool = False,
    log: Callable[[str], None] = print,
) -> Healed:
    """Forgets what the target of `load` lacks of what the ledger holds as written there (only counts it when
    `dry_run`). A target without upserts (F&O) is safe to heal only because its writer looks each record up before
    it creates it."""
    with Lease(ledger, load.pair, load.target_object, log=log):
        known = ledger.target_ids(load.pair, load.target_object)
        present = writer.existing_keys(load.target_object, known) if known else set()
        missing = sorted(set(known) - present)
        partitions = ledger.partitions_of(load.pair, load.target_object, missing)
        dependents = []
        if missing and not dry_run:
            forgotten = ledger.forget_drifted(
                load.pair, load.target_object, missing, run_id=None, partition=None, actor=by
            )
            dependents = forgotten.dependents
    return Healed(
        load.pair,
        load.target_object,
        len(known),
        missing,
        len(dependents),
        sorted({partition for partition in partitions.values() if partition is not None}),
        [key for key, partition in partitions.items() if partition is None],
    )


@dataclass
class PairHealed:
    objects: list[Healed]
    reruns: dict[str, dg.ExecuteInProcessResult] = field(default_factory=dict)  # by partition, or `initial load`

    @property
    def partitions(self) -> list[str]:
        return sorted({partition for healed in self.objects for partition in healed.partitions})

    @property
    def without_partition(self) -> bool:
        return any(healed.without_partition for healed in self.objects)


def heal_pair(
    config: Settings,
    pair: str,
    target_object: str | None = None,
    *,
    defs: dg.Definitions,
    target: Callable[[str], SessionResource],
    instance: dg.DagsterInstance,
    by: str,
    dry_run: bool = False,
    rerun: bool = True,
    log: Callable[[str], None] = print,
) -> PairHealed:
    """`heal` for each object of `pair` (or only `target_object`), reading each target through `target(system)`
    (its resource), then, unless told not to, the pair's job for every partition that sends the
    forgotten records again, on `instance`. Raises LookupError for a pair or object no load writes."""
    loads = [load for part in build_pairs(config) for load in part.loads if load.pair == pair]
    chosen = [load for load in loads if target_object in (None, load.target_object)]
    if not chosen:
        raise LookupError(
            f"no load writes {pair} {target_object}; its objects: {', '.join(load.target_object for load in loads)}"
            if loads
            else f"no load writes for pair {pair!r}"
        )
    ledger = ledger_resource(config).ledger()
    try:
        objects = []
        for load in chosen:
            with target(load.target).open() as session:
                objects.append(heal(ledger, load, load.writer(session), by=by, dry_run=dry_run, log=log))
    finally:
        ledger.dispose()
    healed = PairHealed(objects)
    if rerun and not dry_run:
        job = defs.resolve_job_def(pair)
        for partition in healed.partitions:
            healed.reruns[partition] = job.execute_in_process(
                partition_key=partition, instance=instance, raise_on_error=False, run_config=QUIET
            )
        if healed.without_partition and defs.get_repository_def().has_job(initial_load.job_name(pair)):
            masters = defs.resolve_job_def(initial_load.job_name(pair))
            healed.reruns[INITIAL_LOAD] = masters.execute_in_process(
                instance=instance, raise_on_error=False, run_config={**QUIET, **initial_load.run_config(masters)}
            )
    return healed
