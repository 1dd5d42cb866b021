"""SAP ECC 6.0 behind SAP Gateway: an OData v2 service over LFA1, LFB1, KNA1, KNB1, EKKO, EKPO and the change
documents CDHDR/CDPOS, with HTTP Basic auth, `sap-client`, client- and server-driven paging. Records edited through
the admin surface get change documents, as edits in XK02 / XD02 / ME22N do."""

import threading
from datetime import date
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import Field as Setting
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.emulator import Emulator, EmulatorSettings, basic_credentials, seeded_tables
from ml_connector_dagster.sandbox.odata_query import QueryError, parse_filter, parse_orderby, parse_select
from ml_connector_dagster.sandbox.sap_ecc import gateway, rfc
from ml_connector_dagster.sandbox.sap_ecc.schema import OBJECT_CLASSES, TABLES, TCODES, Table, ddl
from ml_connector_dagster.sandbox.sap_ecc.seed import CLIENT, seed
from ml_connector_dagster.server_clock import ServerTimeZone

SAP_USER, SAP_PASSWORD = SANDBOX.sap_user, SANDBOX.sap_password


class SapEccSettings(EmulatorSettings):
    service: str = Setting(default="ZMLC_ECC_SYNC_SRV", description="the Gateway service (SEGW project) name")
    users: dict[str, str] = Setting(default={SAP_USER: SAP_PASSWORD})
    client: str = Setting(default=CLIENT, description="the only client (MANDT) of this system")
    server_page_size: int = Setting(
        default=1000,
        ge=1,
        description="rows per page when the client sets no $top (server-driven paging with $skiptoken)",
    )
    server_time_zone: ServerTimeZone = Setting(
        default="UTC",
        description="zone of the application servers' clock stamping CDHDR-UDATE/UTIME (SY-DATUM/SY-UZEIT)",
    )
    unreadable_tables: list[str] = Setting(
        default=[],
        description="tables the user's roles grant no read of (S_TABU_DIS / S_TABU_NAM): RFC_READ_TABLE raises "
        "NOT_AUTHORIZED, the Gateway service's data provider answers 403",
    )
    rfc_communication_failures: int = Setting(
        default=0, ge=0, description="the next N RFC logons or calls fail with COMMUNICATION_FAILURE"
    )


