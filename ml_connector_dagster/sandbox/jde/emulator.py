"""JD Edwards EnterpriseOne AIS server emulator (erp_sources.md §3, §5.3): token requests bound to a device, session
time-to-live and inactivity timeouts on the emulator clock, 444 for a token it does not hold; the data service over
SQLite tables named by alias; next-page links over open result sets that expire; the connector's orchestrations.
Where the reference marks AIS behaviour unverified, the choice here says so."""

import json
import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.emulator import Emulator, EmulatorSettings, basic_credentials, seeded_tables
from ml_connector_dagster.sandbox.jde import dataservice, schema
from ml_connector_dagster.sandbox.jde.dataservice import RequestError, ResultSet
from ml_connector_dagster.sandbox.jde.orchestrations import OrchestrationError, Orchestrations
from ml_connector_dagster.sandbox.jde.seed import COUNTRIES, SeedSize, seed
from ml_connector_dagster.server_clock import ServerTimeZone

INVALID_TOKEN = 444
AIS_EXCEPTION = "com.oracle.e1.jdemf.JDERestServiceException"  # guess: the class AIS names is not documented


class JdeSettings(EmulatorSettings):
    users: dict[str, str] = Field(default={SANDBOX.jde_user: SANDBOX.jde_password}, description="JDE users")
    environments: list[str] = Field(default=[SANDBOX.jde_environment], description="environments users may sign in to")
    roles: list[str] = Field(default=[SANDBOX.jde_role], description="roles users may sign in with")
    session_time_to_live_minutes: float = Field(default=60, gt=0, description="AIS SessionTimeToLiveMinutes")
    session_inactivity_timeout_minutes: float = Field(
        default=30, gt=0, description="AIS SessionInactivityTimeoutMinutes"
    )
    result_set_timeout_seconds: float = Field(default=60, gt=0, description="HTML server resultSetTimeout")
    default_max_page_size: int = Field(default=100, ge=1, description="rows per page when maxPageSize is absent")
    date_literal: Literal["user", "julian", "yyyyMMdd"] = Field(
        default="user", description="the only date literal format conditions accept (user: MM/dd/yyyy)"
    )
    date_format: Literal["yyyyMMdd", "julian", "user"] = Field(
        default="yyyyMMdd", description="how date columns are rendered in rows"
    )
    unverified_operators: bool = Field(default=False, description="accept GREATER_EQUAL / LESS_EQUAL")
    empty_query_returns_nothing: bool = Field(default=False, description="the quirk of a browse without conditions")
    server_time_zone: ServerTimeZone = Field(default="UTC", description="zone of the server clock stamping UPMJ/UPMT")
    countries: list[str] = Field(default=list(COUNTRIES), description="UDC 00/CN")
    orchestrations: dict[str, str] = Field(
        default={
            "MLC_AddCustomer": "add_customer",
            "MLC_UpdateCustomer": "update_customer",
            "MLC_AddContact": "add_contact",
            "MLC_UpdateContact": "update_contact",
        },
        description="orchestration name → what it does",
    )
    unreadable_tables: list[str] = Field(
        default=[],
        description="tables the user's role may not read (Security Workbench table security): a data service on "
        "one is refused",
    )


@dataclass
class _Session:
    user: str
    environment: str
    role: str
    device: str
    issued: datetime
    used: datetime


