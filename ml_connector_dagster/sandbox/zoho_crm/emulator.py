"""Zoho CRM emulator (API v8): the accounts servers' refresh-token grant and the API domains of several data centres
on one port (`/accounts/<dc>/oauth/v2/token`, `/api/<dc>/crm/v8/...`, the contract's URL layout), an org per
configured data centre; records of Accounts and Contacts (read, search, insert, update, upsert, delete, deleted
records), metadata, API credits and concurrency caps, watch channels and their callbacks. Written from
crm_targets.md §2 and §4.2; Zoho's official Python SDK works against it unchanged (tests). Everything under `/_admin`
is the sandbox's own: records edited as a Zoho user would, credits, channels, callbacks and the request log."""

import asyncio
import json
from collections import deque
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.emulator import Emulator
from ml_connector_dagster.sandbox.zoho_crm import metadata, notify, scopes
from ml_connector_dagster.sandbox.zoho_crm.auth import OAuthError, Tokens
from ml_connector_dagster.sandbox.zoho_crm.errors import (
    ZohoError,
    invalid_data,
    invalid_module,
    invalid_token,
    invalid_url,
)
from ml_connector_dagster.sandbox.zoho_crm.limits import Concurrency, Credits
from ml_connector_dagster.sandbox.zoho_crm.org import API_USER, HUMAN_USER, Org
from ml_connector_dagster.sandbox.zoho_crm.reads import PageTokens, Reads
from ml_connector_dagster.sandbox.zoho_crm.schema import Module, module_named
from ml_connector_dagster.sandbox.zoho_crm.seed import seed
from ml_connector_dagster.sandbox.zoho_crm.settings import DATA_CENTRES, ZohoCrmSettings
from ml_connector_dagster.sandbox.zoho_crm.store import Store
from ml_connector_dagster.sandbox.zoho_crm.watch import Channels
from ml_connector_dagster.sandbox.zoho_crm.writes import Writes

__all__ = ["ZohoCrmEmulator", "ZohoCrmSettings"]

_TRIGGERS = {"workflow", "approval", "blueprint", "pathfinder", "orchestration"}
_FAULTS = {
    429: ("TOO_MANY_REQUESTS", "too many requests"),
    500: ("INTERNAL_ERROR", "Internal Server Error"),
    # Guess: what Zoho's front end sends while the service is unavailable.
    503: ("INTERNAL_ERROR", "service unavailable"),
}


