"""The sensor every event source shares: a cursor over its inbox rows turned into runs of the partitions the
events fall into. Events only trigger; the run's extract reads the source itself, so a duplicate or out-of-order
event costs at most a rerun that changes nothing. Rows stay in the inbox, so an event that arrived while no sensor
ran is picked up when one does."""

from collections.abc import Callable

import dagster as dg
from ml_connector_dagster.resources.ledger import LedgerResource

BATCH = 1000


def inbox_sensor(
    *,
    name: str,
    source: str,
    job,
    partitions: dg.PartitionsDefinition,
    partition_of: Callable[[dict], str],
    minimum_interval_seconds: int = 30,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=name,
        job=job,
        minimum_interval_seconds=minimum_interval_seconds,
        description=f"Runs the partitions that {source} events name (cursor: last inbox row).",
    )
    def _sensor(context: dg.SensorEvaluationContext, ledger: LedgerResource):
        rows = ledger.ledger().inbox_after(source, int(context.cursor or 0), limit=BATCH)
        if not rows:
            return dg.SkipReason(f"no new {source} events")
        known = set(partitions.get_partition_keys(dynamic_partitions_store=context.instance))
        wanted = sorted({partition_of(row["payload"]) for row in rows})
        unknown = [key for key in wanted if key not in known]
        if unknown:
            context.log.warning(f"{source} events for partitions this deployment does not sync: {unknown}")
        last = rows[-1]["id"]
        context.update_cursor(str(last))
        # The run key ties a run to the inbox rows that asked for it: re-evaluating the same rows asks again for
        # nothing, new rows for the same partition ask for a new run.
        return [dg.RunRequest(run_key=f"{source}:{last}:{key}", partition_key=key) for key in wanted if key in known]

    return _sensor
