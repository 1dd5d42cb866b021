"""Procore webhooks (crm_targets.md §3.10): a company-level hook in the connector's own namespace posts events to
`destination_url` with the `destination_headers` it was given, here `Authorization: Bearer <key>`, which is how the
receiver knows a delivery is Procore's (Procore signs nothing); a trigger per resource and event type says what is
posted. `ensure_hook` is what a daily job calls: it creates the hook when the namespace has none, puts its URL and
header right when they changed, and adds the triggers it lacks, so running it again changes nothing."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

HOOKS = "webhooks/hooks"
API_VERSION = "v2"  # the payload version asked for; events/procore.py reads v2 to v4


@dataclass(frozen=True)
class HookState:
    hook_id: int
    action: Literal["created", "updated", "current"]
    added: tuple[tuple[str, str], ...]  # the triggers (resource name, event type) added now


class ProcoreHooks:
    """Mixed into the client, whose `_send(method, path, **kwargs)` answers a call's JSON body."""

    company_id: int

    def _send(self, method: str, path: str, **kwargs) -> Any:
        raise NotImplementedError

    def list_hooks(self, namespace: str) -> list[dict]:
        return self._send("GET", HOOKS, params={"company_id": str(self.company_id), "namespace": namespace}) or []

    def list_triggers(self, hook_id: int) -> list[dict]:
        return self._send("GET", f"{HOOKS}/{hook_id}/triggers", params={"company_id": str(self.company_id)}) or []

    def ensure_hook(
        self, destination_url: str, key: str, namespace: str, triggers: Sequence[tuple[str, str]]
    ) -> HookState:
        """`triggers`: (resource name, event type) pairs, e.g. ("Requisitions", "update")."""
        headers = {"Authorization": f"Bearer {key}"}
        hook = {"api_version": API_VERSION, "namespace": namespace, "destination_url": destination_url}
        mine = sorted(
            (listed for listed in self.list_hooks(namespace) if listed.get("namespace") == namespace),
            key=lambda listed: int(listed["id"]),
        )
        if not mine:
            created = self._send(
                "POST", HOOKS, json={"company_id": self.company_id, "hook": {**hook, "destination_headers": headers}}
            )
            hook_id, action = int(created["id"]), "created"
        else:
            current = mine[0]  # the oldest: a second one in the namespace is someone's copy, left alone
            hook_id, action = int(current["id"]), "current"
            if current.get("destination_url") != destination_url or not _same_header(current, headers):
                self._send(
                    "PATCH",
                    f"{HOOKS}/{hook_id}",
                    json={"company_id": self.company_id, "hook": {**hook, "destination_headers": headers}},
                )
                action = "updated"
        # Procore lists event types in upper case (CREATE) and takes them in lower case.
        present = {(t.get("resource_name"), str(t.get("event_type", "")).lower()) for t in self.list_triggers(hook_id)}
        added = tuple(
            (resource, event) for resource, event in dict.fromkeys(triggers) if (resource, event.lower()) not in present
        )
        for resource, event in added:
            self._send(
                "POST",
                f"{HOOKS}/{hook_id}/triggers",
                json={
                    "company_id": self.company_id,
                    "api_version": API_VERSION,
                    "trigger": {"resource_name": resource, "event_type": event},
                },
            )
        return HookState(hook_id, action, added)


def _same_header(hook: dict, headers: dict[str, str]) -> bool:
    """Procore shows a hook's Authorization header masked but for its last 5 characters (`*****xMiJ9`): a masked
    value is taken as ours when its visible end is ours (so a new key must differ from the old one in its end to be
    put right by this check)."""
    shown = str((hook.get("destination_headers") or {}).get("Authorization") or "")
    wanted = headers["Authorization"]
    if shown.startswith("*"):
        visible = shown.lstrip("*")
        return bool(visible) and wanted.endswith(visible)
    return shown == wanted