class ZohoCrmEmulator(Emulator):
    name = "zoho_crm"
    Settings = ZohoCrmSettings
    settings: ZohoCrmSettings

    def __init__(self, *, prospects: int = 24, eu_prospects: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.store = Store(self.state_dir / "zoho_crm.sqlite" if self.state_dir else None)
        self.tokens = Tokens(self.clock.now, lambda: self.settings)
        self.credits = Credits(self.clock.now, lambda: self.settings.daily_credits)
        self.concurrency = Concurrency()
        self.reads = Reads(lambda: self.settings, PageTokens())
        self.notifier = notify.Notifier(lambda: self.settings)
        self.requests: deque[dict] = deque(maxlen=2000)
        self._orgs: dict[str, Org] = {}
        for dc, count in (("us", prospects), ("eu", eu_prospects)):
            if dc in self.settings.refresh_tokens:
                seed(self.org(dc), self._changed, count, self.seed)

    def org(self, dc: str) -> Org:
        if dc not in self._orgs:
            self._orgs[dc] = Org(dc, self.store, self.clock, lambda: self.settings)
        return self._orgs[dc]

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/accounts/{dc}/oauth/v2/token", self._token, methods=["POST"]),
            Route("/api/{dc}/crm/v8/{path:path}", self._api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/records/{dc}/{module}", self._admin_records, methods=["GET", "POST"]),
            Route("/records/{dc}/{module}/{record_id}", self._admin_record, methods=["GET", "PATCH", "DELETE"]),
            Route("/credits", self._admin_credits, methods=["GET"]),
            Route("/channels", self._admin_channels, methods=["GET"]),
            Route("/callbacks", self._admin_callbacks, methods=["GET"]),
            Route("/requests", self._admin_requests, methods=["GET", "DELETE"]),
            Route("/expire-tokens", self._admin_expire, methods=["POST"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        code, message = _FAULTS.get(status, ("INTERNAL_ERROR", "sandbox fault injection"))
        return JSONResponse(ZohoError(status, code, message).body(), status_code=status)

    # accounts server ---------------------------------------------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        dc = request.path_params["dc"]
        if dc not in DATA_CENTRES:
            return Response(status_code=404)
        # Zoho documents the parameters in the query string; a form body works too.
        form = {**dict(request.query_params), **dict(parse_qsl((await request.body()).decode()))}
        self.log_request(self.requests, request, dc=dc)
        try:
            return JSONResponse(self.tokens.refresh(dc, form, f"{_base(request)}/api/{dc}"))
        except OAuthError as error:
            status = 200 if self.settings.oauth_errors_with_200 and error.error != "Access Denied" else 400
            return JSONResponse(error.body(), status_code=status)

    # the API -----------------------------------------------------------------------------------------------------
    async def _api(self, request: Request) -> Response:
        dc = request.path_params["dc"]
        entry = self.log_request(self.requests, request, dc=dc)
        response = await self._answer(request, dc)
        entry["status"] = response.status_code
        return response

    async def _answer(self, request: Request, dc: str) -> Response:
        if dc not in DATA_CENTRES:
            return Response(status_code=404)
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = self.tokens.valid(value.strip(), dc) if scheme == "Zoho-oauthtoken" else None
        if token is None or dc not in self.settings.refresh_tokens:
            return _error(invalid_token())
        parts = [p for p in request.path_params["path"].split("/") if p]
        family, module_name = _family(parts)
        if not scopes.allowed(token.scopes, family, request.method, module_name):
            return _error(ZohoError(401, "OAUTH_SCOPE_MISMATCH", "Unauthorized"))
        heavy = (parts[-1:] == ["search"]) or request.method in ("POST", "PUT") and await _record_count(request) > 10
        # Zoho caps the calls in flight per app and user (§2.6), not per access token: every token one refresh token
        # (one app's grant for one user) issued counts together.
        grant = token.refresh_token
        with (
            self.concurrency.slot(grant, "all", self.settings.concurrency_limit) as admitted,
            self.concurrency.slot(grant, "heavy", self.settings.sub_concurrency_limit if heavy else 10**9) as sub,
        ):
            if not (admitted and sub):
                return _error(
                    ZohoError(
                        429,
                        "TOO_MANY_REQUESTS",
                        "too many requests",
                        {"concurrency_limit": self.settings.concurrency_limit},
                    )
                )
            if not self.credits.spend(dc, self._cost(request.method, parts)):
                return _error(
                    ZohoError(
                        self.settings.credits_exhausted_status,
                        self.settings.credits_exhausted_code,
                        "API credits for the last 24 hours are exhausted",
                        {"limit": self.settings.daily_credits},
                    )
                )
            if self.settings.request_seconds:
                await asyncio.sleep(self.settings.request_seconds)
            try:
                status, body = await self._route(request, self.org(dc), parts)
            except ZohoError as error:
                return _error(error)
        return Response(status_code=status) if body is None else JSONResponse(body, status_code=status)

    async def _route(self, request: Request, org: Org, parts: list[str]) -> tuple[int, dict | None]:
        method, params = request.method, dict(request.query_params)
        if parts == ["settings", "modules"] and method == "GET":
            return 200, metadata.modules(org)
        if parts == ["settings", "fields"] and method == "GET":
            return 200, metadata.fields(org, _module(params.get("module", "")))
        if parts == ["users"] and method == "GET":
            return 200, metadata.current_user(org)
        if parts == ["org"] and method == "GET":
            return 200, metadata.organization(org)
        if parts == ["actions", "watch"]:
            return await self._watch(request, org)
        if not parts or parts[0] in ("settings", "actions", "users", "org") or len(parts) > 2:
            raise invalid_url()
        module = _module(parts[0])
        rest = parts[1:]
        if not rest and method == "GET":
            return self.reads.records(org, module, params, request.headers.get("if-modified-since"))
        if rest == ["search"] and method == "GET":
            return self.reads.search(org, module, params)
        if rest == ["deleted"] and method == "GET":
            return self.reads.deleted(org, module, params)
        writes = Writes(org, module, API_USER, self._changed)
        if not rest and method == "POST":
            return _overall(writes.insert(await self._records(request)), 201)
        if rest == ["upsert"] and method == "POST":
            body = await _json(request)
            records = self._data(body)
            results = writes.upsert(records, _duplicate_check_fields(module, body))
            inserted = all(r.get("action") == "insert" for r in results)
            return _overall(results, 201 if inserted else 200)
        if not rest and method == "PUT":
            return _overall(writes.update(await self._records(request)), 200)
        if not rest and method == "DELETE":
            ids = [i for i in params.get("ids", "").split(",") if i]
            if not ids:
                raise ZohoError(
                    400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": "ids"}
                )
            if len(ids) > self.settings.max_write_records:
                raise _too_many("ids", self.settings.max_write_records)
            return _overall(writes.delete(ids), 200)
        if len(rest) == 1 and rest[0].isdigit():
            if method == "GET":
                return self.reads.record(org, module, rest[0], params)
            if method == "PUT":
                return _overall(writes.update(await self._records(request), rest[0]), 200)
            if method == "DELETE":
                return _overall(writes.delete([rest[0]]), 200)
        raise invalid_url()

    async def _watch(self, request: Request, org: Org) -> tuple[int, dict | None]:
        channels = Channels(org, self.settings.channel_max_expiry_seconds, self.settings.channel_default_expiry_seconds)
        method = request.method
        if method == "GET":
            listing = channels.listing()
            return (200, {"watch": listing}) if listing else (204, None)
        if method == "DELETE":
            ids = [i for i in request.query_params.get("channel_ids", "").split(",") if i]
            if not ids:
                raise ZohoError(
                    400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": "channel_ids"}
                )
            return _overall(channels.disable(ids), 200, key="watch")
        body = await _json(request)
        if method == "PATCH":
            return _overall(channels.update(body), 200, key="watch")
        api_domain = f"{_base(request)}/api/{org.dc}"
        return _overall(channels.enable(body, api_domain, replace=method == "PUT"), 200, key="watch")

    async def _records(self, request: Request) -> list:
        return self._data(await _json(request))

    def _data(self, body: dict) -> list:
        records = body.get("data")
        if not isinstance(records, list) or not records:
            raise ZohoError(
                400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "data", "json_path": "$.data"}
            )
        if len(records) > self.settings.max_write_records:
            raise _too_many("data", self.settings.max_write_records)
        trigger = body.get("trigger")
        if trigger is not None and (not isinstance(trigger, list) or not set(trigger) <= _TRIGGERS):
            raise invalid_data("trigger", "$.trigger", expected_data_type="jsonarray")
        return records

    def _cost(self, method: str, parts: list[str]) -> int:
        costs = self.settings.credit_costs
        kind = {"search": "search", "upsert": "upsert"}.get(parts[-1] if parts else "", "")
        kind = kind or ("watch" if parts[:1] == ["actions"] else "")
        kind = kind or {"GET": "read", "POST": "insert", "PUT": "update", "PATCH": "update", "DELETE": "delete"}[method]
        return costs.get(kind, costs.get("default", 1))

    def _changed(self, org: Org, module: Module, operation: str, ids, affected, values) -> None:
        channels = Channels(org, self.settings.channel_max_expiry_seconds, self.settings.channel_default_expiry_seconds)
        ms = int(self.clock.now().timestamp() * 1000)
        for channel in channels.live():
            if notify.subscribed(channel, module.api_name, operation):
                body = notify.callback(channel, module.api_name, operation, ids, affected, values, ms)
                self.notifier.send(channel, body)

    # inspection and edits (tests, admin) -------------------------------------------------------------------------
    def records(self, dc: str, module: str) -> list[dict]:
        org, spec = self.org(dc), _module(module)
        with self.store.lock:
            rows = list(org.records(spec).values())
        return [org.render(spec, row) for row in rows]

    def create(self, dc: str, module: str, records: list[dict]) -> list[dict]:
        """Records entered by a sales rep in the CRM: validated as API writes are; watchers are notified."""
        return Writes(self.org(dc), _module(module), HUMAN_USER, self._changed).insert(records)

    def edit(self, dc: str, module: str, record_id: str, changes: dict) -> dict:
        """A record changed by a sales rep: Modified_Time moves, Modified_By is the rep; watchers are notified."""
        return Writes(self.org(dc), _module(module), HUMAN_USER, self._changed).update([changes], record_id)[0]

    def delete(self, dc: str, module: str, record_id: str) -> dict:
        return Writes(self.org(dc), _module(module), HUMAN_USER, self._changed).delete([record_id])[0]

    async def _admin_records(self, request: Request) -> Response:
        dc, module = request.path_params["dc"], request.path_params["module"]
        try:
            if request.method == "GET":
                return JSONResponse({"records": self.records(dc, module)})
            body = await request.json()
            results = self.create(dc, module, body if isinstance(body, list) else [body])
            return JSONResponse({"data": results}, status_code=_overall(results, 201)[0])
        except (ZohoError, KeyError) as error:
            return _admin_error(error)

    async def _admin_record(self, request: Request) -> Response:
        dc, module, record_id = (request.path_params[k] for k in ("dc", "module", "record_id"))
        try:
            if request.method == "GET":
                rows = [r for r in self.records(dc, module) if r["id"] == record_id]
                return JSONResponse(rows[0]) if rows else JSONResponse({"detail": "no such record"}, status_code=404)
            result = (
                self.edit(dc, module, record_id, await request.json())
                if request.method == "PATCH"
                else (self.delete(dc, module, record_id))
            )
            return JSONResponse(result, status_code=200 if result["status"] == "success" else 400)
        except (ZohoError, KeyError) as error:
            return _admin_error(error)

    async def _admin_credits(self, request: Request) -> Response:
        limit = self.settings.daily_credits
        return JSONResponse(
            {dc: {"used": self.credits.used(dc), "limit": limit} for dc in self.settings.refresh_tokens}
        )

    async def _admin_channels(self, request: Request) -> Response:
        return JSONResponse({dc: self._channels(dc) for dc in self.settings.refresh_tokens})

    def _channels(self, dc: str) -> list[dict]:
        with self.store.lock:
            return list(self.store.items("channels", dc).values())

    async def _admin_callbacks(self, request: Request) -> Response:
        return JSONResponse({"callbacks": list(self.notifier.sent)})

    async def _admin_requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.requests.clear()
        return JSONResponse({"requests": list(self.requests)})

    async def _admin_expire(self, request: Request) -> Response:
        self.tokens.expire_all()
        return JSONResponse({"expired": True})


def _family(parts: list[str]) -> tuple[str, str | None]:
    head = parts[0] if parts else ""
    if head == "actions":
        return "notifications", None
    if head in ("settings", "users", "org"):
        return head, None
    return "modules", head


def _module(name: str) -> Module:
    module = module_named(name)
    if module is None:
        raise invalid_module(name)
    return module


def _duplicate_check_fields(module: Module, body: dict) -> list[str]:
    """The fields an upsert matches on, in order: as asked (only system duplicate-check or unique fields), else the
    module's system field, then its unique fields."""
    asked = body.get("duplicate_check_fields")
    allowed = [module.system_duplicate_field, *module.unique_fields()]
    if asked is None:
        return allowed
    if not isinstance(asked, list) or not asked:
        raise invalid_data("duplicate_check_fields", "$.duplicate_check_fields", expected_data_type="jsonarray")
    fields = []
    for index, name in enumerate(asked):
        declared = module.field_named(str(name))
        if declared not in allowed:
            raise invalid_data("duplicate_check_fields", f"$.duplicate_check_fields[{index}]", "invalid data")
        fields.append(declared)
    return fields


def _too_many(name: str, limit: int) -> ZohoError:
    # Guess: the wording of LIMIT_EXCEEDED for too many records (the sheet gives the code only).
    return ZohoError(
        400, "LIMIT_EXCEEDED", "the number of records exceeds the limit", {"limit": limit, "api_name": name}
    )


def _overall(results: list[dict], success: int, key: str = "data") -> tuple[int, dict]:
    """200/201 when every record succeeded, 207 for a mix, 400 when all failed (crm_targets.md §2.4)."""
    good = sum(r.get("status") == "success" for r in results)
    status = success if good == len(results) else 207 if good else 400
    return status, {key: results}


async def _json(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # Guess: a body that is not a JSON object.
        raise ZohoError(400, "INVALID_DATA", "body is not a valid JSON object", {"json_path": "$"})
    return body


async def _record_count(request: Request) -> int:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return 0
    return len(body.get("data") or []) if isinstance(body, dict) and isinstance(body.get("data"), list) else 0


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _error(error: ZohoError) -> Response:
    return JSONResponse(error.body(), status_code=error.status)


def _admin_error(error: Exception) -> Response:
    if isinstance(error, ZohoError):
        return JSONResponse(error.body(), status_code=error.status)
    return JSONResponse({"detail": f"unknown data centre {error}"}, status_code=404)
