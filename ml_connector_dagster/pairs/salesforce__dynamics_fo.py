"""Salesforce → Dynamics 365 F&O: Change Data Capture events name the day of each change (the CDC sensor), and a
daily schedule polls the day just ended, so whatever the events missed is synced by the next morning. The order
numbers and customer keys go back onto the Salesforce records in the same run."""

from ml_connector_dagster.assets.dynamics_fo import salesforce as to_dynamics_fo
from ml_connector_dagster.assets.salesforce import erp_keys
from ml_connector_dagster.assets.salesforce import extracts as salesforce
from ml_connector_dagster.mapping import salesforce_dynamics_fo as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions
from ml_connector_dagster.sensors.salesforce_cdc import change_events_sensor

# F&O cannot refuse a second order for a deal (CustomersOrderReference is no key), and the writer's look-up before it
# creates is only safe if no other run creates meanwhile: runs carrying this tag are queued one at a time
# (deploy/dagster.yaml, tag_concurrency_limits), however many events, polls and backfills ask for them.
SERIAL_TAG = {"ml_connector/serial": mapping.PAIR}


def build(b: Build) -> PairDefinitions:
    extracts = b.shared("salesforce extracts", lambda: salesforce.extract_assets(b.daily))
    orders = to_dynamics_fo.target_assets(b.daily, b.rules(mapping.PAIR, mapping.load_pair_rules))
    write_backs = erp_keys.target_assets(b.daily)
    assets = [*orders.assets, *write_backs.assets]
    job = b.job(
        mapping.PAIR,
        extracts,
        assets,
        tags=SERIAL_TAG,
        description="Read a day of Salesforce changes: won opportunities and activated orders become F&O "
        "sales orders, new accounts F&O customers; the order numbers and customer keys are "
        "written back to Salesforce.",
    )
    return PairDefinitions(
        extracts,
        assets,
        [job],
        [b.daily_schedule(job)],
        [change_events_sensor(job, b.daily)],
        [*orders.loads, *write_backs.loads],
    )


PAIR = Pair(mapping.PAIR, build)
