"""Fault injection shared by every emulator: latency, planned error bursts, dropped and reset connections.

Faults are planned, not random, so a test says exactly which requests fail and the run is reproducible.
"""

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Callable
from typing import Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DROP = 0  # a plan with this status drops the connection mid-response instead of answering


class FaultPlan(BaseModel):
    status: int | None = Field(
        default=None,
        description="HTTP status to answer with (429, 500, 502, 503, 504), 0 to "
        "drop the connection, or None to let the request through (with the effects below)",
    )
    count: int = Field(default=1, ge=1, description="how many matching requests fail")
    retry_after: int | None = Field(default=None, ge=0, description="Retry-After seconds sent with the failure")
    path_contains: str = Field(default="", description="only requests whose path contains this text match")
    query_contains: str = Field(
        default="",
        description="only requests whose query string, percent-decoded, contains this text match, e.g. a day an "
        "OData `$filter` names, so that one partition's reads fail whichever runs go at once",
    )
    method: str | None = Field(default=None, description="only requests with this HTTP method match")
    skip: int = Field(default=0, ge=0, description="let this many matching requests through before failing")
    advance_clock_seconds: float = Field(
        default=0,
        ge=0,
        description="move the emulator's clock forward first, e.g. "
        "past a session or token lifetime, so it expires at an exact request",
    )
    drop_after_processing: bool = Field(
        default=False,
        description="let the emulator process the request, then drop "
        "the connection instead of answering (the write happened; the client "
        "cannot know)",
    )
    hold_seconds: float = Field(
        default=0,
        ge=0,
        description="receive the whole request, then hold it this long "
        "before processing it and answering, as a busy server does: a client "
        "whose timeout is shorter gives up, and the write still happens after",
    )
    reset: Literal["before_forward", "after_forward"] | None = Field(
        default=None,
        description="reset the TCP connection (RST) instead of answering, as a "
        "load balancer or firewall does: `before_forward` before the emulator "
        "sees the request (nothing happened), `after_forward` once it has "
        "processed it (the write happened; the client cannot know)",
    )


class FaultSettings(BaseModel):
    latency_ms: int = Field(default=0, ge=0)
    plans: list[FaultPlan] = Field(default_factory=list)


class Faults:
    """Thread-safe holder of the fault settings of one emulator; `take` consumes plans as requests match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency_ms = 0
        self._plans: list[FaultPlan] = []
        self.injected = 0

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.latency_ms = settings.latency_ms
            self._plans = [plan.model_copy() for plan in settings.plans]

    def add(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plans.append(plan.model_copy())

    def clear(self) -> None:
        self.configure(FaultSettings())

    def snapshot(self) -> FaultSettings:
        with self._lock:
            return FaultSettings(latency_ms=self.latency_ms, plans=[p.model_copy() for p in self._plans])

    def take(self, method: str, path: str, query: str = "") -> FaultPlan | None:
        with self._lock:
            for plan in self._plans:
                if plan.path_contains not in path or plan.query_contains not in query:
                    continue
                if plan.method and plan.method.upper() != method:
                    continue
                if plan.skip:
                    plan.skip -= 1
                    return None
                plan.count -= 1
                if plan.count == 0:
                    self._plans.remove(plan)
                self.injected += 1
                return plan.model_copy()
        return None


class DroppedConnection(Exception):
    """Raised inside the ASGI app after a partial response so the server closes the socket."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())

FaultRenderer = Callable[[int, int | None], Response]


async def drop_connection(send: Send) -> None:
    """Starts a response and cuts it short: the server closes the socket, the client sees a broken connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": True})
    raise DroppedConnection("sandbox fault: connection dropped")


async def _unanswered(message: Message) -> None:
    """The `send` of a request that is processed but whose answer never leaves the server."""


async def _reset(send: Send) -> None:
    """Aborts the connection with a TCP RST: the client reads ECONNRESET, not a response. ASGI has no message for
    that, so this reaches the socket through `send`, which uvicorn's protocols hand the app as a method of the
    request's cycle, holding its transport."""
    transport = send.__self__.transport
    transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let the server see the connection lost, so it does not answer the request with a 500 of its own.
    await asyncio.sleep(0)


async def _received(receive: Receive) -> Receive:
    """The request body read now, as a server has it once the client sent it: the app reads it from here later,
    whether or not the client is still connected (a disconnected client's body is otherwise gone)."""
    messages = []
    while not messages or (messages[-1]["type"] == "http.request" and messages[-1].get("more_body")):
        messages.append(await receive())

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


class FaultMiddleware:
    """Applies an emulator's faults to every request except its admin surface."""

    def __init__(
        self,
        app: ASGIApp,
        faults: Faults,
        render: FaultRenderer,
        advance_clock: Callable[[float], None] = lambda seconds: None,
    ):
        self.app = app
        self.faults = faults
        self.render = render
        self.advance_clock = advance_clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        plan = self.faults.take(scope["method"], scope["path"], unquote_plus(scope["query_string"].decode("latin-1")))
        if plan is None:
            await self.app(scope, receive, send)
            return
        if plan.advance_clock_seconds:
            self.advance_clock(plan.advance_clock_seconds)
        if plan.hold_seconds:
            receive = await _received(receive)
            await asyncio.sleep(plan.hold_seconds)
        if plan.drop_after_processing or plan.reset == "after_forward":
            await self.app(scope, receive, _unanswered)
        if plan.reset:
            await _reset(send)
            return
        if plan.drop_after_processing:
            await drop_connection(send)
        if plan.status is None:
            await self.app(scope, receive, send)
            return
        if plan.status == DROP:
            await drop_connection(send)
        response = self.render(plan.status, plan.retry_after)
        if plan.retry_after is not None:
            response.headers["Retry-After"] = str(plan.retry_after)
        await response(scope, receive, send)
