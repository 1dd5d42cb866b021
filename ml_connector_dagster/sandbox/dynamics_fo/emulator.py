"""Dynamics 365 Finance & Operations OData emulator: bearer tokens from the Entra emulator for apps registered under
"Microsoft Entra applications", the resource-based throttle, business events, and the admin surface tests and the
demo use to inspect rows, edit them as a user would, and run business-event endpoints."""

import asyncio
import collections
import threading
import uuid
from typing import Literal

from pydantic import Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_fo.entities import ENTITIES
from ml_connector_dagster.sandbox.dynamics_fo.errors import AUTH_EXCEPTION, THROTTLE_EXCEPTION, FoError
from ml_connector_dagster.sandbox.dynamics_fo.events import BusinessEvents, Endpoint, EventsSettings
from ml_connector_dagster.sandbox.dynamics_fo.seed import seed
from ml_connector_dagster.sandbox.dynamics_fo.service import JSON_TYPE, ApiRequest, FoService, Limits, Reply, render
from ml_connector_dagster.sandbox.dynamics_fo.store import Actor, Change, Store, key_of
from ml_connector_dagster.sandbox.dynamics_fo.writes import Writer
from ml_connector_dagster.sandbox.emulator import Emulator, EmulatorSettings
from ml_connector_dagster.sandbox.odata_reply import to_response
from ml_connector_dagster.sandbox.tokens import TokenError, TokenSigner

THROTTLED = "This request could not be processed at this time due to system experiencing high resource utilization."
# The person who edits records through the admin surface, as a user of the F&O client would.
CLIENT_USER = Actor(str(uuid.uuid5(uuid.NAMESPACE_URL, "dynamics_fo/admin")))


class DynamicsFoSettings(EmulatorSettings, EventsSettings):
    tenant_id: str = SANDBOX.tenant_id
    entra_applications: list[str] = Field(
        default=[SANDBOX.client_id],
        description="client ids registered under System administration > Setup > Microsoft Entra applications",
    )
    default_company: str = Field(default="usmf", description="the default company of the apps' F&O user")
    user_companies: list[str] | None = Field(
        default=None,
        description="legal entities the apps' F&O user has a role in (None: every one); cross-company queries "
        "answer rows of these only",
    )
    max_page_size: int = Field(default=10000, ge=1, le=10000, description="server-driven page size")
    write_error_status: Literal[400, 500] = Field(
        default=400, description="status of a failed write outside $batch (§3.7: F&O answers 400 or 500)"
    )
    request_budget: int | None = Field(
        default=None,
        ge=1,
        description="requests one app may make per window "
        "before the resource-based throttle answers 429; None for no throttle",
    )
    budget_window_seconds: int = Field(default=300, ge=1)


