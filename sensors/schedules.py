"""The daily schedule every pair has: at the configured hour, the partition of the day that just ended."""

from datetime import timedelta

import dagster as dg

from ml_connector_dagster.settings import settings


def daily_schedule(job) -> dg.ScheduleDefinition:
    @dg.schedule(name=job.name.replace("__", "_") + "_schedule", job=job, cron_schedule=f"0 {settings().schedule_hour} * * *",
                 execution_timezone="UTC",
                 description="Daily: the day that just ended (hour: ML_CONNECTOR_SCHEDULE_HOUR).")
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
        return dg.RunRequest(run_key=day, partition_key=day)

    return _schedule
