"""The webhook receiver (`ml-connector webhooks`): authenticate each delivery, refuse with a 4xx a body that is not
an event the ledger can keep (oversize, not strict JSON, outside the vendor's documented types, a value the ledger
refuses), write the event to the ledger's inbox, and only then acknowledge, so an acknowledged event is never lost.
503 means only that the store could not be reached in time: the sender retries, and its retry can succeed, whereas
a permanently bad event answered 503 would be retried for ever.

One route per source, `POST /webhooks/<source>`. A source is enabled by configuring its key; how the key travels is
the source's convention: F&O HTTPS endpoints embed it in the URL as `?code=` (microsoft.md §3.9), and a header
`x-mlc-key` is accepted too for senders that can set headers; Zoho CRM puts its channel token in the body
(crm_targets.md §2.7), and Procore sends back the `Authorization: Bearer <key>` header its hook was registered with
(§3.10): for those two that is the only place the key is looked for. So the body is read (within the size limit) and
parsed as JSON before the key is checked, and only an authenticated body is taken for an event.

The ledger is written from a worker thread, never on the event loop: a slow or locked ledger (SQLite waits up to 30 s
for a lock) holds that delivery only, while /health and the other deliveries are answered. A delivery not stored
within the deadline gets 503 and its sender's retry delivers it again; if the write lands after the 503, the retry
finds it stored and is acknowledged without a second copy.
"""

import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anyio
import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ml_connector_dagster.events import body as json_body
from ml_connector_dagster.events import dynamics_fo, procore, zoho_crm
from ml_connector_dagster.events.envelope import BadEvent, Event
from ml_connector_dagster.ledger import Ledger, UnstorableValue
from ml_connector_dagster.redaction import register_secret
from ml_connector_dagster.sandbox.credentials import SANDBOX

MAX_BODY_BYTES = 256 * 1024  # F&O business events stay far below; Dataverse webhooks cap at 256 KB too
# Answer well inside the sender's own timeout, so it sees our 503 rather than a timeout of its own. F&O documents none
# for an HTTPS endpoint (microsoft.md §3.9: it retries 3 times, 1 s apart, then logs the event for a resend); with
# the Power Platform integration its events reach us as a Dataverse webhook, which gives up after 60 s (§2.12).
STORE_DEADLINE_SECONDS = 5.0
PARSERS: dict[str, Callable[[object], list[Event]]] = {
    "dynamics_fo": dynamics_fo.parse,
    "zoho_crm": zoho_crm.parse,
    "procore": procore.parse,
}
# Sources whose key travels in the body: how to find it there.
KEYS_IN_BODY: dict[str, Callable[[object], str | None]] = {"zoho_crm": zoho_crm.sent_token}
# Sources whose key travels in a header of their own: how to find it there.
KEYS_IN_HEADERS: dict[str, Callable[[Headers], str | None]] = {
    "procore": lambda headers: procore.sent_key(headers.get("authorization"))
}
# The sandbox keys of their own; every other source's is SANDBOX.webhook_key.
SANDBOX_KEYS = {"zoho_crm": SANDBOX.zoho_webhook_token, "procore": SANDBOX.procore_webhook_key}


@dataclass(frozen=True)
class SourceAuth:
    source: str
    key: str

    def accepts(self, request: Request, body: object) -> bool:
        in_body, in_headers = KEYS_IN_BODY.get(self.source), KEYS_IN_HEADERS.get(self.source)
        if in_body:
            sent = in_body(body)
        elif in_headers:
            sent = in_headers(request.headers)
        else:
            sent = request.query_params.get("code") or request.headers.get("x-mlc-key")
        return hmac.compare_digest((sent or "").encode(), self.key.encode())


class _TooLarge(Exception):
    pass


def configured_sources(profile: str, stored: Mapping[str, str] | None = None) -> list[SourceAuth]:
    """`<SOURCE>_WEBHOOK_KEY` (e.g. DYNAMICS_FO_WEBHOOK_KEY, ZOHO_CRM_WEBHOOK_KEY, PROCORE_WEBHOOK_KEY), else the
    key `stored` for the source (`ml-connector connect`), enables a source; the sandbox has fixed keys."""
    stored = stored or {}
    keys = {source: os.environ.get(f"{source.upper()}_WEBHOOK_KEY") or stored.get(source) for source in PARSERS}
    if profile == "sandbox":
        keys = {source: key or SANDBOX_KEYS.get(source, SANDBOX.webhook_key) for source, key in keys.items()}
    return [SourceAuth(source, key) for source, key in keys.items() if key]


def build_app(
    ledger: Ledger,
    sources: list[SourceAuth],
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    store_deadline_seconds: float = STORE_DEADLINE_SECONDS,
) -> Starlette:
    for auth in sources:
        if auth.source not in PARSERS:
            raise ValueError(f"webhooks: no receiver for source {auth.source!r}; known: {sorted(PARSERS)}")
        register_secret(auth.key)
    by_source = {auth.source: auth for auth in sources}

    async def receive(request: Request) -> JSONResponse:
        source = request.path_params["source"]
        auth = by_source.get(source)
        if auth is None:
            return _error(404, f"no webhook source {source!r} is configured")
        if not json_body.is_json(request.headers.get("content-type")):
            return _error(415, f"send {json_body.MEDIA_TYPE}")
        try:
            body = json_body.parse(await _read(request, max_body_bytes))
        except _TooLarge:
            return _error(413, f"body larger than {max_body_bytes} bytes")
        except json_body.NotJson as bad:
            return _error(400, str(bad))
        if not auth.accepts(request, body):
            return _error(401, "missing or wrong key")
        try:
            events = PARSERS[source](body)
        except BadEvent as bad:
            return _error(422, str(bad))

        def store() -> list[bool]:
            return [ledger.inbox_put(source, event.dedup_key, event.payload) for event in events]

        try:
            with anyio.fail_after(store_deadline_seconds):
                # A thread cannot be stopped: past the deadline it is left to finish (or fail) on its own.
                stored = await anyio.to_thread.run_sync(store, abandon_on_cancel=True)
        except UnstorableValue as bad:  # a retry would be refused alike: only a 4xx stops the sender retrying
            return _error(422, str(bad))
        except (SQLAlchemyError, TimeoutError):  # not stored, so not acknowledged: the sender's retry delivers it again
            return _error(503, "could not store the event; retry later")
        return JSONResponse({"received": len(events), "new": sum(stored)}, status_code=200)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"sources": sorted(by_source)})

    return Starlette(
        routes=[Route("/webhooks/{source}", receive, methods=["POST"]), Route("/health", health, methods=["GET"])]
    )


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge
    return bytes(body)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
