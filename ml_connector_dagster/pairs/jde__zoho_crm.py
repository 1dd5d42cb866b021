"""JD Edwards → Zoho CRM (the forward flow of the two-way pair): a day of address-book changes per partition,
synced daily for the day that ended; at go-live, every customer and supplier with its contacts (the initial load)."""

from ml_connector_dagster.assets.jde import extracts as jde
from ml_connector_dagster.assets.zoho_crm import jde as to_zoho_crm
from ml_connector_dagster.mapping import jde_zoho_crm as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions


def build(b: Build) -> PairDefinitions:
    rules = b.rules(mapping.PAIR, mapping.load_pair_rules)
    return b.polled_daily(
        mapping.PAIR,
        b.shared("jde extracts", lambda: jde.extract_assets(b.daily)),
        to_zoho_crm.target_assets(b.daily, rules),
        description="Read a day of JDE address-book changes and bring them into Zoho Accounts and Contacts, "
        "merged field by field with what Zoho holds (ownership rules in jde_zoho_crm.yaml).",
        masters=to_zoho_crm.initial_load_objects(rules),
    )


PAIR = Pair(mapping.PAIR, build)
