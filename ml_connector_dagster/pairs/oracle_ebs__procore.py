"""Oracle EBS → Procore: a day of EBS changes per partition (suppliers, GL code combinations, purchase orders),
synced on the schedule for the day that ended; at go-live, every supplier, job-cost combination and purchase order
(the initial load)."""

from ml_connector_dagster.assets.oracle_ebs import extracts as oracle_ebs
from ml_connector_dagster.assets.procore import oracle_ebs as to_procore
from ml_connector_dagster.mapping import oracle_ebs_procore as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions


def build(b: Build) -> PairDefinitions:
    rules = b.rules(mapping.PAIR, mapping.load_pair_rules)
    extracts = b.shared("oracle_ebs extracts", lambda: oracle_ebs.extract_assets(b.daily, b.mapping_versions))
    return b.polled_daily(
        mapping.PAIR,
        oracle_ebs.pick(extracts, *oracle_ebs.PROCORE_EXTRACTS),
        to_procore.target_assets(b.daily, rules),
        description="Extract a day of EBS supplier, GL combination and purchase order changes and sync them into "
        "Procore as company vendors, project cost codes and purchase order contracts.",
        masters=to_procore.initial_load_objects(rules),
    )


PAIR = Pair(mapping.PAIR, build)
