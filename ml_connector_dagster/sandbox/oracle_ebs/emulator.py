"""Oracle EBS R12.2 Integrated SOA Gateway emulator serving the connector's service (XXMLC_SYNC_PKG): its read
methods, and POST_JOURNALS, which imports GL journals through Journal Import.

ISG's behaviour follows erp_sources.md §1: the login service answers the session token and the name of the cookie to
send it in; calls authenticate with that cookie or with HTTP Basic; the RESTHeader carries the application context
(Org_Id scopes the operating-unit-striped rows; the responsibility decides whether journals may be written); OUT
parameters come back as strings in `OutputParameters`; faults as `ISGServiceFault`. Where the reference marks ISG
behaviour as unverified, the choice here says so.
"""

import json
import secrets
import sqlite3
import threading
from datetime import date, datetime, timedelta

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.emulator import Emulator, EmulatorSettings, basic_credentials, seeded_tables
from ml_connector_dagster.sandbox.faults import drop_connection
from ml_connector_dagster.sandbox.oracle_ebs import digest, journals, procedures, schema, seed_purchasing
from ml_connector_dagster.sandbox.oracle_ebs.journals import CLOSING_STATUSES, OPEN_STATUSES
from ml_connector_dagster.sandbox.oracle_ebs.seed import ORG_OF_HEADER, OTHER_ORG, SeedSize, seed
from ml_connector_dagster.sandbox.oracle_ebs.seed_ledger import new_combination

FAULT_NAMESPACE = "http://xmlns.oracle.com/isg/servicefault"
METHODS = frozenset({*procedures.PROCEDURES, *journals.METHODS, digest.METHOD})
INTEGRATION_USER_ID = 1318  # FND_USER.USER_ID of MLC_SYNC: the who-columns of what it writes


class OracleEbsSettings(EmulatorSettings):
    users: dict[str, str] = Field(
        default={SANDBOX.ebs_user: SANDBOX.ebs_password}, description="FND_USER names and passwords"
    )
    granted_users: list[str] = Field(default=[SANDBOX.ebs_user], description="users granted the service")
    service_alias: str = Field(default="xxmlc_sync", description="alias the service was deployed under")
    session_cookie_name: str = Field(default="EBSDB", description="unverified: reportedly the database SID")
    session_ttl_seconds: int = Field(default=1800, ge=1, description="ICX: Session Timeout (idle)")
    security_profile_units: list[int] = Field(
        default=[ORG_OF_HEADER, OTHER_ORG],
        description="operating units the read responsibility's MO: Security Profile holds: an Org_Id outside them "
        "is refused (X_RETURN_STATUS E) by every read method",
    )
    undeployed_methods: list[str] = Field(
        default=[],
        description="methods left out when the service was deployed (e.g. an instance on an older package version): "
        "they answer ISG_INVALID_FUNCTION",
    )
    ebs_version: str = "12.2.10"
    journal_responsibilities: dict[str, str] = Field(
        default={"GENERAL_LEDGER_SUPER_USER": "SQLGL"},
        description="General Ledger responsibilities (key: application) GET_JOURNALS and POST_JOURNALS run "
        "under; any other answers X_RETURN_STATUS E",
    )
    lose_answer_after_commit: int = Field(
        default=0,
        ge=0,
        description="POST_JOURNALS calls (true: one) whose journals are committed and whose answer is then lost: "
        "the connection drops instead, as when the network fails between the ledger write and the reply",
    )


