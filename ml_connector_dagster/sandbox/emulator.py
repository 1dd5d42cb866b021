"""The base every emulator builds on: a Starlette app behind fault injection, with an admin surface.

Vendor routes are the emulator's own; everything under `/_admin` is the sandbox's (health, faults, clock,
settings, plus what each emulator adds to edit source records or inspect target state). The admin surface is
not part of any vendor protocol and never needs vendor credentials.
"""

import base64
import binascii
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC
from email.utils import format_datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.faults import FaultMiddleware, Faults, FaultSettings


class EmulatorSettings(BaseModel):
    """Behaviour knobs of one emulator; subclasses add their own fields (token lifetimes, page caps...)."""


class Emulator:
    """One vendor system. Subclasses set `name`, `Settings`, and implement `routes` (and `admin_routes`)."""

    name: ClassVar[str]
    Settings: ClassVar[type[EmulatorSettings]] = EmulatorSettings

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        state_dir: Path | None = None,
        seed: int = 7,
        settings: EmulatorSettings | None = None,
    ):
        self.clock = clock or Clock()
        self.state_dir = Path(state_dir) if state_dir else None
        self.seed = seed
        self.settings = settings or self.Settings()
        self.faults = Faults()
        self.requests_served = 0
        # by path: what a test counts of one endpoint (a token endpoint's sign-ins per run) whatever the vendor
        self.paths_served: Counter[str] = Counter()
        # API requests between arriving and being answered (the injected latency included), and the most at once:
        # what tests of parallel sending and of a vendor's concurrency limit read.
        self.requests_in_flight = 0
        self.peak_requests_in_flight = 0

    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def log_request(self, log, request: Request, **extra) -> dict:
        """Appends what a request was (when, method, path, query, headers; `status` to fill in once answered) to
        `log`, for tests that check what a client sent."""
        entry = {
            "at": self.clock.now().astimezone(UTC).isoformat(),
            **extra,
            "method": request.method,
            "path": request.url.path,
            "query": str(request.url.query),
            "headers": dict(request.headers),
            "status": None,
        }
        log.append(entry)
        return entry

    def admin_routes(self) -> list[BaseRoute]:
        return []

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        """The body this vendor sends with an injected error; override to match the vendor's error shape."""
        return JSONResponse({"error": {"code": str(status), "message": "sandbox fault injection"}}, status_code=status)

    def update_settings(self, changes: dict) -> EmulatorSettings:
        self.settings = self.Settings.model_validate({**self.settings.model_dump(), **changes})
        return self.settings

    def admin(self) -> list[BaseRoute]:
        """Everything served under `/_admin`: what every emulator has, then this one's own."""
        return [
            Route("/health", self._health, methods=["GET"]),
            Route("/faults", self._faults, methods=["GET", "POST", "DELETE"]),
            Route("/clock", self._clock, methods=["GET", "POST"]),
            Route("/settings", self._settings, methods=["GET", "PATCH"]),
            *self.admin_routes(),
        ]

    def app(self) -> "_InFlight":
        starlette = Starlette(routes=[*self.routes(), Mount("/_admin", routes=self.admin())])
        counted = _CountRequests(starlette, self)
        return _InFlight(
            FaultMiddleware(_ServerDate(counted, self.clock), self.faults, self.render_fault, self.clock.advance), self
        )

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"system": self.name, "status": "ok", "now": self.clock.now().isoformat()})

    async def _faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.faults.configure(FaultSettings.model_validate(await request.json()))
            except ValidationError as exc:
                return JSONResponse({"detail": exc.errors(include_url=False)}, status_code=422)
        elif request.method == "DELETE":
            self.faults.clear()
        return JSONResponse(self.faults.snapshot().model_dump())

    async def _clock(self, request: Request) -> Response:
        if request.method == "POST":
            body = await request.json()
            if "advance_seconds" in body:
                self.clock.advance(float(body["advance_seconds"]))
        return JSONResponse({"now": self.clock.now().isoformat()})

    async def _settings(self, request: Request) -> Response:
        if request.method == "PATCH":
            try:
                self.update_settings(await request.json())
            except ValidationError as exc:
                return JSONResponse({"detail": exc.errors(include_url=False)}, status_code=422)
        return JSONResponse(self.settings.model_dump(mode="json"))


class _ServerDate:
    """The `Date` header every origin server with a clock sends (RFC 9110 §6.6.1), from the emulator's clock: a
    client that judges the system's dates against the system's own time sees the sandbox's time, frozen or moved."""

    def __init__(self, app, clock: Clock):
        self.app = app
        self.clock = clock

    async def __call__(self, scope, receive, send):
        async def dated(message):
            if message["type"] == "http.response.start":
                now = format_datetime(self.clock.now().astimezone(UTC), usegmt=True).encode()
                headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != b"date"]
                message = {**message, "headers": [*headers, (b"date", now)]}
            await send(message)

        await self.app(scope, receive, dated if scope["type"] == "http" else send)


class _CountRequests:
    def __init__(self, app, emulator: Emulator):
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].startswith("/_admin"):
            self.emulator.requests_served += 1
            self.emulator.paths_served[scope["path"]] += 1
        await self.app(scope, receive, send)


class _InFlight:
    def __init__(self, app, emulator: Emulator):
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        # One event loop serves the emulator: no lock needed between the increment and the peak.
        emulator = self.emulator
        emulator.requests_in_flight += 1
        emulator.peak_requests_in_flight = max(emulator.peak_requests_in_flight, emulator.requests_in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            emulator.requests_in_flight -= 1


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic ...` header, or None when there is none or it is malformed."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(user), unquote(password)


def seeded_tables(
    emulator: Emulator, ddl: Iterable[str], seed: Callable[[sqlite3.Connection], None]
) -> sqlite3.Connection:
    """An ERP emulator's tables in SQLite, named as in the ERP: in memory, or `<name>.sqlite` under the state folder,
    seeded only when new, so edits made through the sandbox survive a restart."""
    path = emulator.state_dir / f"{emulator.name}.sqlite" if emulator.state_dir else None
    fresh = path is None or not path.exists()
    db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
    for statement in ddl:
        db.execute(statement)
    if fresh:
        seed(db)
    db.commit()
    return db
