"""Zoho CRM notification channels (crm_targets.md §2.7): Zoho POSTs the ids of changed records to the channel's
`notify_url`, with the channel's `token` in the body, until `channel_expiry`, which is at most a week ahead and must be
renewed before it passes (a channel that lapses delivers nothing, silently). `ensure_channel` is what a daily job
calls: it enables the channel when Zoho has none, and renews it when it expires within `RENEW_WITHIN`."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from ml_connector_dagster.http import ApiError

WATCH = "actions/watch"
EVENTS = ("Accounts.all", "Contacts.all")
# A week is the most Zoho allows; an expiry past it is not refused but shortened to one hour (§2.7), so the connector
# asks for an hour less than a week, leaving room for a clock that runs ahead of Zoho's.
LIFETIME = timedelta(days=7) - timedelta(hours=1)
RENEW_WITHIN = timedelta(days=2)  # a daily renewal that fails once still has a day to succeed


@dataclass(frozen=True)
class ChannelState:
    action: Literal["enabled", "renewed", "current"]
    expiry: datetime


class NotificationChannels:
    """Mixed into the client, whose `_send(method, path, **kwargs)` answers a call's JSON body ({} for 204)."""

    server_now: datetime | None = None  # Zoho's time by its latest answer

    def _send(self, method: str, path: str, **kwargs) -> dict:
        raise NotImplementedError

    def list_channels(self) -> list[dict]:
        """The org's active channels, one entry per channel and module."""
        return self._send("GET", WATCH).get("watch", [])

    def enable_channel(
        self, notify_url: str, channel_id: int, token: str, events: Sequence[str], expiry: datetime
    ) -> datetime:
        """Subscribes; returns the expiry Zoho granted."""
        return self._watch("POST", notify_url, channel_id, token, events, expiry)

    def renew_channel(
        self, notify_url: str, channel_id: int, token: str, events: Sequence[str], expiry: datetime
    ) -> datetime:
        """Moves the channel's expiry (and its URL, token and events, should they have changed); returns the expiry
        granted. Zoho's PATCH updates what it is given [guess: which keys it requires is not documented, so all are
        sent]."""
        return self._watch("PATCH", notify_url, channel_id, token, events, expiry)

    def disable_channel(self, channel_id: int) -> None:
        self._send("DELETE", WATCH, params={"channel_ids": str(channel_id)})

    def ensure_channel(
        self,
        notify_url: str,
        channel_id: int,
        token: str,
        events: Sequence[str] = EVENTS,
        *,
        now: datetime | None = None,
    ) -> ChannelState:
        """`now`: Zoho's own time by default (the Date header of its answer), since Zoho caps the expiry against its
        clock, not this machine's."""
        listed = [entry for entry in self.list_channels() if str(entry.get("channel_id")) == str(channel_id)]
        now = now or self.server_now or datetime.now(UTC)
        expiry = now + LIFETIME
        if not listed:
            return ChannelState("enabled", self.enable_channel(notify_url, channel_id, token, events, expiry))
        current = min(_expiry(entry["channel_expiry"]) for entry in listed)
        if current - now > RENEW_WITHIN and all(entry.get("notify_url") == notify_url for entry in listed):
            return ChannelState("current", current)
        return ChannelState("renewed", self.renew_channel(notify_url, channel_id, token, events, expiry))

    def _watch(
        self, method: str, notify_url: str, channel_id: int, token: str, events: Sequence[str], expiry: datetime
    ) -> datetime:
        watch = {
            "channel_id": str(channel_id),
            "events": list(events),
            "channel_expiry": expiry.isoformat(timespec="seconds"),
            "token": token,
            "notify_url": notify_url,
        }
        answers = self._send(method, WATCH, json={"watch": [watch]}).get("watch") or [{}]
        for answer in answers:
            if answer.get("status") != "success":
                raise ApiError(
                    "zoho_crm",
                    f"{method} {WATCH} refused: {answer.get('message', 'no answer')}",
                    code=answer.get("code"),
                )
        granted = [event["channel_expiry"] for a in answers for event in (a.get("details") or {}).get("events", [])]
        return min(map(_expiry, granted)) if granted else expiry


def _expiry(value: str) -> datetime:
    return datetime.fromisoformat(value)
