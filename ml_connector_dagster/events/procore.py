"""Procore webhook deliveries (crm_targets.md §3.10): one event per POST, at least once, naming a resource that
changed and never its data (the extract reads it back). Procore signs nothing: the `Authorization: Bearer <key>`
header the hook was registered with comes back with every delivery and is what authenticates it. A payload in
version v2 or v3 carries integer ids, `event_type`, `resource_name` and a `ulid`, the event's identity across
retries and duplicates; v4 carries string ids, `reason` and `resource_type`, and its `id` is the ULID."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import Field, StrictStr

from ml_connector_dagster.events.envelope import INT64, INT64_TEXT, ISO_DATE_TIME, Envelope, Event, validated

# 26 characters of Crockford's base 32 (no I, L, O, U), case-insensitive; the first at most 7, as 26 of them hold 130
# bits and a ULID is 128 (ulid/spec).
ULID = Annotated[StrictStr, Field(pattern=r"^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$")]
NAME = Annotated[StrictStr, Field(min_length=1)]


class Metadata(Envelope):
    source_user_id: INT64 | None = None
    source_project_id: INT64 | None = None
    source_operation_id: INT64 | None = None
    source_company_id: INT64 | None = None
    source_application_id: StrictStr | INT64 | None = None  # Guess: an app's id is a string in Procore's app store


class Related(Envelope):
    id: INT64
    name: NAME


class V2(Envelope):
    """Payload versions v2 and v3 (v3 adds related_resources)."""

    ulid: ULID
    timestamp: ISO_DATE_TIME
    resource_name: NAME
    resource_id: INT64
    event_type: Literal["create", "update", "delete"]
    id: INT64 | None = None
    metadata: Metadata | None = None
    user_id: INT64 | None = None
    company_id: INT64 | None = None
    project_id: INT64 | None = None
    api_version: StrictStr | None = None
    related_resources: list[Related] | None = None


class V4(Envelope):
    """Payload version v4: every id a string, `reason` (which may hold more than create, update and delete) for
    event_type, `resource_type` for resource_name, and the ULID as `id`."""

    id: ULID
    timestamp: ISO_DATE_TIME
    resource_type: NAME
    resource_id: INT64_TEXT
    reason: NAME
    company_id: INT64_TEXT | None = None
    project_id: INT64_TEXT | None = None
    user_id: INT64_TEXT | None = None


def parse(body: object) -> list[Event]:
    if isinstance(body, dict) and "resource_type" in body and "resource_name" not in body:
        key = validated(V4, body, "a Procore v4 event").id
    else:
        key = validated(V2, body, "a Procore v2/v3 event").ulid
    return [Event(key.upper(), body)]


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
