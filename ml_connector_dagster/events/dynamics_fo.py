"""Dynamics 365 F&O Business Events over an HTTPS endpoint (microsoft.md §3.9): one JSON envelope per POST, sent at
least once and possibly out of order. `ControlNumber` (int64, increasing with gaps) with `EventId` (GUID) identify
an event across retries and resends, so they are its deduplication key. The envelope names the event, the legal
entity and the record's identifiers only: the record itself is read back over OData by the extract."""

from ml_connector_dagster.events.envelope import BadEvent, Event

REQUIRED = ("BusinessEventId", "BusinessEventLegalEntity", "ControlNumber", "EventId")


def parse(body: object) -> list[Event]:
    if not isinstance(body, dict):
        raise BadEvent("a business event is one JSON object")
    missing = [name for name in REQUIRED if body.get(name) in (None, "")]
    if missing:
        raise BadEvent(f"not a business event envelope: missing {', '.join(missing)}")
    if isinstance(body["ControlNumber"], bool) or not isinstance(body["ControlNumber"], int):
        raise BadEvent("ControlNumber must be an integer")
    return [Event(f"{body['ControlNumber']}/{str(body['EventId']).upper()}", body)]


def legal_entity(payload: dict) -> str:
    """The partition (dataAreaId, lower case as F&O stores it) an event's record belongs to."""
    return str(payload["BusinessEventLegalEntity"]).lower()
