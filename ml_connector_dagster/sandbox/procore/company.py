"""The company the DMSA app is installed in: its records, its clock, who makes a change (the app's service account
through the API, or a Procore user in the web UI, through the admin surface), and the one way every record is
written, so `updated_at` moves only when something changed and each write is announced to the webhooks."""

from collections.abc import Callable
from dataclasses import dataclass

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.procore.errors import FieldErrors, forbidden, missing_param, not_found
from ml_connector_dagster.sandbox.procore.settings import ProcoreSettings
from ml_connector_dagster.sandbox.procore.store import Store
from ml_connector_dagster.sandbox.procore.values import stamp


@dataclass(frozen=True)
class Actor:
    """Who made a change: the `user_id` of a webhook event, and `source_application_id` when it came through an app."""

    user_id: int
    name: str
    login: str
    application_id: str | None = None

    def rendered(self, company_name: str) -> dict:
        return {"id": self.user_id, "name": self.name, "login": self.login, "company_name": company_name}


USER = Actor(160586, "Dana Whitaker", "dana.whitaker@visionconstruction.example")  # a project controller in the UI


@dataclass(frozen=True)
class Change:
    """One record written: what a webhook event is made from."""

    resource: str
    event_type: str  # create | update | delete
    resource_id: int
    project_id: int | None
    actor: Actor
    related: tuple[tuple[str, int], ...] = ()


class Company:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Callable[[], ProcoreSettings],
        announce: Callable[[Change], None],
    ):
        self.store = store
        self.clock = clock
        self.settings = settings
        self.announce = announce

    @property
    def id(self) -> int:
        return self.settings().company_id

    @property
    def name(self) -> str:
        return self.settings().company_name

    def service_account(self) -> Actor:
        # The user a DMSA acts as: a service account named after the app.
        return Actor(9000101, "ML Connector (service account)", "", self.settings().client_id)

    def actors(self) -> dict[int, Actor]:
        return {actor.user_id: actor for actor in (USER, self.service_account())}

    def now(self) -> str:
        return stamp(self.clock.now())

    def rows(self, kind: str, project_id: int | None = None) -> list[dict]:
        with self.store.lock:
            rows = list(self.store.rows(kind).values())
        return [r for r in rows if project_id is None or r.get("project_id") == project_id]

    def project(self, value, name: str = "project_id", *, member: bool = True) -> dict:
        """The project named by a query or body parameter: 400 without one, 404 if it is not this company's, 403 if
        the service account was not added to it (`member`; a company admin in the UI reaches every project)."""
        if value in (None, ""):
            raise missing_param(name)
        row = self.store.get("projects", value)
        if row is None or row["company_id"] != self.id:
            raise not_found()
        allowed = self.settings().project_ids
        if member and allowed is not None and row["id"] not in allowed:
            raise forbidden("You do not have access to this project")
        return row

    def save(self, kind: str, resource: str, row: dict, old: dict | None, actor: Actor, related=()) -> dict:
        """Writes `row` if it differs from `old` (Rails saves nothing, and announces nothing, when nothing changed)."""
        if old is not None and _content(row) == _content(old):
            return old
        now = self.now()
        row = {**row, "updated_at": now, "created_at": old["created_at"] if old else now}
        self.store.put(kind, row)
        event_type = "create" if old is None else "update"
        self.announce(Change(resource, event_type, row["id"], row.get("project_id"), actor, tuple(related)))
        return row

    def delete(self, kind: str, resource: str, row: dict, actor: Actor, *, soft: bool, related=()) -> None:
        if soft:
            self.store.put(kind, {**row, "deleted_at": self.now(), "updated_at": self.now()})
        else:
            self.store.remove(kind, row["id"])
        self.announce(Change(resource, "delete", row["id"], row.get("project_id"), actor, tuple(related)))


def unknown_fields(values: dict, known: frozenset[str]) -> FieldErrors:
    return {name: ["is not a known attribute"] for name in values if name not in known}


def _content(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("updated_at", "created_at")}
