"""Dynamics 365 F&O → Salesforce: one legal entity per partition, read again when a Business Event names it, and
every entity daily."""

from ml_connector_dagster.assets.dynamics_fo import extracts as dynamics_fo
from ml_connector_dagster.assets.salesforce import dynamics_fo as to_salesforce
from ml_connector_dagster.mapping import dynamics_fo_salesforce as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions, initial_load
from ml_connector_dagster.sensors.dynamics_fo import business_events_sensor, every_entity_daily


def build(b: Build) -> PairDefinitions:
    extracts = b.shared("dynamics_fo extracts", lambda: dynamics_fo.extract_assets(b.legal_entities))
    rules = b.rules(mapping.PAIR, mapping.load_pair_rules)
    target = to_salesforce.target_assets(b.legal_entities, rules)
    job = b.job(
        mapping.PAIR,
        extracts,
        target.assets,
        description="Read one F&O legal entity's customers and released products and "
        "upsert them into Salesforce as Accounts and Product2.",
    )
    return PairDefinitions(
        extracts,
        target.assets,
        [job, initial_load(mapping.PAIR, to_salesforce.initial_load_objects(rules, b.settings.fo_legal_entities))],
        [every_entity_daily(job, b.legal_entities, b.settings.schedule_hour)],
        [business_events_sensor(job, b.legal_entities)],
        target.loads,
    )


PAIR = Pair(mapping.PAIR, build)