class SapEccEmulator(Emulator):
    name = "sap_ecc"
    Settings = SapEccSettings
    settings: SapEccSettings

    def __init__(
        self,
        *,
        vendors: int = 400,
        customers: int = 600,
        orders: int = 500,
        start_date: date = date(2026, 10, 1),
        days: int = 28,
        dormant_vendors: int = 0,
        dormant_customers: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._db = seeded_tables(
            self,
            ddl(),
            lambda db: seed(
                db,
                vendors=vendors,
                customers=customers,
                orders=orders,
                start=start_date,
                days=days,
                seed_value=self.seed,
                dormant_vendors=dormant_vendors,
                dormant_customers=dormant_customers,
            ),
        )
        self._lock = threading.Lock()
        self.rfc_host = f"sap-ecc-sandbox-{id(self):x}"
        rfc.register(self.rfc_host, self)

    def routes(self) -> list[BaseRoute]:
        return [Route("/sap/opu/odata/sap/{service}/{path:path}", self._odata, methods=["GET"])]

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/tables/{table}", self._admin_rows, methods=["GET"]),
            Route("/tables/{table}/{key}", self._admin_update, methods=["PATCH"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        return gateway.error(
            status,
            "/IWFND/CM_BEC/026",
            "SAP backend system cannot be reached (sandbox fault injection)",
            self.settings.service,
        )

    # the Gateway service -----------------------------------------------------------------------------------------
    async def _odata(self, request: Request) -> Response:
        service = self.settings.service
        if not self._authenticated(request):
            return Response(
                "Logon failed",
                status_code=401,
                media_type="text/plain",
                headers={
                    "WWW-Authenticate": f'Basic realm="SAP NetWeaver Application Server [ECC/{self.settings.client}]"'
                },
            )
        if request.path_params["service"].upper() != service:
            return gateway.error(
                404,
                "/IWFND/MED/170",
                f"No service found for namespace '/SAP/', name '{request.path_params['service']}', version '0001'",
                service,
            )
        path = request.path_params["path"]
        root = f"{str(request.base_url).rstrip('/')}/sap/opu/odata/sap/{request.path_params['service']}"
        if path == "$metadata":
            return Response(gateway.metadata(service), media_type="application/xml")
        if not _wants_json(request) and not path.endswith("/$count"):
            # Sandbox limit: Gateway's default format for feeds is Atom XML; this emulator answers JSON only.
            return gateway.error(
                406,
                "/IWBEP/CM_MGW_RT/000",
                "Only the JSON format is served by the sandbox; send Accept: application/json or $format=json",
                service,
            )
        if path == "":
            return JSONResponse({"d": {"EntitySets": [t.entity_set for t in TABLES.values()]}})
        entity_set, _, rest = path.partition("/")
        name, _, key = entity_set.partition("(")
        table = next((t for t in TABLES.values() if t.entity_set == name), None)
        if table is None:
            return gateway.error(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{name}'", service)
        if table.name in self.settings.unreadable_tables:
            # Guess: the message and id a data provider class raises when its AUTHORITY-CHECK on the table fails
            # (the service is the connector's own, docs/operators/sap_ecc.md); the status is Gateway's for it.
            return gateway.error(403, "/IWBEP/CM_MGW_RT/004", f"No authorization to read table {table.name}", service)
        try:
            if key:
                return self._single(table, key.rstrip(")"), root, request)
            return self._collection(table, root, request, count_only=rest == "$count")
        except QueryError as bad:
            return gateway.error(400, "/IWBEP/CM_MGW_RT/022", str(bad), service)

    def _authenticated(self, request: Request) -> bool:
        client = request.query_params.get("sap-client")
        if client is not None and client != self.settings.client:
            return False  # logon to a client that does not exist fails like a wrong password
        credentials = basic_credentials(request.headers.get("authorization"))
        return credentials is not None and self.settings.users.get(credentials[0].upper()) == credentials[1]

    def _single(self, table: Table, key_text: str, root: str, request: Request) -> Response:
        key = _key(table, key_text)
        rows = self.rows(table.name, **key)
        if not rows:
            return gateway.error(
                404, "/IWBEP/CM_MGW_RT/020", f"Resource not found for segment '{table.name}Type'", self.settings.service
            )
        select = parse_select(request.query_params.get("$select"), {f.name for f in gateway.exposed(table)})
        return JSONResponse({"d": gateway.entity(table, rows[0], root, self.settings.service, select)})

    def _collection(self, table: Table, root: str, request: Request, *, count_only: bool) -> Response:
        query = request.query_params
        fields = {f.name: f for f in gateway.exposed(table)}
        rows = self.rows(table.name)
        if query.get("$filter"):
            test = parse_filter(query["$filter"], set(fields), version=2)
            rows = [row for row in rows if test({n: gateway.filter_value(f, row.get(n)) for n, f in fields.items()})]
        if count_only:
            return gateway.plain(str(len(rows)))
        order = parse_orderby(query.get("$orderby"), set(fields)) + [(k, False) for k in table.keys]
        for column, descending in reversed(order):
            rows.sort(
                key=lambda row: _nulls_first(gateway.filter_value(fields[column], row.get(column))), reverse=descending
            )
        total = len(rows)
        skip = _non_negative(query.get("$skip") or query.get("$skiptoken") or "0", "$skip")
        top = _non_negative(query["$top"], "$top") if "$top" in query else None
        page_size = top if top is not None else self.settings.server_page_size
        page = rows[skip : skip + page_size]
        select = parse_select(query.get("$select"), set(fields))
        body: dict = {"results": [gateway.entity(table, row, root, self.settings.service, select) for row in page]}
        if query.get("$inlinecount") == "allpages":
            body["__count"] = str(total)
        if top is None and skip + len(page) < total:
            params = {k: v for k, v in query.items() if k not in ("$skiptoken", "$skip")}
            params["$skiptoken"] = str(skip + len(page))
            body["__next"] = f"{root}/{table.entity_set}?{urlencode(params)}"
        return JSONResponse({"d": body})

    def rfc_failure(self) -> None:
        """Raises the planned RFC communication failure, if one is due."""
        with self._lock:
            due = self.settings.rfc_communication_failures > 0
            if due:
                self.settings = self.settings.model_copy(
                    update={"rfc_communication_failures": self.settings.rfc_communication_failures - 1}
                )
        if due:
            raise rfc.CommunicationError("connection to partner broken (sandbox fault)", "RFC_COMMUNICATION_FAILURE")

    # source edits and inspection ---------------------------------------------------------------------------------
    def rows(self, table: str, **where) -> list[dict]:
        spec = _table(table)
        columns = [f.name for f in spec.fields]
        unknown = set(where) - set(columns)
        if unknown:
            raise ValueError(f"{spec.name} has no field {sorted(unknown)}")
        clause = " AND ".join(f"{c} = ?" for c in where) or "1 = 1"
        with self._lock:
            cursor = self._db.execute(
                f"SELECT {', '.join(columns)} FROM {spec.name} WHERE {clause} ORDER BY {', '.join(spec.keys)}",
                tuple(where.values()),
            )
            return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]

    def insert_row(self, table: str, row: dict[str, str | None]) -> dict:
        """Adds a record as a data migration (LSMW direct input, a custom load program) can: stored as given, keys
        without the ALPHA conversion a transaction applies, so `42` can stand next to `0000000042`."""
        spec = _table(table)
        unknown = set(row) - {f.name for f in spec.fields}
        if unknown:
            raise ValueError(f"{spec.name} has no field {sorted(unknown)}")
        values = {"MANDT": self.settings.client, **row} if "MANDT" in {f.name for f in spec.fields} else row
        with self._lock:
            self._db.execute(
                f"INSERT INTO {spec.name} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                tuple(values.values()),
            )
            self._db.commit()
        return self.rows(spec.name, **{k: values[k] for k in spec.keys})[0]

    def update_row(self, table: str, key: dict[str, str], changes: dict[str, str | None]) -> dict:
        """Edits one record as a user would in XK02/XD02/ME22N: the change is written with its change document."""
        spec = _table(table)
        if set(key) != set(spec.keys):
            raise ValueError(f"{spec.name} is keyed by {', '.join(spec.keys)}")
        [old] = self.rows(spec.name, **key) or [None]
        if old is None:
            raise LookupError(f"no {spec.name} row with {key}")
        for column in changes:
            if column not in old or column in spec.keys or column in gateway.HIDDEN:
                raise ValueError(f"{spec.name}-{column} cannot be changed here")
        now = self.clock.now().astimezone(ZoneInfo(self.settings.server_time_zone))
        object_class = OBJECT_CLASSES.get(spec.name)
        object_id = (
            key.get("LIFNR")
            if object_class == "KRED"
            else key.get("KUNNR")
            if object_class == "DEBI"
            else key.get("EBELN")
        )
        with self._lock:
            self._db.execute(
                f"UPDATE {spec.name} SET {', '.join(f'{c} = ?' for c in changes)} WHERE "
                f"{' AND '.join(f'{k} = ?' for k in spec.keys)}",
                (*changes.values(), *(key[k] for k in spec.keys)),
            )
            if object_class:
                number = self._db.execute("SELECT COUNT(*) FROM CDHDR").fetchone()[0] + 1
                changenr = f"{number:010d}"
                self._db.execute(
                    "INSERT INTO CDHDR VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self.settings.client,
                        object_class,
                        object_id,
                        changenr,
                        "SANDBOX",
                        now.strftime("%Y%m%d"),
                        now.strftime("%H%M%S"),
                        TCODES[object_class],
                        "U",
                    ),
                )
                tabkey = self.settings.client + "".join(key[k] for k in spec.keys)
                for column, value in changes.items():
                    self._db.execute(
                        "INSERT INTO CDPOS VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            self.settings.client,
                            object_class,
                            object_id,
                            changenr,
                            spec.name,
                            tabkey,
                            column,
                            "U",
                            value,
                            old[column],
                        ),
                    )
            self._db.commit()
        return self.rows(spec.name, **key)[0]

    async def _admin_rows(self, request: Request) -> Response:
        try:
            return JSONResponse({"rows": self.rows(request.path_params["table"], **dict(request.query_params))})
        except ValueError as bad:
            return JSONResponse({"detail": str(bad)}, status_code=404)

    async def _admin_update(self, request: Request) -> Response:
        spec_name = request.path_params["table"]
        try:
            spec = _table(spec_name)
            values = request.path_params["key"].split(",")
            changes = await request.json()
            row = self.update_row(spec.name, dict(zip(spec.keys, values, strict=True)), changes)
        except LookupError as missing:
            return JSONResponse({"detail": str(missing)}, status_code=404)
        except (ValueError, AttributeError) as bad:
            return JSONResponse({"detail": str(bad)}, status_code=422)
        return JSONResponse(row)


def _table(name: str) -> Table:
    spec = TABLES.get(name.upper())
    if spec is None:
        raise ValueError(f"unknown table {name!r}; known: {sorted(TABLES)}")
    return spec


def _key(table: Table, text: str) -> dict[str, str]:
    if "=" not in text:
        if len(table.keys) != 1 or not (text.startswith("'") and text.endswith("'")):
            raise QueryError(f"Invalid key predicate '{text}' for {table.entity_set}")
        return {table.keys[0]: text[1:-1].replace("''", "'")}
    parts = dict(part.split("=", 1) for part in text.split(","))
    if set(parts) != set(table.keys):
        raise QueryError(f"Invalid key predicate '{text}' for {table.entity_set}")
    return {k: v.strip("'").replace("''", "'") for k, v in parts.items()}


def _nulls_first(value) -> tuple:
    return (value is not None, value if value is not None else 0)


def _non_negative(value: str, name: str) -> int:
    if not value.isdigit():
        raise QueryError(f"Invalid value '{value}' for system query option {name}")
    return int(value)


def _wants_json(request: Request) -> bool:
    return request.query_params.get("$format") == "json" or "application/json" in request.headers.get("accept", "")
