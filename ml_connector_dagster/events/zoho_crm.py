"""Zoho CRM notifications (crm_targets.md §2.7): one POST per change, carrying the module, the operation and the
changed records' ids only; the extract reads the records back. Zoho signs nothing: the channel's `token`, which Zoho
echoes in the body, is what authenticates a delivery, so it is never stored with the event. Zoho may deliver a
notification twice and its retries are undocumented; the same channel, time, module, operation and ids are the same
notification, so that is its deduplication key."""

import hashlib
from datetime import UTC, datetime

from ml_connector_dagster.events.envelope import BadEvent, Event

REQUIRED = ("server_time", "module", "ids", "operation", "channel_id")


def parse(body: object) -> list[Event]:
    if not isinstance(body, dict):
        raise BadEvent("a Zoho CRM notification is one JSON object")
    missing = [name for name in REQUIRED if body.get(name) in (None, "", [])]
    if missing:
        raise BadEvent(f"not a Zoho CRM notification: missing {', '.join(missing)}")
    if isinstance(body["server_time"], bool) or not isinstance(body["server_time"], int):
        raise BadEvent("server_time must be epoch milliseconds")
    if not isinstance(body["ids"], list) or not all(isinstance(i, str | int) for i in body["ids"]):
        raise BadEvent("ids must be a list of record ids")
    ids = hashlib.sha256(",".join(sorted(map(str, body["ids"]))).encode()).hexdigest()[:16]
    key = f"{body['channel_id']}/{body['server_time']}/{body['module']}/{body['operation']}/{ids}"
    return [Event(key, {name: value for name, value in body.items() if name != "token"})]


def sent_token(body: object) -> str | None:
    """The channel token a delivery carries, which the receiver compares with its key."""
    token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) else None


def changed_day(payload: dict) -> str:
    """The daily partition (UTC) a notification's changes fall into: the day of Zoho's server_time."""
    return datetime.fromtimestamp(payload["server_time"] / 1000, UTC).strftime("%Y-%m-%d")
