"""What `ml-connector ping` checks of an SAP ECC system (ml_connector_dagster/fit.py)."""

from ml_connector_dagster.resources.sap_ecc.query import Select
from ml_connector_dagster.resources.sap_ecc.tables import READ

from ml_connector_dagster.fit import Check, Probe, Unfit, authenticated_call
from ml_connector_dagster.http import ApiError


def tables_readable(probe: Probe) -> str:
    """One page of each table's key, through the transport the extracts use: the Gateway service's entity set, or
    RFC_READ_TABLE with the user's table authorisations."""
    reader = probe.session
    refused = []
    for table in READ:
        try:
            next(reader.select(Select(table.name, table.keys, table.keys)), None)
        except ApiError as error:
            refused.append(f"{table.name} ({error})")
    if refused:
        raise Unfit(f"cannot read {'; '.join(refused)}")
    return f"{', '.join(table.name for table in READ)} over {probe.resource.transport}"


CHECKS = (
    authenticated_call("check the logon settings and the client"),
    Check(
        "reads the tables the extracts read",
        tables_readable,
        "grant the technical user read access to each table (S_TABU_DIS / S_TABU_NAM), and for odata deploy the "
        "service with every entity set",
    ),
)