class DynamicsFoEmulator(Emulator):
    name = "dynamics_fo"
    Settings = DynamicsFoSettings
    settings: DynamicsFoSettings

    def __init__(self, *, signer: TokenSigner | None = None, customers: int = 300, **kwargs):
        super().__init__(**kwargs)
        self.signer = signer or TokenSigner()
        self.store = Store(self.state_dir / "dynamics_fo.sqlite" if self.state_dir else None)
        if self.store.empty:
            seed(self.store, customers=customers, seed_value=self.seed)
        self.writer = Writer(self.clock)
        self.service = FoService(
            self.store, self.writer, lambda: Limits(self.settings.max_page_size, self.settings.write_error_status)
        )
        self.events = BusinessEvents(self.clock, lambda: self.settings, self.seed)
        self.changes: collections.Counter[str] = collections.Counter()
        self.store.subscribe(self._count)
        self.store.subscribe(self.events.on_commit)
        self._recent: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._limits = threading.Lock()
        self.requests_throttled = 0

    def routes(self) -> list[BaseRoute]:
        return [Route("/data/{path:path}", self._api, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])]

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/entities/{entity_set}", self._admin_rows, methods=["GET"]),
            Route("/entities/{entity_set}/{key}", self._admin_edit, methods=["PATCH"]),
            Route("/stats", self._admin_stats, methods=["GET"]),
            Route("/business-events/endpoints", self._admin_endpoints, methods=["GET", "POST"]),
            Route("/business-events/endpoints/{endpoint_id}", self._admin_unregister, methods=["DELETE"]),
            Route("/business-events/log", self._admin_event_log, methods=["GET"]),
            Route("/business-events/release", self._admin_release, methods=["POST"]),
            Route("/business-events/errors/{error_id}/resend", self._admin_resend, methods=["POST"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        if status == 429:
            return _reply(Reply(429, {}, FoError(429, THROTTLED, THROTTLE_EXCEPTION).body()))
        return _reply(Reply(status, {}, FoError(status, "sandbox fault injection").body()))

    # the API ---------------------------------------------------------------------------------------------------
    async def _api(self, request: Request) -> Response:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        identity = self._authenticate(request, origin)
        if isinstance(identity, Response):
            return identity
        app_id, actor = identity
        throttled = self._admit(app_id)
        if throttled is not None:
            return throttled
        api_request = ApiRequest(
            request.method,
            request.path_params["path"],
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
            actor,
            self.settings.default_company,
            None if self.settings.user_companies is None else frozenset(map(str.lower, self.settings.user_companies)),
        )
        return _reply(await asyncio.to_thread(self.service.handle, api_request, f"{origin}/data"))

    def _authenticate(self, request: Request, origin: str) -> tuple[str, Actor] | Response:
        # Guess: F&O's 401 carries the same Entra challenge as Dataverse's; the sheet leaves the body open (§3.1).
        challenge = {
            "WWW-Authenticate": f"Bearer authorization_uri=https://login.microsoftonline.com/"
            f"{self.settings.tenant_id}/oauth2/authorize, resource_id={origin}"
        }
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return self._unauthorized(challenge, "Bearer token is required.")
        try:
            claims = self.signer.verify(header[7:], audience=origin, now=self.clock.now())
        except TokenError as error:
            return self._unauthorized(challenge, str(error))
        if claims.tid != self.settings.tenant_id:
            return self._unauthorized(challenge, "The token was issued for another tenant.")
        if claims.appid not in self.settings.entra_applications:
            # The sheet (§3.1, §5.3.1): an app not registered under Microsoft Entra applications gets 401.
            return self._unauthorized(
                challenge,
                f"The application {claims.appid} is not registered in Microsoft "
                "Entra applications or its user is not enabled.",
            )
        return claims.appid, Actor(claims.raw.get("oid", claims.appid))

    def _unauthorized(self, challenge: dict[str, str], message: str) -> Response:
        return _reply(Reply(401, challenge, FoError(401, message, AUTH_EXCEPTION).body()))

    def _admit(self, app_id: str) -> Response | None:
        """The resource-based throttle as a per-app budget in a sliding window (§3.6), so a test can trip it."""
        budget = self.settings.request_budget
        if budget is None:
            return None
        now = self.clock.now().timestamp()
        window = self.settings.budget_window_seconds
        with self._limits:
            recent = self._recent[app_id]
            while recent and recent[0] <= now - window:
                recent.popleft()
            if len(recent) >= budget:
                self.requests_throttled += 1
                wait = max(1, int(recent[0] + window - now + 0.999))
                return _reply(
                    Reply(429, {"Retry-After": str(wait)}, FoError(429, THROTTLED, THROTTLE_EXCEPTION).body())
                )
            recent.append(now)
        return None

    # inspection and edits (tests, demo, admin) -----------------------------------------------------------------
    def rows(self, entity_set: str, **where: str) -> list[dict]:
        entity = _entity(entity_set)
        rows = [render(entity, row, None) for row in self.store.snapshot(entity)]
        return [row for row in rows if all(str(row.get(name)) == value for name, value in where.items())]

    def edit(self, entity_set: str, key: dict[str, str], changes: dict) -> dict:
        """Changes one record as a user in the F&O client would: same validation, same business events."""
        entity = _entity(entity_set)
        with self.store.transaction(CLIENT_USER) as tx:
            row = tx.get(entity, key_of(entity, key))
            if row is None:
                raise LookupError(f"no {entity_set} row with {key}")
            row = self.writer.update(tx, entity, row, changes, replace=False)
        return render(entity, row, None)

    def stats(self) -> dict[str, int]:
        counts = {f"rows_{name}": len(self.store.snapshot(entity)) for name, entity in ENTITIES.items()}
        return {
            **counts,
            **self.changes,
            "requests_served": self.requests_served,
            "requests_throttled": self.requests_throttled,
            "events_delivered": len(self.events.delivered),
            "events_failed": len(self.events.errors),
            "events_held": len(self.events.held),
        }

    def _count(self, changes: list[Change], actor: Actor | None) -> None:
        for change in changes:
            self.changes[change.kind.lower()] += 1

    async def _admin_rows(self, request: Request) -> Response:
        try:
            return JSONResponse({"value": self.rows(request.path_params["entity_set"], **request.query_params)})
        except LookupError as error:
            return JSONResponse({"detail": str(error)}, status_code=404)

    async def _admin_edit(self, request: Request) -> Response:
        """PATCH /_admin/entities/CustomersV3/usmf,US-001 with the changed fields."""
        try:
            entity = _entity(request.path_params["entity_set"])
            key = dict(zip(entity.keys, request.path_params["key"].split(",", len(entity.keys) - 1), strict=True))
            row = await asyncio.to_thread(self.edit, entity.entity_set, key, await request.json())
        except LookupError as error:
            return JSONResponse({"detail": str(error)}, status_code=404)
        except FoError as error:
            return JSONResponse({"detail": error.message}, status_code=422)
        return JSONResponse(row)

    async def _admin_stats(self, request: Request) -> Response:
        return JSONResponse(self.stats())

    async def _admin_endpoints(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(
                {endpoint_id: endpoint.model_dump() for endpoint_id, endpoint in self.events.endpoints.items()}
            )
        try:
            endpoint_id = self.events.register(Endpoint.model_validate(await request.json()))
        except ValidationError as error:
            return JSONResponse({"detail": error.errors(include_url=False, include_context=False)}, status_code=422)
        except ValueError as error:
            return JSONResponse({"detail": str(error)}, status_code=422)
        return JSONResponse({"id": endpoint_id}, status_code=201)

    async def _admin_unregister(self, request: Request) -> Response:
        removed = self.events.unregister(request.path_params["endpoint_id"])
        return JSONResponse({"removed": removed}, status_code=200 if removed else 404)

    async def _admin_event_log(self, request: Request) -> Response:
        return JSONResponse(self.events.log())

    async def _admin_release(self, request: Request) -> Response:
        """Sends held events; `{"order": "newest_first"}` delivers them out of order."""
        body = await request.json() if await request.body() else {}
        return JSONResponse({"released": self.events.release(body.get("order") == "newest_first")})

    async def _admin_resend(self, request: Request) -> Response:
        resent = self.events.resend(request.path_params["error_id"])
        return JSONResponse({"resent": resent}, status_code=200 if resent else 404)


def _entity(entity_set: str):
    entity = ENTITIES.get(entity_set)
    if entity is None:
        raise LookupError(f"unknown entity set {entity_set!r}; known: {sorted(ENTITIES)}")
    return entity


def _reply(reply: Reply) -> Response:
    return to_response(reply, JSON_TYPE)
