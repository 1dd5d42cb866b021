"""What `ml-connector ping` checks of a Salesforce org (ml_connector_dagster/fit.py)."""

from ml_connector_dagster.resources.salesforce.client import SalesforceClient
from ml_connector_dagster.resources.salesforce.pubsub import CHANGE_ENTITIES

from ml_connector_dagster.fit import Check, Probe, Unfit


def daily_limit(probe: Probe) -> str:
    """The authenticated call, first: when the day's requests are spent below the reserve, the connector's
    transport sends nothing more, so the other checks could not run anyway."""
    client: SalesforceClient = probe.session
    requests = client.limits()["DailyApiRequests"]
    reserve = probe.resource.daily_limit_reserve
    if requests["Remaining"] <= reserve:
        raise Unfit(
            f"{requests['Remaining']} of {requests['Max']} daily API requests left, "
            f"not more than the {reserve} the connector keeps in reserve"
        )
    return f"client-credentials token; {requests['Remaining']} of {requests['Max']} daily API requests left"


def external_id_fields(probe: Probe) -> str:
    client: SalesforceClient = probe.session
    missing = []
    for sobject, field in sorted(probe.resource.external_id_fields.items()):
        described = {row["name"]: row for row in client.describe(sobject)["fields"]}
        if not described.get(field, {}).get("externalId"):
            missing.append(f"{sobject}.{field} ({'not an External ID' if field in described else 'no such field'})")
    if missing:
        raise Unfit(f"missing External ID fields: {', '.join(missing)}")
    return ", ".join(f"{sobject}.{field}" for sobject, field in sorted(probe.resource.external_id_fields.items()))


def change_data_capture(probe: Probe) -> str:
    client: SalesforceClient = probe.session
    selected = client.change_data_capture_entities()
    missing = sorted(entity for entity in CHANGE_ENTITIES if f"{entity}ChangeEvent" not in selected)
    if missing:
        raise Unfit(f"not selected for Change Data Capture: {', '.join(missing)}")
    return f"{', '.join(sorted(CHANGE_ENTITIES))} selected on the ChangeEvents channel"


CHECKS = (
    Check(
        "daily API limit has room",
        daily_limit,
        "wait for the rolling 24 hours to free requests, buy more, or lower SALESFORCE_DAILY_LIMIT_RESERVE",
    ),
    Check(
        "External ID fields",
        external_id_fields,
        "create each field as Text(100), External ID and Unique, or name yours in the resource's external_id_fields",
    ),
    Check(
        "Change Data Capture entities",
        change_data_capture,
        "select the objects in Setup > Change Data Capture",
    ),
)
