"""What `ml-connector ping` checks of a Dataverse environment (ml_connector_dagster/fit.py)."""

from ml_connector_dagster.resources.dynamics_sales.client import DataverseClient

from ml_connector_dagster.fit import Check, Probe, Unfit
from ml_connector_dagster.mapping.sap_ecc_dynamics_sales import load_pair_rules

# The SAP pair writes purchase orders as opportunities or orders, as its rules file says.
SAP_PAIR = "sap_ecc__dynamics_sales"


def application_user(probe: Probe) -> str:
    """The authenticated call: without an application user every call is refused (403), this one included."""
    client: DataverseClient = probe.session
    users = client.application_users(probe.resource.client_id)
    if not users:
        raise Unfit(f"no application user for client id {probe.resource.client_id}")
    if any(user.get("isdisabled") for user in users):
        raise Unfit(f"the application user of client id {probe.resource.client_id} is disabled")
    return f"Entra token; application user {users[0].get('fullname') or users[0]['systemuserid']}"


def target_tables(probe: Probe) -> list[str]:
    rules = load_pair_rules(probe.settings.mapping_file(SAP_PAIR))
    return ["account", "contact", rules.document_object, rules.line_object]


def external_id_keys(probe: Probe) -> str:
    client: DataverseClient = probe.session
    column = probe.resource.external_id_column
    missing = []
    for table in target_tables(probe):
        status = client.key_columns(table).get(column)
        if status != "Active":
            missing.append(f"{table} ({'no key' if status is None else 'key ' + status})")
    if missing:
        raise Unfit(f"no active alternate key on {column}: {', '.join(missing)}")
    return f"an active alternate key on {column} of {', '.join(target_tables(probe))}"


CHECKS = (
    Check(
        "application user",
        application_user,
        "add the app registration as an application user with the connector's security role",
    ),
    Check(
        "external-id alternate keys",
        external_id_keys,
        "add the external id column and an alternate key on it to each table, then wait until the key is Active",
    ),
)