class OracleEbsEmulator(Emulator):
    name = "oracle_ebs"
    Settings = OracleEbsSettings
    settings: OracleEbsSettings

    def __init__(
        self,
        *,
        parties: int = 3000,
        vendors: int = 400,
        start_date: date = date(2026, 10, 1),
        days: int = 28,
        dormant: int = 0,
        purchase_orders: int = seed_purchasing.PURCHASE_ORDERS,
        **kwargs,
    ):
        super().__init__(**kwargs)
        size = SeedSize(parties, vendors, start_date, days, dormant)
        self._db = seeded_tables(self, schema.ddl(), lambda db: seed(db, size, self.seed))
        seed_purchasing.seed_if_new(self._db, start_date, days, self.seed, purchase_orders)
        self._lock = threading.Lock()
        self.windows = procedures.WindowOrders()
        self._sessions: dict[str, datetime] = {}
        self.sessions_opened = 0
        self.login_attempts = 0  # refused ones too: what EBS counts towards locking the account

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/webservices/rest/login", self._login, methods=["GET"]),
            Route("/webservices/rest/logout", self._logout, methods=["GET"]),
            Route("/webservices/rest/{alias}/{method}/", self._invoke, methods=["POST"]),
            Route("/webservices/rest/{alias}/{method}", self._invoke, methods=["POST"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/tables/{table}", self._admin_rows, methods=["GET"]),
            Route("/tables/{table}", self._admin_insert, methods=["POST"]),
            Route("/tables/{table}/{pk}", self._admin_update, methods=["PATCH"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        return _fault(
            status,
            "ISG_SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable (sandbox fault injection).",
            "Retry the request later.",
        )

    # authentication ----------------------------------------------------------------------------------------------
    async def _login(self, request: Request) -> Response:
        with self._lock:
            self.login_attempts += 1
        user = self._basic_user(request)
        if user is None:
            return _unauthorized()
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[token] = self.clock.now()
            self.sessions_opened += 1
        cookie = self.settings.session_cookie_name
        body = {
            "response": {
                "data": {
                    "accessTokenName": cookie,
                    "accessToken": token,
                    "ebsVersion": self.settings.ebs_version,
                    "userName": user,
                }
            }
        }
        return JSONResponse(body, headers={"Set-Cookie": f"{cookie}={token}; Path=/; HttpOnly"})

    async def _logout(self, request: Request) -> Response:
        token = request.cookies.get(self.settings.session_cookie_name)
        with self._lock:
            self._sessions.pop(token, None)
        return JSONResponse({"response": {"data": {"status": "logged out"}}})

    def _basic_user(self, request: Request) -> str | None:
        credentials = basic_credentials(request.headers.get("authorization"))
        if credentials is None or self.settings.users.get(credentials[0].upper()) != credentials[1]:
            return None
        return credentials[0]

    def _session_user(self, request: Request) -> str | None:
        token = request.cookies.get(self.settings.session_cookie_name)
        now = self.clock.now()
        with self._lock:
            last_used = self._sessions.get(token) if token else None
            if last_used is None:
                return None
            if now - last_used > timedelta(seconds=self.settings.session_ttl_seconds):
                del self._sessions[token]
                return None
            self._sessions[token] = now
        return SANDBOX.ebs_user

    def active_sessions(self) -> int:
        return len(self._sessions)

    # the service -------------------------------------------------------------------------------------------------
    async def _invoke(self, request: Request) -> Response:
        user = self._session_user(request) or self._basic_user(request)
        if user is None:
            return _unauthorized()
        alias, method = request.path_params["alias"], request.path_params["method"].upper()
        if alias != self.settings.service_alias:
            return _fault(
                404,
                "ISG_INVALID_ALIAS",
                f"No service is deployed with the alias '{alias}'.",
                "Check the service alias in the Integration Repository.",
                alias,
                method,
            )
        if method not in METHODS or method in self.settings.undeployed_methods:
            return _fault(
                404,
                "ISG_INVALID_FUNCTION",
                f"The method '{method}' is not deployed for service '{alias}'.",
                "Deploy the method from the Integration Repository.",
                alias,
                method,
            )
        if user.upper() not in {u.upper() for u in self.settings.granted_users}:
            # Unverified: the HTTP status of a missing grant; the code is the one seen in the field.
            return _fault(
                403,
                "ISG_SERVICE_AUTH_FAILURE",
                f"User '{user}' is not authorized to execute the service operation {method}.",
                "Create a grant for the user.",
                alias,
                method,
            )
        if not request.headers.get("content-type", "").startswith("application/json"):
            return _fault(
                415,
                "ISG_UNSUPPORTED_MEDIA_TYPE",
                "The request content type must be application/json or application/xml.",
                "Send Content-Type: application/json.",
                alias,
                method,
            )
        try:
            header, params = _envelope(json.loads(await request.body()))
        except (ValueError, AttributeError):
            return _fault(
                400,
                "ISG_INVALID_INPUT",
                "The request body is not a valid JSON document for this operation.",
                'Send {"<METHOD>_Input": {"RESTHeader": {...}, "InputParameters": {...}}}.',
                alias,
                method,
            )
        org_id = header.get("Org_Id") or header.get("ORG_ID")
        output = {
            "@xmlns": f"http://xmlns.oracle.com/apps/ar/rest/{alias}/{method.lower()}/",
            "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        }
        if method == "POST_JOURNALS":
            return self._post_journals(header, params, output)
        try:
            if org_id is not None and not str(org_id).isdigit():
                raise procedures.InputError(f"Org_Id {org_id!r} is not an operating unit id")
            if org_id is not None and int(org_id) not in self.settings.security_profile_units:
                # The package sets the MOAC context from Org_Id (docs/operators/oracle_ebs.md): a unit outside the
                # responsibility's security profile fails every call, naming it.
                raise procedures.InputError(
                    f"operating unit {org_id} is not in the security profile of responsibility "
                    f"{header.get('Responsibility')}"
                )
            if method == "GET_JOURNALS":
                self._general_ledger(header, method)
            if method == digest.METHOD:
                with self._lock:
                    counted = digest.window_digest(
                        self._db, params, org_id=str(org_id) if org_id else None, now=self.clock.now()
                    )
                output.update(counted, X_RETURN_STATUS="S", X_MSG_COUNT="0", X_MSG_DATA=None)
                return JSONResponse({"OutputParameters": output})
            with self._lock:
                if method == "GET_JOURNALS":
                    page = journals.read(self._db, params)
                else:
                    page = procedures.run(
                        self._db,
                        method,
                        params,
                        org_id=str(org_id) if org_id else None,
                        now=self.clock.now(),
                        windows=self.windows,
                    )
        except procedures.InputError as error:
            output.update(X_ROWS=None, X_HAS_MORE="N", **_refused(error))
            return JSONResponse({"OutputParameters": output})
        # Unverified how ISG renders a one-row table; a bare object is the harder case for clients, so it is used.
        output.update(
            X_ROWS=journals.one_or_many(page.rows, "X_ROWS_ITEM"),
            X_HAS_MORE="Y" if page.has_more else "N",
            X_RETURN_STATUS="S",
            X_MSG_COUNT="0",
            X_MSG_DATA=None,
        )
        return JSONResponse({"OutputParameters": output})

    def _general_ledger(self, header: dict, method: str) -> None:
        """The journal methods run under a General Ledger responsibility (docs/contributors/
        oracle_ebs_service_contract.md): the package refuses any other."""
        responsibility, application = header.get("Responsibility"), header.get("RespApplication")
        if self.settings.journal_responsibilities.get(str(responsibility)) != application:
            raise procedures.InputError(
                f"{method} needs a General Ledger responsibility "
                f"({', '.join(f'{k} ({v})' for k, v in self.settings.journal_responsibilities.items())}); "
                f"the RESTHeader named {responsibility or 'none'} ({application or 'no application'})"
            )

    def _post_journals(self, header: dict, params: dict, output: dict) -> Response:
        """The package's one write. ISG initialises the session with the RESTHeader's responsibility, and the
        package refuses the call under one that is not General Ledger's."""
        try:
            self._general_ledger(header, "POST_JOURNALS")
            with self._lock:
                results = journals.post(self._db, params, now=self.clock.now(), user_id=INTEGRATION_USER_ID)
        except procedures.InputError as error:
            output.update(X_RESULTS=None, **_refused(error))
            return JSONResponse({"OutputParameters": output})
        lose = self.settings.lose_answer_after_commit
        if lose:
            self.settings = self.settings.model_copy(update={"lose_answer_after_commit": lose - 1})
            return _LostAnswer()
        output.update(
            X_RESULTS=journals.one_or_many(results, "X_RESULTS_ITEM"),
            X_RETURN_STATUS="S",
            X_MSG_COUNT="0",
            X_MSG_DATA=None,
        )
        return JSONResponse({"OutputParameters": output})

    # source edits and inspection ---------------------------------------------------------------------------------
    def rows(self, table: str, **where) -> list[dict]:
        name = _table(table)
        for column in where:
            _column(self._db, name, column)
        clause = " AND ".join(f"{column} = ?" for column in where) or "1 = 1"
        with self._lock:
            cursor = self._db.execute(f"SELECT * FROM {name} WHERE {clause}", tuple(where.values()))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def update_row(self, table: str, pk: str, changes: dict) -> dict:
        """Edits one row (both rows of a relationship) as a user would in EBS: the change stamp becomes now."""
        name = _table(table)
        key = _key(name)
        for column in changes:
            _column(self._db, name, column)
            if column == key:
                raise ValueError(f"{key} is the primary key of {name} and cannot change")
        columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({name})")}
        values = dict(changes, LAST_UPDATE_DATE=self._now())
        assignments = [f"{column} = :{column}" for column in values]
        if "OBJECT_VERSION_NUMBER" in columns and "OBJECT_VERSION_NUMBER" not in changes:
            assignments.append("OBJECT_VERSION_NUMBER = COALESCE(OBJECT_VERSION_NUMBER, 0) + 1")
        with self._lock:
            updated = self._db.execute(
                f"UPDATE {name} SET {', '.join(assignments)} WHERE {key} = :_pk", {**values, "_pk": pk}
            ).rowcount
            self._db.commit()
        if not updated:
            raise LookupError(f"no {name} row with {key} = {pk}")
        return self.rows(name, **{key: int(pk) if str(pk).isdigit() else pk})[0]

    def insert_row(self, table: str, values: dict) -> dict:
        """Creates one row as a user would in EBS's forms: the next id when none is given, created and changed now.
        Tables without a key of their own (GL_DAILY_RATES) take the row as given.
        A code combination gets what the chart gives a new one (enabled, detail posting allowed, its account type),
        as an administrator creates it in GL."""
        name = _table(table)
        key = schema.primary_key(name)
        for column in values:
            _column(self._db, name, column)
        columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({name})")}
        row = new_combination(dict(values)) if name == "GL_CODE_COMBINATIONS" else dict(values)
        row.update({stamp: self._now() for stamp in ("CREATION_DATE", "LAST_UPDATE_DATE") if stamp in columns})
        row.update({column: values[column] for column in ("CREATION_DATE", "LAST_UPDATE_DATE") if column in values})
        with self._lock:
            if key is not None and key.endswith("_ID") and key not in row:
                row[key] = self._db.execute(f"SELECT COALESCE(MAX({key}), 0) + 1 FROM {name}").fetchone()[0]
            self._db.execute(
                f"INSERT INTO {name} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
            )
            self._db.commit()
        return self.rows(name, **{key: row[key]})[0] if key is not None else row

    def set_period_status(self, period_name: str, closing_status: str) -> dict:
        """Opens or closes a General Ledger period of the ledger, as Open and Close Periods does: O open, F
        future-entry, C closed, P permanently closed, N never opened."""
        if closing_status not in {**OPEN_STATUSES, **CLOSING_STATUSES}:
            raise ValueError(f"CLOSING_STATUS {closing_status!r} is none of O, F, C, P, N, W")
        return self.update_row("GL_PERIOD_STATUSES", period_name, {"CLOSING_STATUS": closing_status})

    def _now(self) -> str:
        return self.clock.now().strftime("%Y-%m-%d %H:%M:%S")

    async def _admin_rows(self, request: Request) -> Response:
        try:
            return JSONResponse({"rows": self.rows(request.path_params["table"], **dict(request.query_params))})
        except ValueError as error:
            return JSONResponse({"detail": str(error)}, status_code=404)

    async def _admin_insert(self, request: Request) -> Response:
        try:
            values = await request.json()
            if not isinstance(values, dict) or not values:
                raise ValueError("send a JSON object of column: value")
            row = self.insert_row(request.path_params["table"], values)
        except (ValueError, sqlite3.IntegrityError) as error:
            return JSONResponse({"detail": str(error)}, status_code=422)
        return JSONResponse(row, status_code=201)

    async def _admin_update(self, request: Request) -> Response:
        try:
            changes = await request.json()
            if not isinstance(changes, dict) or not changes:
                raise ValueError("send a JSON object of column: value")
            row = self.update_row(request.path_params["table"], request.path_params["pk"], changes)
        except LookupError as error:
            return JSONResponse({"detail": str(error)}, status_code=404)
        except ValueError as error:
            return JSONResponse({"detail": str(error)}, status_code=422)
        return JSONResponse(row)


def _table(table: str) -> str:
    name = table.upper()
    name = schema.VIEWS.get(name, name)
    if name not in schema.TABLES:
        raise ValueError(f"unknown table {table!r}; known: {sorted([*schema.TABLES, *schema.VIEWS])}")
    return name


def _key(table: str) -> str:
    key = schema.primary_key(table)
    if key is None:
        raise ValueError(f"{table} rows are not edited one by one in the sandbox")
    return key


def _column(db: sqlite3.Connection, table: str, column: str) -> None:
    if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
        raise ValueError(f"{table} has no column {column!r}")


def _envelope(body: dict) -> tuple[dict, dict]:
    """ISG accepts `{"<METHOD>_Input": {...}}`, any wrapper name, or RESTHeader/InputParameters at the top."""
    if "InputParameters" not in body and "RESTHeader" not in body and len(body) == 1:
        body = next(iter(body.values()))
    return body.get("RESTHeader") or {}, body.get("InputParameters") or {}


def _refused(error: procedures.InputError) -> dict:
    return {"X_RETURN_STATUS": "E", "X_MSG_COUNT": "1", "X_MSG_DATA": str(error)}


class _LostAnswer(Response):
    """The answer of a call whose work is committed, cut short: the client sees the connection drop."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope, receive, send) -> None:
        await drop_connection(send)


def _unauthorized() -> Response:
    # Unverified: the body of WebLogic's 401; clients must rely on the status.
    return Response(
        "Unauthorized", status_code=401, media_type="text/plain", headers={"WWW-Authenticate": 'Basic realm="ISG"'}
    )


def _fault(status: int, code: str, message: str, resolution: str, alias: str = "", method: str = "") -> Response:
    return JSONResponse(
        {
            "ISGServiceFault": {
                "@xmlns": FAULT_NAMESPACE,
                "Code": code,
                "Message": message,
                "Resolution": resolution,
                "ServiceDetails": {"ServiceName": alias, "OperationName": method, "InstanceId": "0"},
            }
        },
        status_code=status,
    )
