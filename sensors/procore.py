"""When Procore changes are read: an event names a changed requisition or commitment change order, and the UTC day
of its timestamp is run again (the event carries ids only; the day's extract reads what changed); and a daily job
keeps the webhook hook and its triggers registered, putting them right if someone changed or removed them."""

import dagster as dg
from ml_connector_dagster.resources.procore import ProcoreResource
from ml_connector_dagster.sensors.inbox import inbox_sensor
from ml_connector_dagster.sensors.upkeep import daily_upkeep

from ml_connector_dagster.events.procore import changed_day

TRIGGERS = tuple(
    (resource, event) for resource in ("Requisitions", "Commitment Change Orders") for event in ("create", "update")
)


def event_sensor(job, partitions: dg.PartitionsDefinition) -> dg.SensorDefinition:
    """Runs the daily partitions (`YYYY-MM-DD`, UTC) of the changes Procore's events name."""
    return inbox_sensor(
        name="procore_events", source="procore", job=job, partitions=partitions, partition_of=changed_day
    )


@dg.op(name="procore_ensure_hook", description="Registers the webhook hook and its triggers, or puts them right.")
def ensure_hook(context: dg.OpExecutionContext, procore: ProcoreResource) -> None:
    if not procore.webhook_url:
        context.log.info(
            f"no webhook hook: {ProcoreResource.environment_variable('webhook_url')} is not set, so Procore has "
            "nowhere to send events; the daily runs still read the changes"
        )
        return
    if not procore.webhook_key:
        raise dg.Failure(
            description=f"{ProcoreResource.environment_variable('webhook_url')} is set but "
            f"{ProcoreResource.environment_variable('webhook_key')} is not: the receiver could not tell Procore's "
            "events from anyone else's",
            allow_retries=False,
        )
    state = procore.session().ensure_hook(procore.webhook_url, procore.webhook_key, procore.hook_namespace, TRIGGERS)
    added = ", ".join(f"{resource} {event}" for resource, event in state.added) or "none"
    context.log.info(
        f"Procore webhook hook {state.hook_id} ({procore.hook_namespace}) to {procore.webhook_url}: {state.action}; "
        f"triggers added: {added}"
    )


def webhook_setup(hour: int = 5) -> tuple[dg.JobDefinition, dg.ScheduleDefinition]:
    """The set-up job and its daily schedule (UTC `hour`)."""
    return daily_upkeep(
        ensure_hook,
        name="procore_webhook_setup",
        hour=hour,
        description="Keeps the Procore webhook hook and its triggers registered.",
        schedule_description="Daily: registers the Procore webhook hook and triggers, or puts them right.",
    )
