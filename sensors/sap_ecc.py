"""When the SAP ECC → Dynamics 365 Sales pair runs: ECC has no webhooks, so a daily schedule for the day just ended
(change documents make a day's edits findable afterwards)."""

import dagster as dg

from ml_connector_dagster.assets.dynamics_sales import sap_ecc as to_dynamics_sales
from ml_connector_dagster.sensors.schedules import daily_schedule

sap_ecc_dynamics_sales_job = dg.define_asset_job(
    "sap_ecc__dynamics_sales",
    selection=dg.AssetSelection.groups("sap_ecc") | dg.AssetSelection.assets(*to_dynamics_sales.assets),
    description="Extract a day of SAP ECC vendor, customer and purchase order changes and upsert them into "
                "Dynamics 365 Sales.",
)
sap_ecc_dynamics_sales_schedule = daily_schedule(sap_ecc_dynamics_sales_job)
