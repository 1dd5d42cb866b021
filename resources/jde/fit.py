"""What `ml-connector ping` checks of a JD Edwards AIS server (ml_connector_dagster/fit.py)."""

from dataclasses import astuple

from ml_connector_dagster.fit import Check, Probe, Unfit, authenticated_call
from ml_connector_dagster.http import ApiError

# The tables the extracts read through data services (assets/jde), each by its address number.
TABLES = ("F0101", "F03012", "F0116", "F0115", "F01151", "F0111")


def data_services(probe: Probe) -> str:
    """One row of each table through the data service, as the user and role the connector signs in with."""
    refused = []
    for table in TABLES:
        try:
            probe.session.after_key(table, ["AN8"], "AN8", 0, 1)
        except ApiError as error:
            refused.append(f"{table} ({error})")
    if refused:
        raise Unfit(f"data service refused {'; '.join(refused)}")
    return f"{', '.join(TABLES)} read"


def orchestrations(probe: Probe) -> str:
    """Each orchestration the Zoho → JDE flow runs, as AIS's OpenAPI catalog describes it to the signed-in user:
    asking does not run it."""
    missing = []
    names = astuple(probe.session.orchestrations)
    for name in names:
        try:
            probe.session.orchestration_described(name)
        except ApiError as error:
            missing.append(f"{name} ({error})")
    if missing:
        raise Unfit(f"orchestrations not found: {'; '.join(missing)}")
    return ", ".join(names)


CHECKS = (
    authenticated_call("check the AIS URL, user, password, environment and role"),
    Check(
        "data services read the tables",
        data_services,
        "grant the user's role read access to each table (Security Workbench)",
    ),
    Check(
        "orchestrations exist",
        orchestrations,
        "build the four orchestrations (ml_connector_dagster/erp/jde/README.md) and share them with the user, or set "
        "JDE_*_ORCHESTRATION to their names",
    ),
)
