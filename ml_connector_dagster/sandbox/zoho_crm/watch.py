"""Watch channels of one org (crm_targets.md §2.7): enable (POST), list (GET), update (PATCH), replace (PUT) and
disable (DELETE), with Zoho's validation: `channel_id`, `events` and `notify_url` required, `token` at most 50
characters, events `<Module>.create|edit|delete|all`, an expiry at most a week ahead (else one hour)."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from ml_connector_dagster.sandbox.zoho_crm.errors import ZohoError, invalid_data
from ml_connector_dagster.sandbox.zoho_crm.org import Org
from ml_connector_dagster.sandbox.zoho_crm.schema import module_named

_OPERATIONS = ("create", "edit", "delete", "all")
_SUBSCRIBED = "Successfully subscribed for actions-watch of the given module"
_KEPT = ("channel_id", "events", "channel_expiry", "token", "notify_url", "return_affected_field_values",
         "notify_on_related_action", "notification_condition")  # fmt: skip


class Channels:
    def __init__(self, org: Org, max_expiry: float, default_expiry: float):
        self.org = org
        self.max_expiry = max_expiry
        self.default_expiry = default_expiry

    def live(self) -> list[dict]:
        now = self.org.clock.now()
        with self.org.store.lock:
            channels = list(self.org.store.items("channels", self.org.dc).values())
        return [c for c in channels if datetime.fromisoformat(c["channel_expiry"]) > now]

    def enable(self, body: dict, api_domain: str, *, replace: bool = False) -> list[dict]:
        results = []
        for index, entry in enumerate(_entries(body)):
            try:
                channel = self._validated(entry, index, api_domain, None)
                if replace and self._get(channel["channel_id"]) is None:
                    raise _unknown_channel(index)
                self.org.store.put("channels", self.org.dc, {channel["channel_id"]: channel})
                results.append(self._subscribed(channel))
            except ZohoError as error:
                results.append(error.body())
        return results

    def update(self, body: dict) -> list[dict]:
        results = []
        for index, entry in enumerate(_entries(body)):
            try:
                existing = self._get(str(entry.get("channel_id", "")))
                if existing is None:
                    raise _unknown_channel(index)
                if entry.get("_delete_events"):
                    removing = set(entry.get("events") or [])
                    merged = {**existing, "events": [e for e in existing["events"] if e not in removing]}
                else:
                    merged = {**existing, **{k: v for k, v in entry.items() if k in _KEPT}}
                    if "channel_expiry" not in entry:
                        merged.pop("channel_expiry")
                channel = self._validated(merged, index, existing["api_domain"], existing)
                self.org.store.put("channels", self.org.dc, {channel["channel_id"]: channel})
                results.append(self._subscribed(channel))
            except ZohoError as error:
                results.append(error.body())
        return results

    def disable(self, channel_ids: list[str]) -> list[dict]:
        results = []
        for channel_id in channel_ids:
            channel = self._get(channel_id)
            if channel is None:
                results.append(_unknown_channel(0).body())
                continue
            self.org.store.remove("channels", self.org.dc, [channel_id])
            details = self._subscribed(channel)["details"]["events"][0]
            results.append(
                {
                    "code": "SUCCESS",
                    "details": {k: details[k] for k in ("resource_uri", "resource_id", "resource_name", "channel_id")},
                    "message": "Successfully unsubscribed from actions-watch",
                    "status": "success",
                }
            )
        return results

    def listing(self) -> list[dict]:
        return [{k: c[k] for k in _KEPT if k in c} for c in self.live()]

    def _get(self, channel_id: str) -> dict | None:
        with self.org.store.lock:
            return self.org.store.items("channels", self.org.dc).get(channel_id)

    def _validated(self, entry: dict, index: int, api_domain: str, existing: dict | None) -> dict:
        path = f"$.watch[{index}]"
        for name in ("channel_id", "events", "notify_url"):
            if entry.get(name) in (None, "", []):
                raise ZohoError(
                    400,
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": name, "json_path": f"{path}.{name}"},
                )
        channel_id = str(entry["channel_id"])
        if not channel_id.isdigit() or isinstance(entry["channel_id"], bool):
            raise invalid_data("channel_id", f"{path}.channel_id", expected_data_type="long")
        events = entry["events"]
        if not isinstance(events, list) or not all(self._event_ok(e) for e in events):
            raise invalid_data("events", f"{path}.events")
        url = entry["notify_url"]
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise invalid_data("notify_url", f"{path}.notify_url")
        token = entry.get("token")
        if token is not None and (not isinstance(token, str) or len(token) > 50):
            raise invalid_data("token", f"{path}.token", maximum_length=50)
        return {
            **{k: entry[k] for k in _KEPT if k in entry},
            "channel_id": channel_id,
            "channel_expiry": self._expiry(entry.get("channel_expiry"), f"{path}.channel_expiry"),
            "api_domain": api_domain,
        }

    def _event_ok(self, event) -> bool:
        module, _, operation = str(event).partition(".")
        return module_named(module) is not None and operation in _OPERATIONS

    def _expiry(self, text, path: str) -> str:
        now = self.org.clock.now()
        default = now + timedelta(seconds=self.default_expiry)
        if text in (None, ""):
            return self.org.local(default.replace(microsecond=0).isoformat())
        try:
            asked = datetime.fromisoformat(str(text))
        except ValueError:
            raise invalid_data("channel_expiry", path, expected_data_type="datetime") from None
        if asked.tzinfo is None or asked <= now:
            raise invalid_data("channel_expiry", path, expected_data_type="datetime")
        if asked > now + timedelta(seconds=self.max_expiry):
            asked = default  # past the week: Zoho falls back to one hour
        return self.org.local(asked.replace(microsecond=0).isoformat())

    def _subscribed(self, channel: dict) -> dict:
        events = []
        for module_name in dict.fromkeys(e.partition(".")[0] for e in channel["events"]):
            module = module_named(module_name)
            events.append(
                {
                    "channel_expiry": channel["channel_expiry"],
                    "resource_uri": f"{channel['api_domain']}/crm/v2/{module.api_name}",
                    "resource_id": self.org.module_id(module),
                    "resource_name": module.api_name,
                    "channel_id": channel["channel_id"],
                }
            )
        return {"code": "SUCCESS", "details": {"events": events}, "message": _SUBSCRIBED, "status": "success"}


def _entries(body: dict) -> list[dict]:
    entries = body.get("watch") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise ZohoError(
            400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "watch", "json_path": "$.watch"}
        )
    return entries


def _unknown_channel(index: int) -> ZohoError:
    # Guess: the code of a channel id that is not subscribed.
    return invalid_data("channel_id", f"$.watch[{index}].channel_id", "the channel id given seems to be invalid")
