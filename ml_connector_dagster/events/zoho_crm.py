"""Zoho CRM notifications (crm_targets.md §2.7): one POST per change, carrying the module, the operation and the
changed records' ids only; the extract reads the records back. Zoho signs nothing: the channel's `token`, which Zoho
echoes in the body, is what authenticates a delivery, so it is never stored with the event. Zoho may deliver a
notification twice and its retries are undocumented; the same channel, time, module, operation and ids are the same
notification, so that is its deduplication key."""

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import Field, StrictStr

from ml_connector_dagster.events.envelope import INT64, INT64_TEXT, Envelope, Event, validated

# The last millisecond of 9999-12-31: a later server_time names no day a partition can be.
LAST_MOMENT_MS = int(datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC).timestamp() * 1000)


class Notification(Envelope):
    server_time: Annotated[int, Field(strict=True, ge=0, le=LAST_MOMENT_MS)]  # epoch milliseconds
    # Guess: Zoho documents no length for a module's API name (letters, digits and underscores); 100 keeps the
    # deduplication key within the inbox's.
    module: Annotated[StrictStr, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,99}$")]
    ids: Annotated[list[INT64 | INT64_TEXT], Field(min_length=1)]  # record ids: longs, sent as strings
    operation: Literal["insert", "update", "delete"]
    channel_id: INT64 | INT64_TEXT  # "a long, sent as a string or number"
    token: Annotated[StrictStr, Field(max_length=50)] | None = None
    query_params: dict | None = None  # the notify_url's query string, echoed
    resource_uri: StrictStr | None = None
    affected_fields: list | None = None  # filled on updates; its shape is uncertain (§2.7)


def parse(body: object) -> list[Event]:
    notification = validated(Notification, body, "a Zoho CRM notification")
    ids = hashlib.sha256(",".join(sorted(map(str, notification.ids))).encode()).hexdigest()[:16]
    key = "/".join(map(str, (notification.channel_id, notification.server_time, notification.module)))
    return [Event(f"{key}/{notification.operation}/{ids}", {k: v for k, v in body.items() if k != "token"})]


def sent_token(body: object) -> str | None:
    """The channel token a delivery carries, which the receiver compares with its key."""
    token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) else None


def changed_day(payload: dict) -> str:
    """The daily partition (UTC) a notification's changes fall into: the day of Zoho's server_time."""
    return datetime.fromtimestamp(payload["server_time"] / 1000, UTC).strftime("%Y-%m-%d")
