"""One pair's records into one target object: records sharing one target key are conflict dead letters
(key_conflicts.py), what the mapping rejected or excluded is recorded, the rest loaded;
then each accounted for in the target, and what the target lost (drift) sent again."""

from collections.abc import Callable
from dataclasses import dataclass

from ml_connector_dagster.key_conflicts import key_conflicts, without
from ml_connector_dagster.ledger import Action, ErrorClass, Forgotten, Ledger, Outcome
from ml_connector_dagster.loading import LoadSummary, TargetWriter, WriteResult, deletes, load
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.materialize import Accounting, DriftLimit, ReadBack, account_for, drift_evidence


@dataclass(frozen=True)
class SyncTarget:
    pair: str
    target_object: str
    writer: TargetWriter
    batch_size: int


def sync(
    result: MappingResult,
    target: SyncTarget,
    ledger: Ledger,
    *,
    run_id: str | None,
    partition: str | None,
    source_rows: int | None = None,
) -> LoadSummary:
    conflicts = key_conflicts(result)
    entries = len(result.records) + len(result.rejected) + len(result.excluded)
    result = without(result, conflicts)
    conflicting = [conflict.outcome() for conflict in conflicts]
    rejected = [
        Outcome(
            r.source_key,
            Action.FAILED,
            {"payload": None, "source": r.source},
            error_class=ErrorClass.VALIDATION,
            error_message=r.reason,
        )
        for r in result.rejected
    ]
    excluded = [Outcome(e.source_key, Action.SKIPPED, None, error_message=e.reason) for e in result.excluded]
    if rejected or excluded or conflicting:
        ledger.record(
            pair=target.pair,
            target_object=target.target_object,
            outcomes=[*rejected, *excluded, *conflicting],
            run_id=run_id,
            partition=partition,
        )
    summary = _load(result.records, target, ledger, run_id=run_id, partition=partition)
    summary.records = source_rows if source_rows is not None else summary.records + entries - len(result.records)
    summary.failed += len(rejected) + len(conflicting)
    summary.failures_by_class[ErrorClass.VALIDATION] = summary.failures_by_class.get(ErrorClass.VALIDATION, 0) + len(
        rejected
    )
    if conflicting:
        summary.failures_by_class[ErrorClass.CONFLICT] = summary.failures_by_class.get(ErrorClass.CONFLICT, 0) + len(
            conflicting
        )
    summary.skipped += len(excluded)
    removed = remove(
        [e.source_key for e in result.excluded if e.remove_from_target],
        target,
        ledger,
        run_id=run_id,
        partition=partition,
    )
    summary.include(removed)
    return summary


def resend_drifted(
    result: MappingResult,
    drifted: list[str],
    target: SyncTarget,
    ledger: Ledger,
    *,
    run_id: str | None,
    partition: str | None,
) -> tuple[Forgotten, LoadSummary]:
    """Heals drift: records of this partition the ledger held as written but the target lacks are forgotten
    (audited as `drifted`) and sent again now, as the new records they are to the target, with the records of this
    object that refer to them. A target without upserts is safe here only because its writer looks a record up
    before it creates it (F&O): forgetting never makes it write what it holds."""
    forgotten = ledger.forget_drifted(target.pair, target.target_object, drifted, run_id=run_id, partition=partition)
    keys = set(forgotten.source_keys)
    resent = _load(
        [record for record in result.records if record.source_key in keys],
        target,
        ledger,
        run_id=run_id,
        partition=partition,
    )
    return forgotten, resent


def _load(records, target: SyncTarget, ledger: Ledger, *, run_id: str | None, partition: str | None) -> LoadSummary:
    return load(
        records,
        writer=target.writer,
        ledger=ledger,
        pair=target.pair,
        target_object=target.target_object,
        batch_size=target.batch_size,
        run_id=run_id,
        partition=partition,
    )


