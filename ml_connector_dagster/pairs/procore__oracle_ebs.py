"""Procore → Oracle EBS: approved requisitions and commitment change orders as GL journals. Procore's webhooks name
the day of each change (the event sensor; a daily job keeps the hook and its triggers registered), and a daily
schedule polls the day just ended, so whatever a lost delivery missed is posted by the next morning."""

from ml_connector_dagster.assets.oracle_ebs import procore as to_oracle_ebs
from ml_connector_dagster.assets.procore import extracts as procore
from ml_connector_dagster.mapping import oracle_ebs_procore as shared
from ml_connector_dagster.mapping import procore_oracle_ebs as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions
from ml_connector_dagster.sensors.procore import event_sensor, webhook_setup


def build(b: Build) -> PairDefinitions:
    rules = b.rules(shared.PAIR, shared.load_pair_rules)
    return b.event_driven_daily(
        mapping.PAIR,
        b.shared("procore extracts", lambda: procore.extract_assets(b.daily, rules)),
        to_oracle_ebs.target_assets(b.daily, rules),
        description="Read a day of Procore requisitions and commitment change orders and post the approved ones "
        "to the EBS general ledger as balanced journals, each exactly once.",
        sensor=event_sensor,
        upkeep=webhook_setup(b.settings.schedule_hour),
    )


PAIR = Pair(mapping.PAIR, build)
