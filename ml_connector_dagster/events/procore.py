"""Procore webhook deliveries (crm_targets.md §3.10): one event per POST, at least once, naming a resource that
changed and never its data (the extract reads it back). Procore signs nothing: the `Authorization: Bearer <key>`
header the hook was registered with comes back with every delivery and is what authenticates it. A payload in
version v2 or v3 carries integer ids, `event_type`, `resource_name` and a `ulid`, the event's identity across
retries and duplicates; v4 carries string ids, `reason` and `resource_type`, and its `id` is the ULID."""

from datetime import UTC, datetime

from ml_connector_dagster.events.envelope import BadEvent, Event

V2 = ("ulid", "timestamp", "resource_name", "resource_id", "event_type")  # v3 adds related_resources
V4 = ("id", "timestamp", "resource_type", "resource_id", "reason")


def parse(body: object) -> list[Event]:
    if not isinstance(body, dict):
        raise BadEvent("a Procore event is one JSON object")
    v4 = "resource_type" in body and "resource_name" not in body
    required = V4 if v4 else V2
    missing = [name for name in required if body.get(name) in (None, "")]
    if missing:
        raise BadEvent(f"not a Procore {'v4' if v4 else 'v2/v3'} event: missing {', '.join(missing)}")
    key = body["id" if v4 else "ulid"]
    if not isinstance(key, str):
        raise BadEvent(f"{'id' if v4 else 'ulid'} must be the event's ULID, a string")
    try:
        _moment(str(body["timestamp"]))
    except ValueError:
        raise BadEvent("timestamp must be an ISO 8601 date-time") from None
    return [Event(key, body)]


def sent_key(authorization: str | None) -> str | None:
    """The key a delivery carries in its `Authorization: Bearer <key>` header, which the receiver compares with its
    own."""
    scheme, _, key = (authorization or "").partition(" ")
    return (key.strip() or None) if scheme.lower() == "bearer" else None


def changed_day(payload: dict) -> str:
    """The daily partition (UTC) an event's change falls into: the day of its timestamp."""
    return _moment(payload["timestamp"]).astimezone(UTC).strftime("%Y-%m-%d")


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
