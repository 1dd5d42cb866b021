"""When the EBS → Dynamics 365 Sales pair runs: a daily schedule for the day just ended."""

from datetime import timedelta

import dagster as dg

from assets.dynamics_sales import oracle_ebs as to_dynamics_sales
from ml_connector_dagster.settings import settings

oracle_ebs_dynamics_sales_job = dg.define_asset_job(
    "oracle_ebs__dynamics_sales",
    selection=dg.AssetSelection.groups("oracle_ebs") | dg.AssetSelection.assets(*to_dynamics_sales.assets),
    description="Extract a day of EBS changes and upsert them into Dynamics 365 Sales.",
)



@dg.schedule(job=oracle_ebs_dynamics_sales_job, cron_schedule=f"0 {settings().schedule_hour} * * *",
             execution_timezone="UTC", description="Daily: the day that just ended (hour: ML_CONNECTOR_SCHEDULE_HOUR).")
def oracle_ebs_dynamics_sales_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = (context.scheduled_execution_time - timedelta(days=1)).strftime("%Y-%m-%d")
    return dg.RunRequest(run_key=day, partition_key=day)
