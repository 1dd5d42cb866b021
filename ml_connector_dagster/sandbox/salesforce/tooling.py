"""The Tooling API query of Change Data Capture's selection: `GET /services/data/vXX.X/tooling/query?q=SELECT ...
FROM PlatformEventChannelMember`, one row per entity selected on a channel (Setup > Change Data Capture selects
them on the standard channel, `ChangeEvents`). Only this object is served, with the fields below and an optional
`WHERE EventChannel = '<channel>'`; any other Tooling query is refused rather than answered wrongly.

Guess: a member of the standard channel names it `ChangeEvents` in EventChannel (custom channels name theirs,
`<Name>__chn`); the Metadata API's PlatformEventChannelMember has eventChannel and selectedEntity so."""

import re

from ml_connector_dagster.sandbox.salesforce.errors import SfError
from ml_connector_dagster.sandbox.salesforce.ids import record_id
from ml_connector_dagster.sandbox.salesforce.org import Org

STANDARD_CHANNEL = "ChangeEvents"
FIELDS = ("Id", "DeveloperName", "EventChannel", "SelectedEntity")
_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+EventChannel\s*=\s*'(?P<channel>[^']*)')?\s*$",
    re.IGNORECASE,
)


def query(soql: str, org: Org, version: str) -> dict:
    match = _QUERY.match(soql)
    if match is None:
        raise SfError(400, "MALFORMED_QUERY", f"unexpected query: {soql[:60]!r}")
    if match["object"].lower() != "platformeventchannelmember":
        raise SfError(400, "INVALID_TYPE", f"sObject type '{match['object']}' is not supported.")
    fields = [name.strip() for name in match["fields"].split(",")]
    unknown = [name for name in fields if name.lower() not in {f.lower() for f in FIELDS}]
    if unknown:
        raise SfError(400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity 'PlatformEventChannelMember'.")
    members = [row for row in _members(org) if match["channel"] in (None, row["EventChannel"])]
    records = [
        {
            "attributes": {
                "type": "PlatformEventChannelMember",
                "url": f"/services/data/v{version}/tooling/sobjects/PlatformEventChannelMember/{row['Id']}",
            },
            **{name: row[next(f for f in FIELDS if f.lower() == name.lower())] for name in fields},
        }
        for row in members
    ]
    return {
        "size": len(records),
        "totalSize": len(records),
        "done": True,
        "queryLocator": None,
        "entityTypeName": "PlatformEventChannelMember",
        "records": records,
    }


def change_event_name(sobject: str) -> str:
    """AccountChangeEvent; a custom object's event drops the c of __c (MyObj__ChangeEvent)."""
    return (sobject[:-1] if sobject.endswith("__c") else sobject) + "ChangeEvent"


def _members(org: Org) -> list[dict]:
    return [
        {
            "Id": record_id("0v8", number),
            "DeveloperName": f"{STANDARD_CHANNEL}_{change_event_name(name)}",
            "EventChannel": STANDARD_CHANNEL,
            "SelectedEntity": change_event_name(name),
        }
        for number, name in enumerate(sorted(org.objects), start=1)
        if org.changes.selected(name)
    ]