def remove(
    source_keys: list[str],
    target: SyncTarget,
    ledger: Ledger,
    *,
    run_id: str | None = None,
    partition: str | None = None,
) -> LoadSummary:
    """Deletes from the target what the connector wrote earlier under these keys; keys it never wrote cost nothing.
    A target that does not delete fails each key it holds with that reason, for a person to remove by hand."""
    synced = ledger.synced(target.pair, target.target_object, source_keys)
    summary = LoadSummary()
    keys = sorted(synced)
    for start in range(0, len(keys), target.batch_size):
        batch = keys[start : start + target.batch_size]
        if deletes(target.writer):
            results = {result.source_key: result for result in target.writer.delete(target.target_object, batch)}
            summary.batches += 1
        else:
            results = {
                key: WriteResult(
                    key,
                    False,
                    error_class=ErrorClass.VALIDATION,
                    error_message=(
                        f"{target.target_object}: this target does not delete records; the mapping asked to remove "
                        "this one, so remove it in the target by hand"
                    ),
                )
                for key in batch
            }
        outcomes = []
        for key in batch:
            result = results.get(key)
            if result is not None and result.ok:
                outcomes.append(Outcome(key, Action.DELETED, None, synced[key].target_id))
            else:
                outcomes.append(
                    Outcome(
                        key,
                        Action.FAILED,
                        None,
                        error_class=(result and result.error_class) or ErrorClass.TRANSIENT,
                        error_code=result and result.error_code,
                        error_message=(result and result.error_message) or "delete not confirmed",
                    )
                )
        ledger.record(
            pair=target.pair, target_object=target.target_object, outcomes=outcomes, run_id=run_id, partition=partition
        )
        for outcome in outcomes:
            summary.add(outcome)
    return summary


@dataclass(frozen=True)
class Accounted:
    accounting: Accounting  # where each record of the partition is, after any heal
    drifted: int  # records the ledger held as written that the target lacked
    heal_command: str | None  # what to run when they were too many to send again unasked
    check_calls: int = 0  # calls the check made reading the target back (a heal's writes not among them)


def account_and_heal(
    result: MappingResult,
    target: SyncTarget,
    ledger: Ledger,
    summary: LoadSummary,
    *,
    limit: DriftLimit,
    run_id: str | None,
    partition: str | None,
    log: Callable[[str], None],
    read_back: ReadBack,
) -> Accounted:
    """After a sync: where each record of the partition is, by what the writes of this run answered, the ledger,
    and what `read_back` has read from the target. Drift within `limit` is healed (`resend_drifted`, its counts
    added to `summary`) and accounted for again, without reading again what was read; beyond it nothing is sent and
    the answer names the command that heals it on purpose."""
    scope = {"ledger": ledger, "pair": target.pair, "target_object": target.target_object, "run_id": run_id}
    # What the target was found to hold: what a heal then sends is written again, so only a "there" stays true.
    there: set[str] = set()
    calls = 0

    def in_target(known: dict[str, str | None]) -> set[str]:
        nonlocal calls
        ask = {key: target_id for key, target_id in known.items() if key not in there}
        if ask:
            before = target.writer.counter.total
            there.update(target.writer.existing_keys(target.target_object, ask))
            calls += target.writer.counter.total - before
        return there.intersection(known)

    found = account_for(result, **scope, in_target=in_target, read_back=read_back)
    drifted = len(found.drifted)
    if not drifted:
        return Accounted(found, 0, None, calls)
    missing, written = drift_evidence(
        found, limit, ledger=ledger, pair=target.pair, target_object=target.target_object, in_target=in_target
    )
    if not limit.heals(missing, written):
        command = f"ml-connector heal --pair {target.pair} --object {target.target_object}"
        log(
            f"{target.target_object}: the target lacks {missing} of the {written} records the ledger holds as written "
            f"(this partition's, and others where it has few): not sent again unasked; see `{command}`"
        )
        return Accounted(found, drifted, command, calls)
    forgotten, resent = resend_drifted(result, found.drifted, target, ledger, run_id=run_id, partition=partition)
    summary.include(resent)
    log(
        f"{target.target_object}: {drifted} records the ledger held as written were missing from the target "
        f"(deleted there?), sent again: {resent.as_metadata()}; {len(forgotten.dependents)} records that refer to "
        "them follow them"
    )
    # `in_target` remembers what it found: this reads nothing the first accounting found.
    again = account_for(result, **scope, in_target=in_target, read_back=read_back)
    return Accounted(again, drifted, None, calls)