class JdeEmulator(Emulator):
    name = "jde"
    Settings = JdeSettings
    settings: JdeSettings

    def __init__(
        self,
        *,
        customers: int = 150,
        vendors: int = 40,
        start_date: date = date(2026, 10, 1),
        days: int = 28,
        dormant: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        size = SeedSize(customers, vendors, start_date, days, dormant)
        self._db = seeded_tables(self, schema.ddl(), lambda db: seed(db, size, self.seed))
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._result_sets: dict[str, ResultSet] = {}
        self.tokens_issued = 0
        self.logouts = 0
        self.orchestration_calls: list[tuple[str, dict]] = []

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/jderest/v2/tokenrequest", self._token_request, methods=["POST"]),
            Route("/jderest/v2/tokenrequest/validate", self._validate, methods=["POST"]),
            Route("/jderest/v2/tokenrequest/logout", self._logout, methods=["POST"]),
            Route("/jderest/v2/defaultconfig", self._default_config, methods=["GET", "POST"]),
            Route("/jderest/v2/dataservice", self._dataservice, methods=["POST"]),
            Route("/jderest/v2/dataservice/next", self._next, methods=["GET", "POST"]),
            Route("/jderest/v3/orchestrator/{name}", self._orchestration, methods=["POST"]),
            Route("/jderest/v2/orchestrator/{name}", self._orchestration, methods=["POST"]),
            Route("/jderest/v3/open-api-catalog3/{name}", self._catalog, methods=["GET"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/tables/{table}", self._admin_rows, methods=["GET"]),
            Route("/tables/{table}/{key}", self._admin_row, methods=["GET", "PATCH"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        return _error(status, "The server is busy (sandbox fault injection)")

    # tokens -------------------------------------------------------------------------------------------------------
    async def _token_request(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        basic = basic_credentials(request.headers.get("authorization"))
        user, password = basic if basic else (body.get("username"), body.get("password"))
        environment = body.get("environment") or request.headers.get("jde-AIS-Auth-Environment")
        role = body.get("role") or request.headers.get("jde-AIS-Auth-Role") or self.settings.roles[0]
        device = body.get("deviceName") or request.headers.get("jde-AIS-Auth-Device") or _client_ip(request)
        environment = environment or self.settings.environments[0]
        known = {name.upper(): secret for name, secret in self.settings.users.items()}
        if not user or known.get(str(user).upper()) != password:
            return _error(403, "Authorization Failure: invalid user name or password")
        if environment not in self.settings.environments or role not in self.settings.roles:
            return _error(403, f"Authorization Failure: {user} may not sign in to {environment} with role {role}")
        token = "044" + secrets.token_urlsafe(72)
        now = self.clock.now()
        with self._lock:
            self._sessions[token] = _Session(str(user).upper(), environment, role, device, now, now)
            self.tokens_issued += 1
        return JSONResponse(
            {
                "username": str(user).upper(),
                "environment": environment,
                "role": role,
                "jasserver": "http://jas.sandbox:8080",
                "userInfo": {
                    "token": token,
                    "langPref": "  ",
                    "locale": "en",
                    "dateFormat": "MDE",
                    "dateSeperator": "/",
                    "simpleDateFormat": "MM/dd/yyyy",
                    "decimalFormat": ".",
                    "addressNumber": 2111,
                    "alphaName": "MLC Sync User",
                    "appsRelease": "E920",
                },
                "userAuthorized": False,
                "version": None,
                "poStringJSON": None,
                "altPoStringJSON": None,
                "aisSessionCookie": secrets.token_urlsafe(16),
            }
        )

    async def _validate(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        token = body.get("token") or request.headers.get("jde-AIS-Auth")
        session = self._session(token, touch=bool(body.get("touch")))
        return JSONResponse(
            {"isValidSession": session is not None, "message": "Valid session" if session else "Invalid token"}
        )

    async def _logout(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        token = body.get("token") or request.headers.get("jde-AIS-Auth")
        if self._session(token) is None:
            return _error(INVALID_TOKEN, "Invalid Token")
        with self._lock:
            self._sessions.pop(token, None)
            self.logouts += 1
        return JSONResponse({"message": "Logout successful"})

    async def _default_config(self, request: Request) -> Response:
        return JSONResponse(
            {
                "jasHost": "jas.sandbox",
                "jasPort": "8080",
                "defaultEnvironment": self.settings.environments[0],
                "defaultRole": self.settings.roles[0],
                "aisVersion": "9.2.8.3",
                "capabilityList": [
                    {"name": name, "shortDescription": name, "longDescription": name, "asOfRelease": "9.2.0.0"}
                    for name in ("dataservice", "orchestrator", "jdeloginv2")
                ],
                "requiredCapabilityMissing": False,
            }
        )

    def _session(self, token: str | None, *, device: str | None = None, touch: bool = True) -> _Session | None:
        """The live session of a token used from `device`; an expired one is dropped (AIS answers 444 for it)."""
        now = self.clock.now()
        with self._lock:
            session = self._sessions.get(token) if token else None
            if session is None:
                return None
            lived, idle = now - session.issued, now - session.used
            if lived > timedelta(minutes=self.settings.session_time_to_live_minutes) or idle > timedelta(
                minutes=self.settings.session_inactivity_timeout_minutes
            ):
                del self._sessions[token]
                return None
            if device is not None and device != session.device:
                return None  # guess: a token used from another device is as invalid as an unknown one
            if touch:
                session.used = now
            return session

    def _caller(self, request: Request, body: dict) -> _Session | Response:
        token = request.headers.get("jde-AIS-Auth") or body.get("token") or request.query_params.get("token")
        device = request.headers.get("jde-AIS-Auth-Device") or body.get("deviceName") or _client_ip(request)
        session = self._session(token, device=device)
        return session if session is not None else _error(INVALID_TOKEN, "Invalid Token")

    def active_sessions(self) -> int:
        return len(self._sessions)

    # data service -------------------------------------------------------------------------------------------------
    async def _dataservice(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        session = self._caller(request, body)
        if isinstance(session, Response):
            return session
        try:
            return self._browse(request, body)
        except RequestError as refused:
            return _error(500, str(refused))  # guess: AIS answers a data request it cannot run with 500

    def _browse(self, request: Request, body: dict) -> Response:
        table = body.get("targetName")
        if body.get("targetType", "table") != "table" or table not in schema.TABLES:
            raise RequestError(f"Invalid targetName '{table}' (targetType {body.get('targetType')})")
        if table in self.settings.unreadable_tables:
            # Guess: the words and status of a data request on a table the role may not see are not documented.
            raise RequestError(f"The user is not authorized to view table {table}")
        kind = body.get("dataServiceType", "BROWSE")
        if kind not in ("BROWSE", "COUNT"):
            raise RequestError(f"Unsupported dataServiceType '{kind}'")
        aliases = self._aliases(table, body.get("returnControlIDs"), required=kind == "BROWSE")
        with self._lock:
            rows = dataservice.select(
                self._db,
                table,
                aliases,
                body.get("query") or {},
                date_mode=self.settings.date_literal,
                unverified_operators=self.settings.unverified_operators,
                empty_query_returns_nothing=self.settings.empty_query_returns_nothing,
            )
        if kind == "COUNT":
            # Guess: the shape of a COUNT answer is not in the reference.
            return JSONResponse({_form(table): {"title": _title(table), "data": {"totalRows": len(rows)}}})
        size = _page_size(body.get("maxPageSize"), self.settings.default_max_page_size, len(rows))
        result = ResultSet(table, aliases, rows, size, touched=self.clock.now())
        next_pages = str(body.get("enableNextPageProcessing", "false")).lower() == "true"
        return self._page(request, result, keep=next_pages)

    def _aliases(self, table: str, controls: object, *, required: bool) -> list[str]:
        if not controls:
            if required:
                raise RequestError("returnControlIDs is required for a BROWSE")
            return list(schema.key(table))
        aliases = []
        for control in str(controls).split("|"):
            prefix, _, alias = control.partition(".")
            if prefix != table or alias not in schema.columns(table):
                raise RequestError(f"Invalid returnControlIDs entry '{control}' for {table}")
            aliases.append(alias)
        return list(dict.fromkeys(aliases))

    def _page(self, request: Request, result: ResultSet, *, keep: bool) -> Response:
        page = result.rows[result.position : result.position + result.page_size]
        result.position += len(page)
        more = result.position < len(result.rows)
        answer: dict = {
            _form(result.table): {
                "title": _title(result.table),
                "data": {
                    "gridData": {
                        "columns": {f"{result.table}_{a}": schema.columns(result.table)[a][1] for a in result.aliases},
                        "rowset": [dataservice.render(result.table, row, self.settings.date_format) for row in page],
                        "summary": {"records": len(page), "moreRecords": more},
                    }
                },
            }
        }
        with self._lock:
            if more and keep:
                self._result_sets[result.rid] = result
                query = urlencode(
                    {
                        "stackId": 1,
                        "stateId": 1,
                        "rid": result.rid,
                        "fullGridId": "",
                        "formOID": result.table,
                        "outputType": "GRID_DATA",
                        "returnControlIDs": "|".join(f"{result.table}.{a}" for a in result.aliases),
                    }
                )
                answer["links"] = [{"rel": "next", "href": f"{_base(request)}/jderest/v2/dataservice/next?{query}"}]
            else:
                self._result_sets.pop(result.rid, None)
        return JSONResponse(answer)

    async def _next(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _error(400, "Bad Request - Invalid JSON Input")
        session = self._caller(request, body if isinstance(body, dict) else {})
        if isinstance(session, Response):
            return session
        rid = request.query_params.get("rid") or (body or {}).get("rid")
        now = self.clock.now()
        with self._lock:
            result = self._result_sets.get(rid)
            if result is not None and now - result.touched > timedelta(
                seconds=self.settings.result_set_timeout_seconds
            ):
                del self._result_sets[rid]
                result = None
        if result is None:
            return _error(500, "The requested result set is no longer available; the query must be run again")
        result.touched = now
        return self._page(request, result, keep=True)

    # orchestrations -----------------------------------------------------------------------------------------------
    async def _catalog(self, request: Request) -> Response:
        """`GET /jderest/v3/open-api-catalog3/<name>`: the orchestration's OpenAPI 3 description (erp_sources.md §3.3),
        reduced to its path and inputs. Guess: an orchestration that is not there (or not shared with the user)
        answers 404, as running it does here."""
        session = self._caller(request, {})
        if isinstance(session, Response):
            return session
        name = request.path_params["name"]
        if name not in self.settings.orchestrations:
            return _error(404, f"Orchestration {name} was not found")
        return JSONResponse(
            {
                "openapi": "3.0.1",
                "info": {"title": name, "version": "1.0"},
                "paths": {f"/v3/orchestrator/{name}": {"post": {"operationId": name}}},
            }
        )

    async def _orchestration(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        session = self._caller(request, body)
        if isinstance(session, Response):
            return session
        name = request.path_params["name"]
        if name not in self.settings.orchestrations:
            # Guess: the status of an unknown orchestration is not documented.
            return _error(404, f"Orchestration {name} was not found")
        inputs = {item["name"]: item.get("value") for item in body["inputs"]} if "inputs" in body else dict(body)
        inputs.pop("token", None)
        inputs.pop("deviceName", None)
        started = self.clock.now()
        runner = Orchestrations(self._db, self.settings.countries, self.settings.orchestrations)
        with self._lock:
            self.orchestration_calls.append((name, inputs))
            try:
                outputs = runner.run(name, inputs, self._stamp(session.user))
            except OrchestrationError as refused:
                self._db.rollback()
                return _error(500, str(refused), type_="FormRequest")
            self._db.commit()
        return JSONResponse(
            {
                **outputs,
                "jde__status": "SUCCESS",
                "jde__simpleMessage": f"{name} completed",
                "jde__startTimestamp": started.isoformat(),
                "jde__endTimestamp": self.clock.now().isoformat(),
                "jde__serverExecutionSeconds": 0.01,
            }
        )

    def _stamp(self, user: str) -> dict:
        local = self.clock.now().astimezone(ZoneInfo(self.settings.server_time_zone))
        return {
            "UPMJ": dataservice.julian(local.date()),
            "UPMT": local.hour * 10000 + local.minute * 100 + local.second,
            "USER": user[:10],
        }

    # source edits and inspection ----------------------------------------------------------------------------------
    def rows(self, table: str, **where) -> list[dict]:
        if table not in schema.TABLES:
            raise LookupError(f"unknown table {table!r}; known: {sorted(schema.TABLES)}")
        for column in where:
            if column not in schema.columns(table):
                raise LookupError(f"{table} has no column {column!r}")
        clause = " AND ".join(f'"{column}" = ?' for column in where) or "1 = 1"
        with self._lock:
            cursor = self._db.execute(f"SELECT * FROM {table} WHERE {clause}", tuple(where.values()))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def row(self, table: str, key: str) -> dict:
        """One row by its key, the key's parts joined by `.` (`4001`, `4001.1`, `4001.00001`)."""
        found = self.rows(table, **_key(table, key))
        if not found:
            raise LookupError(f"no {table} row with key {key}")
        return found[0]

    def update_row(self, table: str, key: str, changes: dict) -> dict:
        """Edits one row as a JDE user would: the change stamp (UPMJ, UPMT, USER where the table has it) is now,
        unless the changes set it, as a load by SQL or a conversion program does (JDE's numeric date columns take any
        number, a CYYDDD of day 400 too)."""
        where = _key(table, key)
        columns = schema.columns(table)
        for column in changes:
            if column not in columns or column in where:
                raise ValueError(f"{column!r} is not an editable column of {table}")
        stamp = {k: v for k, v in self._stamp("JDE").items() if k in columns}
        values = {**stamp, **changes}
        assignments = ", ".join(f'"{column}" = ?' for column in values)
        clause = " AND ".join(f'"{column}" = ?' for column in where)
        with self._lock:
            updated = self._db.execute(
                f"UPDATE {table} SET {assignments} WHERE {clause}", (*values.values(), *where.values())
            ).rowcount
            self._db.commit()
        if not updated:
            raise LookupError(f"no {table} row with key {key}")
        return self.row(table, key)

    async def _admin_rows(self, request: Request) -> Response:
        try:
            return JSONResponse({"rows": self.rows(request.path_params["table"], **dict(request.query_params))})
        except LookupError as error:
            return JSONResponse({"detail": str(error)}, status_code=404)

    async def _admin_row(self, request: Request) -> Response:
        table, key = request.path_params["table"], request.path_params["key"]
        try:
            if request.method == "GET":
                return JSONResponse(self.row(table, key))
            changes = await request.json()
            if not isinstance(changes, dict) or not changes:
                raise ValueError("send a JSON object of alias: value")
            return JSONResponse(self.update_row(table, key, changes))
        except LookupError as error:
            return JSONResponse({"detail": str(error)}, status_code=404)
        except ValueError as error:
            return JSONResponse({"detail": str(error)}, status_code=422)


def _key(table: str, key: str) -> dict:
    if table not in schema.TABLES:
        raise LookupError(f"unknown table {table!r}; known: {sorted(schema.TABLES)}")
    names = schema.key(table)
    parts = key.split(".")
    if len(parts) != len(names):
        raise LookupError(f"{table} is keyed by {'.'.join(names)}")
    kinds = schema.columns(table)
    return {
        name: int(part) if kinds[name][0] in "NDT" and part.isdigit() else part
        for name, part in zip(names, parts, strict=True)
    }


def _page_size(value: object, default: int, total: int) -> int:
    if value is None:
        return default
    if str(value).strip().lower() == "no max":
        return max(total, 1)
    try:
        size = int(str(value))
    except ValueError:
        raise RequestError(f"Invalid maxPageSize '{value}'") from None
    if size < 1:
        raise RequestError(f"Invalid maxPageSize '{value}'")
    return size


async def _json_body(request: Request) -> dict | Response:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return _error(415, "Invalid Content-Type Header - Must use application/json")
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _error(400, "Bad Request - Invalid JSON Input")
    return body


def _error(status: int, message: str, *, type_: str = "AIS") -> Response:
    """A ServiceErrorResponse (erp_sources.md §3.1)."""
    return JSONResponse(
        {
            "message": message,
            "exception": AIS_EXCEPTION,
            "timeStamp": datetime.now().isoformat(timespec="milliseconds"),
            "status": "ERROR",
            "type": type_,
            "userDefinedErrorText": "",
        },
        status_code=status,
    )


def _form(table: str) -> str:
    return f"fs_DATABROWSE_{table}"


def _title(table: str) -> str:
    return f"Data Browser - {table} [{schema.TABLES[table][0]}]"


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
