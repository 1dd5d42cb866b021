"""When the EBS → Dynamics 365 Sales pair runs: a daily schedule for the day just ended."""

import dagster as dg

from ml_connector_dagster.assets.dynamics_sales import oracle_ebs as to_dynamics_sales
from ml_connector_dagster.sensors.schedules import daily_schedule

oracle_ebs_dynamics_sales_job = dg.define_asset_job(
    "oracle_ebs__dynamics_sales",
    selection=dg.AssetSelection.groups("oracle_ebs") | dg.AssetSelection.assets(*to_dynamics_sales.assets),
    description="Extract a day of EBS changes and upsert them into Dynamics 365 Sales.",
)
oracle_ebs_dynamics_sales_schedule = daily_schedule(oracle_ebs_dynamics_sales_job)
