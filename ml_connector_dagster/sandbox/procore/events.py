"""Webhook event payloads in each payload version (crm_targets.md §3.10, the payload-formats page): v2 carries integer
ids with `event_type` and `resource_name`; v3 adds `related_resources` (filled for the line items of a purchase
order contract); v4 is the simplified schema with every id a string, `reason` for `event_type` and `resource_type`
for `resource_name`. A payload never carries the record itself: the receiver reads it back through the API."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from ml_connector_dagster.sandbox.procore.company import Change

VERSIONS = ("v2", "v3", "v4")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Event:
    id: int
    ulid: str
    at: datetime
    company_id: int
    change: Change


def ulid(at: datetime) -> str:
    """A ULID: 48 bits of milliseconds since the epoch, then 80 random bits, in Crockford's base 32 (26 characters)."""
    number = (int(at.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(number >> shift) & 31] for shift in range(125, -1, -5))


def payload(event: Event, version: str) -> dict:
    change = event.change
    timestamp = event.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if version == "v4":
        # Guess (§3.10 names the fields, not their order or extras): the id is the event's ULID.
        return {
            "id": event.ulid,
            "timestamp": timestamp,
            "reason": change.event_type,
            "company_id": str(event.company_id),
            "project_id": str(change.project_id) if change.project_id is not None else None,
            "user_id": str(change.actor.user_id),
            "resource_type": change.resource,
            "resource_id": str(change.resource_id),
        }
    body = {
        "id": event.id,
        "ulid": event.ulid,
        "timestamp": timestamp,
        "metadata": {
            "source_user_id": change.actor.user_id,
            "source_project_id": change.project_id,
            "source_operation_id": None,
            "source_company_id": event.company_id,
            "source_application_id": change.actor.application_id,
        },
        "user_id": change.actor.user_id,
        "company_id": event.company_id,
        "project_id": change.project_id,
        "api_version": f"{version}.0",
        "event_type": change.event_type,
        "resource_name": change.resource,
        "resource_id": change.resource_id,
    }
    if version == "v3":
        body["related_resources"] = [{"id": rid, "name": name} for name, rid in change.related]
    return body
