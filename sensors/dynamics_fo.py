"""When the F&O → Salesforce flow runs: a Business Event names a legal entity, and that entity is read again and
synced (the event itself is a stub); a daily schedule syncs every entity, so an event F&O never delivered is caught
by the next day."""

import dagster as dg
from ml_connector_dagster.sensors.inbox import inbox_sensor

from ml_connector_dagster.events.dynamics_fo import legal_entity


def business_events_sensor(job, partitions: dg.PartitionsDefinition) -> dg.SensorDefinition:
    return inbox_sensor(
        name="dynamics_fo_business_events",
        source="dynamics_fo",
        job=job,
        partitions=partitions,
        partition_of=legal_entity,
    )


def every_entity_daily(job, partitions: dg.PartitionsDefinition, hour: int) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="dynamics_fo_daily_schedule",
        job=job,
        cron_schedule=f"0 {hour} * * *",
        execution_timezone="UTC",
        description="Daily: every legal entity, whatever events arrived.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        return [
            dg.RunRequest(run_key=f"{day}:{entity}", partition_key=entity) for entity in partitions.get_partition_keys()
        ]

    return _schedule
