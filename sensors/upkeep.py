"""A daily upkeep job: one op that keeps a source's event subscription alive or right (a Zoho notification channel
lapses after a week; a Procore hook or trigger someone removed sends nothing), run by its own daily schedule."""

import dagster as dg


def daily_upkeep(
    op: dg.OpDefinition, *, name: str, hour: int, description: str, schedule_description: str
) -> tuple[dg.JobDefinition, dg.ScheduleDefinition]:
    """The job `name` running `op`, and its schedule `<name>_daily` at `hour` UTC."""

    @dg.job(name=name, description=description)
    def upkeep() -> None:
        op()

    schedule = dg.ScheduleDefinition(
        name=f"{name}_daily",
        job=upkeep,
        cron_schedule=f"0 {hour} * * *",
        execution_timezone="UTC",
        description=schedule_description,
    )
    return upkeep, schedule
