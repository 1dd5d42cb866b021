"""When the F&O → Salesforce flow runs: a Business Event names a legal entity, and that entity is read again and
synced (the event itself is a stub); a daily schedule syncs every entity, so an event F&O never delivered is caught
by the next day."""

import dagster as dg

from ml_connector_dagster.assets.dynamics_fo import extracts as fo_extracts
from ml_connector_dagster.assets.salesforce import dynamics_fo as to_salesforce
from ml_connector_dagster.events.dynamics_fo import legal_entity
from ml_connector_dagster.partitions import legal_entity_partitions
from ml_connector_dagster.settings import settings
from ml_connector_dagster.sensors.inbox import inbox_sensor

dynamics_fo_salesforce_job = dg.define_asset_job(
    "dynamics_fo__salesforce", selection=dg.AssetSelection.assets(*fo_extracts.assets, *to_salesforce.assets),
    description="Read one F&O legal entity's customers and released products and upsert them into Salesforce as "
                "Accounts and Product2.")

dynamics_fo_events_sensor = inbox_sensor(name="dynamics_fo_business_events", source="dynamics_fo",
                                         job=dynamics_fo_salesforce_job, partitions=legal_entity_partitions,
                                         partition_of=legal_entity)


@dg.schedule(job=dynamics_fo_salesforce_job, cron_schedule=f"0 {settings().schedule_hour} * * *",
             execution_timezone="UTC", description="Daily: every legal entity, whatever events arrived.")
def dynamics_fo_daily_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return [dg.RunRequest(run_key=f"{day}:{entity}", partition_key=entity)
            for entity in legal_entity_partitions.get_partition_keys()]
