"""Webhook hooks and triggers (crm_targets.md §3.10; the v1.0 Hooks, Triggers and Deliveries endpoints): a hook is
owned by the company or by one project (exactly one of `company_id`/`project_id`), has a namespace of lowercase
letters and dashes, a payload version, a destination URL and headers (answered masked but for their last five
characters); a trigger subscribes it to one resource and event type. Every change of a triggered resource, made
through the API or by a user, becomes one event delivered to each subscribed hook in its payload version."""

import re
import threading
from urllib.parse import urlsplit

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.procore.company import Actor, Change, Company
from ml_connector_dagster.sandbox.procore.deliveries import Deliveries, Pending
from ml_connector_dagster.sandbox.procore.errors import Invalid, bad_request, not_found
from ml_connector_dagster.sandbox.procore.events import VERSIONS, Event, payload, ulid
from ml_connector_dagster.sandbox.procore.store import Store

HOOKS, TRIGGERS = "hooks", "triggers"
# The brief's and the reference's rule (newer pages also allow digits: uncertain).
_NAMESPACE = re.compile(r"^[a-z-]+$")
RESOURCES = ("Company Vendors", "Cost Codes", "Purchase Order Contracts", "Purchase Order Contract Line Items",
             "Requisitions", "Commitment Change Orders")  # fmt: skip
EVENT_TYPES = ("create", "update", "delete")
# Deliveries' `filters[status]`: which outcomes each keeps.
_STATUS_FILTER = {"any": None, "successful": {"ok"}, "failing": {"retried", "failed"}, "discarded": {"discarded"}}


class Webhooks:
    def __init__(self, store: Store, clock: Clock, settings):
        self.store = store
        self.clock = clock
        self.deliveries = Deliveries(clock, settings, lambda hook_id: store.get(HOOKS, hook_id))
        self._lock = threading.Lock()

    def drain(self, timeout: float = 5.0) -> bool:
        """Waits until every event has been delivered, failed or discarded (tests); events held back wait for
        `release`."""
        return self.deliveries.drain(timeout)

    def release(self, newest_first: bool = False) -> int:
        """Sends the events the `webhook_hold` knob kept back, newest first if asked; answers how many."""
        return self.deliveries.release(newest_first)

    # events ------------------------------------------------------------------------------------------------------
    def announce(self, company_id: int, change: Change) -> None:
        with self.store.lock:
            hooks = list(self.store.rows(HOOKS).values())
            triggers = list(self.store.rows(TRIGGERS).values())
        subscribed = [
            hook
            for hook in hooks
            if _reaches(hook, company_id, change.project_id)
            and any(
                t["webhook_hook_id"] == hook["id"]
                and t["resource_name"] == change.resource
                and t["event_type"] == change.event_type
                for t in triggers
            )
        ]
        if not subscribed:
            return
        at = self.clock.now()
        event = Event(self.store.new_id("events"), ulid(at), at, company_id, change)
        for hook in subscribed:
            pending = Pending(hook["id"], event.id, payload(event, hook["api_version"]))
            self.deliveries.enqueue(hook["destination_url"], pending)

    # hooks -------------------------------------------------------------------------------------------------------
    def hooks(self, scope: tuple[str, int], params) -> list[dict]:
        rows = [h for h in self.store.rows(HOOKS).values() if _owner(h) == scope]
        if params.get("namespace"):
            rows = [h for h in rows if h["namespace"] == params["namespace"]]
        if params.get("api_version"):
            rows = [h for h in rows if h["api_version"] == params["api_version"]]
        return [render_hook(h) for h in sorted(rows, key=lambda h: h["id"])]

    def create_hook(self, scope: tuple[str, int], body: dict, actor: Actor) -> dict:
        values = _hook_values(body.get("hook"), None)
        row = {
            "id": self.store.new_id(HOOKS),
            "owned_by_company_id": scope[1] if scope[0] == "company_id" else None,
            "owned_by_project_id": scope[1] if scope[0] == "project_id" else None,
            "owned_by_user_id": actor.user_id,
            **values,
        }
        self.store.put(HOOKS, row)
        return render_hook(row)

    def update_hook(self, scope: tuple[str, int], hook_id, body: dict) -> dict:
        row = self.hook(scope, hook_id)
        row = {**row, **_hook_values(body.get("hook"), row)}
        self.store.put(HOOKS, row)
        return render_hook(row)

    def delete_hook(self, scope: tuple[str, int], hook_id) -> None:
        row = self.hook(scope, hook_id)
        with self.store.lock:
            for trigger in [t for t in self.store.rows(TRIGGERS).values() if t["webhook_hook_id"] == row["id"]]:
                self.store.remove(TRIGGERS, trigger["id"])
            self.store.remove(HOOKS, row["id"])

    def hook(self, scope: tuple[str, int], hook_id) -> dict:
        row = self.store.get(HOOKS, hook_id)
        if row is None or _owner(row) != scope:
            raise not_found()
        return row

    # triggers ----------------------------------------------------------------------------------------------------
    def triggers(self, scope: tuple[str, int], hook_id) -> list[dict]:
        hook = self.hook(scope, hook_id)
        rows = [t for t in self.store.rows(TRIGGERS).values() if t["webhook_hook_id"] == hook["id"]]
        return [render_trigger(t) for t in sorted(rows, key=lambda t: t["id"])]

    def create_trigger(self, scope: tuple[str, int], hook_id, body: dict, actor: Actor) -> dict:
        hook = self.hook(scope, hook_id)
        trigger = body.get("trigger")
        if not isinstance(trigger, dict):
            raise bad_request("param is missing or the value is empty: trigger")
        errors: dict[str, list[str]] = {}
        if trigger.get("resource_name") not in RESOURCES:
            errors["resource_name"] = ["is not included in the list"]
        if trigger.get("event_type") not in EVENT_TYPES:
            errors["event_type"] = ["is not included in the list"]
        with self._lock:
            existing = [t for t in self.store.rows(TRIGGERS).values() if t["webhook_hook_id"] == hook["id"]]
            if not errors and any(
                (t["resource_name"], t["event_type"]) == (trigger["resource_name"], trigger["event_type"])
                for t in existing
            ):
                # Guess: a second identical trigger on one hook is refused.
                errors["event_type"] = ["has already been taken"]
            if errors:
                raise Invalid(errors)
            row = {
                "id": self.store.new_id(TRIGGERS),
                "webhook_hook_id": hook["id"],
                "resource_name": trigger["resource_name"],
                "event_type": trigger["event_type"],
                "company_id": scope[1] if scope[0] == "company_id" else None,
                "project_id": scope[1] if scope[0] == "project_id" else None,
                "user_id": actor.user_id,
            }
            self.store.put(TRIGGERS, row)
        return render_trigger(row)

    def delete_trigger(self, scope: tuple[str, int], hook_id, trigger_id) -> None:
        hook = self.hook(scope, hook_id)
        row = self.store.get(TRIGGERS, trigger_id)
        if row is None or row["webhook_hook_id"] != hook["id"]:
            raise not_found()
        self.store.remove(TRIGGERS, row["id"])

    # deliveries --------------------------------------------------------------------------------------------------
    def delivered(self, scope: tuple[str, int], hook_id, params) -> list[dict]:
        """The hook's delivery attempts, newest first, `page_size` at a time after the id `page_start`."""
        hook = self.hook(scope, hook_id)
        status = params.get("filters[status]") or params.get("filter[status]") or "any"
        if status not in _STATUS_FILTER:
            raise bad_request("filters[status] must be one of: any, successful, failing, discarded")
        outcomes = _STATUS_FILTER[status]
        rows = [r for r in self.deliveries.records(hook["id"]) if outcomes is None or r["outcome"] in outcomes]
        rows.sort(key=lambda r: r["id"], reverse=True)
        if (start := params.get("page_start", "")).isdigit():
            rows = [r for r in rows if r["id"] < int(start)]
        size = params.get("page_size", "")
        rows = rows[: int(size) if size.isdigit() and int(size) > 0 else 100]
        return [{k: v for k, v in r.items() if k != "hook_id"} for r in rows]


