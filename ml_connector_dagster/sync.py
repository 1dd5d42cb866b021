"""One pair's records into one target object: what the mapping rejected or excluded is recorded, the rest loaded."""

from dataclasses import dataclass

from ml_connector_dagster.ledger import Action, ErrorClass, Ledger, Outcome
from ml_connector_dagster.loading import LoadSummary, TargetWriter, WriteResult, deletes, load
from ml_connector_dagster.mapping.common import MappingResult


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
    if rejected or excluded:
        ledger.record(
            pair=target.pair,
            target_object=target.target_object,
            outcomes=[*rejected, *excluded],
            run_id=run_id,
            partition=partition,
        )
    summary = load(
        result.records,
        writer=target.writer,
        ledger=ledger,
        pair=target.pair,
        target_object=target.target_object,
        batch_size=target.batch_size,
        run_id=run_id,
        partition=partition,
    )
    summary.records = source_rows if source_rows is not None else summary.records + len(rejected) + len(excluded)
    summary.failed += len(rejected)
    summary.failures_by_class[ErrorClass.VALIDATION] = summary.failures_by_class.get(ErrorClass.VALIDATION, 0) + len(
        rejected
    )
    summary.skipped += len(excluded)
    removed = remove(
        [e.source_key for e in result.excluded if e.remove_from_target],
        target,
        ledger,
        run_id=run_id,
        partition=partition,
    )
    summary.deleted += removed.deleted
    summary.failed += removed.failed
    summary.batches += removed.batches
    for name, count in removed.failures_by_class.items():
        summary.failures_by_class[name] = summary.failures_by_class.get(name, 0) + count
    return summary


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
                outcomes.append(Outcome(key, Action.DELETED, None, synced[key].target_id, previous=synced[key].payload))
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
