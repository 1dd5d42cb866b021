"""SAP ECC → Dynamics 365 Sales: ECC has no webhooks, so a daily schedule for the day just ended (change documents
make a day's edits findable afterwards)."""

from ml_connector_dagster.assets import sap_ecc
from ml_connector_dagster.assets.dynamics_sales import sap_ecc as to_dynamics_sales
from ml_connector_dagster.mapping import sap_ecc_dynamics_sales as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions


def build(b: Build) -> PairDefinitions:
    rules = b.rules(mapping.PAIR, mapping.load_pair_rules)
    return b.polled_daily(
        mapping.PAIR,
        b.shared("sap_ecc extracts", lambda: sap_ecc.extract_assets(b.daily)),
        to_dynamics_sales.target_assets(b.daily, rules),
        description="Extract a day of SAP ECC vendor, customer and purchase order changes and "
        "upsert them into Dynamics 365 Sales.",
        masters=to_dynamics_sales.initial_load_objects(rules),
    )


PAIR = Pair(mapping.PAIR, build)