def scope_of(params: dict, company: Company) -> tuple[str, int]:
    """The hook scope a call names: exactly one of `company_id` (this company) or `project_id` (one of its projects)."""
    named = [name for name in ("company_id", "project_id") if params.get(name) not in (None, "")]
    if len(named) != 1:
        raise bad_request("You must supply either a company_id or a project_id")
    if named[0] == "project_id":
        return "project_id", company.project(params["project_id"])["id"]
    return "company_id", company.id  # the emulator refused any other company_id already


def render_hook(row: dict) -> dict:
    return {
        "id": row["id"],
        "api_version": row["api_version"],
        "destination_headers": {name: f"*****{value[-5:]}" for name, value in row["destination_headers"].items()},
        "destination_url": row["destination_url"],
        "owned_by_company_id": row["owned_by_company_id"],
        "owned_by_project_id": row["owned_by_project_id"],
        "owned_by_user_id": row["owned_by_user_id"],
        "namespace": row["namespace"],
    }


def render_trigger(row: dict) -> dict:
    return {
        "id": row["id"],
        "webhook_hook_id": row["webhook_hook_id"],
        "resource_name": row["resource_name"],
        "resource_id": None,
        # The v1.0 answer's enum is upper case (CREATE, UPDATE, DELETE), whatever case the request used.
        "event_type": row["event_type"].upper(),
        "company_id": row["company_id"],
        "project_id": row["project_id"],
        "user_id": row["user_id"],
    }


def _hook_values(hook, old: dict | None) -> dict:
    if not isinstance(hook, dict):
        raise bad_request("param is missing or the value is empty: hook")
    values = {k: hook[k] for k in ("api_version", "namespace", "destination_url", "destination_headers") if k in hook}
    if old is None:
        values = {"namespace": "procore", "api_version": "v2", "destination_headers": {}, **values}
    errors: dict[str, list[str]] = {}
    if "namespace" in values and not (isinstance(values["namespace"], str) and _NAMESPACE.match(values["namespace"])):
        errors["namespace"] = ["is invalid"]
    if "api_version" in values and values["api_version"] not in VERSIONS:
        errors["api_version"] = ["is not included in the list"]
    url = values.get("destination_url", (old or {}).get("destination_url"))
    # Production hooks need a public https URL; the sandbox's receivers listen on plain http, so http passes too.
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        errors["destination_url"] = ["is invalid"]
    headers = values.get("destination_headers")
    if headers is not None and not (
        isinstance(headers, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        errors["destination_headers"] = ["is invalid"]
    if errors:
        raise Invalid(errors)
    return values


def _owner(hook: dict) -> tuple[str, int]:
    if hook["owned_by_project_id"] is not None:
        return "project_id", hook["owned_by_project_id"]
    return "company_id", hook["owned_by_company_id"]


def _reaches(hook: dict, company_id: int, project_id: int | None) -> bool:
    kind, owner = _owner(hook)
    return owner == company_id if kind == "company_id" else project_id is not None and owner == project_id
