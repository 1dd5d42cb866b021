"""Oracle EBS → Dynamics 365 Sales: a day of EBS changes per partition, synced daily for the day that ended; at
go-live, every party and its contacts (the initial load)."""

from ml_connector_dagster.assets.dynamics_sales import oracle_ebs as to_dynamics_sales
from ml_connector_dagster.assets.oracle_ebs import extracts as oracle_ebs
from ml_connector_dagster.mapping import oracle_ebs_dynamics_sales as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions


def build(b: Build) -> PairDefinitions:
    rules = b.rules(mapping.PAIR, mapping.load_pair_rules)
    extracts = b.shared("oracle_ebs extracts", lambda: oracle_ebs.extract_assets(b.daily, b.mapping_versions))
    return b.polled_daily(
        mapping.PAIR,
        oracle_ebs.pick(extracts, *oracle_ebs.PARTY_EXTRACTS),
        to_dynamics_sales.target_assets(b.daily, rules),
        description="Extract a day of EBS changes and upsert them into Dynamics 365 Sales.",
        masters=to_dynamics_sales.initial_load_objects(rules),
    )


PAIR = Pair(mapping.PAIR, build)
