"""The one Definitions object of the code location (workspace.yaml and `dagster dev` load it)."""

import dagster as dg

from ml_connector_dagster.assets.dynamics_fo import extracts as dynamics_fo_extracts
from ml_connector_dagster.assets.dynamics_fo import salesforce as salesforce_to_dynamics_fo
from ml_connector_dagster.assets import oracle_ebs as oracle_ebs_extracts
from ml_connector_dagster.assets import sap_ecc as sap_ecc_extracts
from ml_connector_dagster.assets.dynamics_sales import oracle_ebs as oracle_ebs_to_dynamics_sales
from ml_connector_dagster.assets.dynamics_sales import sap_ecc as sap_ecc_to_dynamics_sales
from ml_connector_dagster.assets.dynamics_sales.replay import replay_dynamics_sales_job
from ml_connector_dagster.assets.salesforce import dynamics_fo as dynamics_fo_to_salesforce
from ml_connector_dagster.assets.salesforce import erp_keys as salesforce_erp_keys
from ml_connector_dagster.assets.salesforce import extracts as salesforce_extracts
from ml_connector_dagster.connections import resources_for
from ml_connector_dagster.redaction import install_log_redaction
from ml_connector_dagster.settings import Settings, settings
from ml_connector_dagster.sensors.dynamics_fo import dynamics_fo_daily_schedule, dynamics_fo_events_sensor, dynamics_fo_salesforce_job
from ml_connector_dagster.sensors.oracle_ebs import oracle_ebs_dynamics_sales_job, oracle_ebs_dynamics_sales_schedule
from ml_connector_dagster.sensors.salesforce import salesforce_dynamics_fo_job, salesforce_dynamics_fo_schedule
from ml_connector_dagster.sensors.salesforce_cdc import salesforce_change_events
from ml_connector_dagster.sensors.sap_ecc import sap_ecc_dynamics_sales_job, sap_ecc_dynamics_sales_schedule


def build_definitions(config: Settings, resources: dict | None = None) -> dg.Definitions:
    install_log_redaction()
    return dg.Definitions(
        assets=[*oracle_ebs_extracts.extract_assets, oracle_ebs_extracts.party_snapshots,
                *oracle_ebs_to_dynamics_sales.assets, *sap_ecc_extracts.assets, *sap_ecc_to_dynamics_sales.assets,
                *dynamics_fo_extracts.assets, *dynamics_fo_to_salesforce.assets, *salesforce_extracts.assets,
                *salesforce_to_dynamics_fo.assets, *salesforce_erp_keys.assets],
        jobs=[oracle_ebs_dynamics_sales_job, sap_ecc_dynamics_sales_job, dynamics_fo_salesforce_job,
              salesforce_dynamics_fo_job, replay_dynamics_sales_job],
        schedules=[oracle_ebs_dynamics_sales_schedule, sap_ecc_dynamics_sales_schedule, dynamics_fo_daily_schedule,
                   salesforce_dynamics_fo_schedule],
        sensors=[dynamics_fo_events_sensor, salesforce_change_events],
        resources=resources or resources_for(config),
    )


defs = build_definitions(settings())
