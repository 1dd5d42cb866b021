"""Zoho CRM → JD Edwards (the reverse flow of the two-way pair): Zoho's notification callbacks name the day of each
change (the notification sensor; a daily job keeps the channel alive), and a daily schedule polls the day just
ended, so whatever a lost callback missed is synced by the next morning. The new JDE keys go back onto the Zoho
records in the same run."""

from ml_connector_dagster.assets.jde import zoho_crm as to_jde
from ml_connector_dagster.assets.zoho_crm import extracts as zoho_crm
from ml_connector_dagster.mapping import jde_zoho_crm as shared
from ml_connector_dagster.mapping import zoho_crm_jde as mapping
from ml_connector_dagster.pair import Build, Pair, PairDefinitions
from ml_connector_dagster.sensors.zoho_crm import channel_renewal, notification_sensor


def build(b: Build) -> PairDefinitions:
    return b.event_driven_daily(
        mapping.PAIR,
        b.shared("zoho_crm extracts", lambda: zoho_crm.extract_assets(b.daily)),
        to_jde.target_assets(b.daily, b.rules(shared.PAIR, shared.load_pair_rules)),
        description="Read a day of Zoho Account and Contact changes and bring them into JDE through the "
        "orchestrations, merged field by field with what JDE holds; the new JDE keys go back onto the Zoho records.",
        sensor=notification_sensor,
        upkeep=channel_renewal(b.settings.schedule_hour),
    )


PAIR = Pair(mapping.PAIR, build)
