"""Salesforce Change Data Capture → runs of the Salesforce → F&O flow, through the Pub/Sub API (crm_targets.md §1.10).

Each evaluation reads the change events committed since the replay id in its cursor, and asks for one run per day
they were committed on (the daily partition whose SystemModstamp window holds them). Events only trigger: the run
reads the day from Salesforce, so a duplicated or replayed event costs at most a run that writes nothing, and the
connector's own writes (their changeOrigin names its client) ask for nothing.

Salesforce keeps events 72 hours. When the stored replay id is older, the stretch since the last good read is
polled instead: one backfill run per day of it. Until the stream has a position (first start, or after such a gap)
the sensor subscribes from EARLIEST, so whatever is still retained is delivered rather than skipped.
"""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from ml_connector_dagster.resources.salesforce import SalesforceResource
from ml_connector_dagster.resources.salesforce.pubsub import CHANGE_ENTITIES as ENTITIES
from ml_connector_dagster.resources.salesforce.pubsub import TOPIC, ChangeEvent, ReplayIdExpired

MAX_EVENTS = 1000  # per evaluation; the rest is read by the next one
IDLE_SECONDS = 5.0  # a quiet stream this long has nothing more waiting


@dataclass(frozen=True)
class Position:
    """The cursor. replay_id: hex of the last event read (None until the stream names one); read_at: when the
    stream was last read through; gap_from: the start of a stretch no event covers, polled once anchored again."""

    replay_id: str | None = None
    read_at: str | None = None
    gap_from: str | None = None

    @classmethod
    def parse(cls, cursor: str | None) -> "Position":
        return cls(**json.loads(cursor)) if cursor else cls()

    def dump(self) -> str:
        return json.dumps(asdict(self))


def triggers(event: ChangeEvent, client_name: str) -> bool:
    return (
        event.entity in ENTITIES
        and event.change_type != "DELETE"
        and f"client={client_name}" not in event.change_origin
    )


def days_between(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def change_events_sensor(job, partitions: dg.PartitionsDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="salesforce_change_events",
        job=job,
        minimum_interval_seconds=30,
        description="Runs the days Salesforce changes were committed on, read from Change Data Capture "
        "(/data/ChangeEvents over the Pub/Sub API; cursor: the replay id).",
    )
    def salesforce_change_events(context: dg.SensorEvaluationContext, salesforce: SalesforceResource):
        position = Position.parse(context.cursor)
        now = datetime.now(UTC)
        with salesforce.pubsub() as pubsub:
            try:
                fetched = pubsub.fetch(
                    TOPIC,
                    replay_id=bytes.fromhex(position.replay_id) if position.replay_id else None,
                    preset=None if position.replay_id else "EARLIEST",
                    max_events=MAX_EVENTS,
                    idle_seconds=IDLE_SECONDS,
                )
            except ReplayIdExpired as expired:
                context.log.warning(f"{expired}; polling every day since {position.read_at} instead")
                position = Position(gap_from=position.read_at or now.isoformat())
                fetched = pubsub.fetch(TOPIC, preset="EARLIEST", max_events=MAX_EVENTS, idle_seconds=IDLE_SECONDS)
        anchor = fetched.events[-1].replay_id if fetched.events else fetched.latest_replay_id
        if not anchor:
            context.update_cursor(Position(gap_from=position.gap_from).dump())
            return dg.SkipReason("the Pub/Sub stream has named no position yet")

        known = set(partitions.get_partition_keys())
        today = now.date()
        gap = (
            [day for day in days_between(datetime.fromisoformat(position.gap_from).date(), today) if day in known]
            if position.gap_from
            else []
        )
        committed = {
            e.commit_timestamp.date().isoformat() for e in fetched.events if triggers(e, salesforce.client_name)
        }
        changed = sorted((committed & known) - set(gap))
        context.update_cursor(Position(replay_id=anchor.hex(), read_at=now.isoformat()).dump())
        # Run keys tie a run to what asked for it: evaluating the same events or the same gap again asks for nothing.
        requests = [
            dg.RunRequest(run_key=f"salesforce_cdc_gap:{position.gap_from}:{day}", partition_key=day) for day in gap
        ]
        requests += [
            dg.RunRequest(run_key=f"salesforce_cdc:{anchor.hex()}:{day}", partition_key=day) for day in changed
        ]
        return requests or dg.SkipReason(f"{len(fetched.events)} change events, none to sync")

    return salesforce_change_events
