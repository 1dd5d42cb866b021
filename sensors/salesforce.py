"""When the Salesforce → F&O flow runs: Change Data Capture events name the day of each change (the CDC sensor in
sensors/salesforce_cdc.py), and a daily schedule polls the day just ended, so whatever the events missed is synced
by the next morning."""

import dagster as dg

from ml_connector_dagster.assets.dynamics_fo import salesforce as to_dynamics_fo
from ml_connector_dagster.assets.salesforce import erp_keys, extracts
from ml_connector_dagster.sensors.schedules import daily_schedule

# F&O cannot refuse a second order for a deal (CustomersOrderReference is no key), and the writer's look-up before it
# creates is only safe if no other run creates meanwhile: runs carrying this tag are queued one at a time
# (deploy/dagster.yaml, tag_concurrency_limits), however many events, polls and backfills ask for them.
SERIAL_TAG = {"ml_connector/serial": "salesforce__dynamics_fo"}

salesforce_dynamics_fo_job = dg.define_asset_job(
    "salesforce__dynamics_fo", tags=SERIAL_TAG,
    selection=dg.AssetSelection.assets(*extracts.assets, *to_dynamics_fo.assets, *erp_keys.assets),
    description="Read a day of Salesforce changes: won opportunities and activated orders become F&O sales orders, "
                "new accounts F&O customers; the order numbers and customer keys are written back to Salesforce.",
)
salesforce_dynamics_fo_schedule = daily_schedule(salesforce_dynamics_fo_job)
