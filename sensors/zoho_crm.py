"""When Zoho CRM changes are read: a notification names changed records, and the day of its server_time is run
again (the notification carries ids only; the day's extract reads what changed); and a daily job keeps the
notification channel alive, since Zoho lets one lapse after a week at most and then sends nothing, silently."""

import dagster as dg
from ml_connector_dagster.resources.zoho_crm import ZohoCrmResource
from ml_connector_dagster.sensors.inbox import inbox_sensor
from ml_connector_dagster.sensors.upkeep import daily_upkeep

from ml_connector_dagster.events.zoho_crm import changed_day


def notification_sensor(job, partitions: dg.PartitionsDefinition) -> dg.SensorDefinition:
    """Runs the daily partitions (`YYYY-MM-DD`, UTC) of the changes Zoho notified."""
    return inbox_sensor(
        name="zoho_crm_notifications", source="zoho_crm", job=job, partitions=partitions, partition_of=changed_day
    )


@dg.op(name="zoho_crm_ensure_channel", description="Enables the notification channel, or renews it before it lapses.")
def ensure_channel(context: dg.OpExecutionContext, zoho_crm: ZohoCrmResource) -> None:
    if not zoho_crm.notify_url:
        context.log.info(
            f"no notification channel: {ZohoCrmResource.environment_variable('notify_url')} is not set, so Zoho "
            "has nowhere to send changes; the daily runs still read them"
        )
        return
    if not zoho_crm.channel_token:
        raise dg.Failure(
            description=f"{ZohoCrmResource.environment_variable('notify_url')} is set but "
            f"{ZohoCrmResource.environment_variable('channel_token')} is not: the receiver could not tell Zoho's "
            "notifications from anyone else's",
            allow_retries=False,
        )
    state = zoho_crm.session().ensure_channel(zoho_crm.notify_url, zoho_crm.channel_id, zoho_crm.channel_token)
    context.log.info(
        f"Zoho CRM notification channel {zoho_crm.channel_id} to {zoho_crm.notify_url}: {state.action}, "
        f"expires {state.expiry.isoformat()}"
    )


def channel_renewal(hour: int = 5) -> tuple[dg.JobDefinition, dg.ScheduleDefinition]:
    """The renewal job and its daily schedule (UTC `hour`)."""
    return daily_upkeep(
        ensure_channel,
        name="zoho_crm_channel_renewal",
        hour=hour,
        description="Keeps the Zoho CRM notification channel alive.",
        schedule_description="Daily: renews the Zoho CRM notification channel two days before it would lapse.",
    )
