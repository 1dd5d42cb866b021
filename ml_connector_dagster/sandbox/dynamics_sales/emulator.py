"""Dataverse Web API v9.x emulator (Dynamics 365 Sales): bearer tokens from the Entra emulator, the service
protection limits, and the admin surface tests and the demo use to inspect the target."""

import asyncio
import collections
import threading
import uuid

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.dynamics_sales.service import (
    Counters,
    DataverseService,
    Reply,
    Rule,
)
from ml_connector_dagster.sandbox.dynamics_sales.service import (
    Request as ApiRequest,
)
from ml_connector_dagster.sandbox.dynamics_sales.store import Store
from ml_connector_dagster.sandbox.dynamics_sales.tables import CURRENCY, TABLES
from ml_connector_dagster.sandbox.emulator import Emulator, EmulatorSettings
from ml_connector_dagster.sandbox.odata_reply import to_response
from ml_connector_dagster.sandbox.tokens import TokenError, TokenSigner

JSON_TYPE = "application/json; odata.metadata=minimal"
# The environment's currencies: EUR is the base currency chosen at provisioning, USD was added by an administrator.
# Others (PLN, ...) are not set up, as in many real environments: records in them cannot be saved until they are.
CURRENCIES = (("EUR", "Euro", "€", 1.0), ("USD", "US Dollar", "$", 1.08))


class DynamicsSalesSettings(EmulatorSettings):
    tenant_id: str = SANDBOX.tenant_id
    application_users: list[str] = Field(
        default=[SANDBOX.client_id],
        description="client ids set up as application users with a security role in this environment",
    )
    undefined_keys: list[str] = Field(
        default=[],
        description="tables whose alternate key on the external id column the administrator has not defined: "
        "addressing a row by it is refused, and EntityDefinitions(...)/Keys lists none",
    )
    bulk_tables: list[str] = Field(
        default=["account"],
        description="tables whose sdkmessagefilters list "
        "CreateMultiple/UpdateMultiple/UpsertMultiple (microsoft.md §2.7: per org)",
    )
    reject_rules: list[Rule] = Field(
        default_factory=list,
        description="validation plug-ins: matching rows are refused with 0x80040265 and the rule's message",
    )
    requests_per_window: int = Field(default=6000, ge=1, description="service protection: requests per user")
    window_seconds: int = Field(default=300, ge=1)
    concurrent_requests: int = Field(default=52, ge=1)
    dop_hint: int = Field(
        default=4,
        ge=1,
        description="the degree of parallelism every answer recommends (x-ms-dop-hint); the service derives it from "
        "the environment's servers, the default is a guess",
    )


class DynamicsSalesEmulator(Emulator):
    name = "dynamics_sales"
    Settings = DynamicsSalesSettings
    settings: DynamicsSalesSettings

    def __init__(self, *, signer: TokenSigner | None = None, **kwargs):
        super().__init__(**kwargs)
        self.signer = signer or TokenSigner()
        self.store = Store(self.state_dir / "dynamics_sales.sqlite" if self.state_dir else None)
        self.service = DataverseService(self.store, self.clock, lambda: self.settings)
        self._seed_currencies()
        self._recent: dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._in_flight: dict[str, int] = collections.defaultdict(int)
        self._limits = threading.Lock()
        self.requests_throttled = 0
        self.peak_in_flight = 0  # most requests of one user in progress at once, for tests of parallel sending

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/data/{version:str}/{path:path}", self._api, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/tables/{table}", self._admin_rows, methods=["GET"]),
            Route("/stats", self._admin_stats, methods=["GET"]),
            Route("/reset", self._admin_reset, methods=["POST"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        code = "0x80072322" if status == 429 else ""
        message = (
            "Number of requests exceeded the limit of 6000 over time window of 300 seconds."
            if status == 429
            else "sandbox fault injection"
        )
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, media_type=JSON_TYPE)

    # the API ---------------------------------------------------------------------------------------------------
    async def _api(self, request: Request) -> Response:
        if request.path_params["version"] not in ("v9.0", "v9.1", "v9.2"):
            return _reply(
                Reply(
                    404,
                    {},
                    {
                        "error": {
                            "code": "0x80060888",
                            "message": f"Resource not found for the segment '{request.path_params['version']}'.",
                        }
                    },
                )
            )
        origin = f"{request.url.scheme}://{request.url.netloc}"
        app_id, refusal = self._authenticate(request, origin)
        if refusal is not None:
            return refusal
        throttled = self._admit(app_id)
        if throttled is not None:
            return throttled
        try:
            api_request = ApiRequest(
                request.method,
                request.path_params["path"],
                dict(request.query_params),
                {k.lower(): v for k, v in request.headers.items()},
                await request.body(),
            )
            root = f"{origin}/api/data/{request.path_params['version']}"
            reply = await asyncio.to_thread(self.service.handle, api_request, root)
        finally:
            with self._limits:
                self._in_flight[app_id] -= 1
        response = _reply(reply)
        response.headers.update(self._limit_headers(app_id))
        return response

    def _limit_headers(self, app_id: str) -> dict[str, str]:
        """What every answer says of the limits (microsoft.md §2.2 response headers; the x-ms-dop-hint header is
        documented on learn.microsoft.com, "Send parallel requests"): requests left in the user's window and the
        recommended degree of parallelism. The execution-time header is not sent: the emulator keeps no such
        account."""
        with self._limits:
            left = self.settings.requests_per_window - len(self._recent[app_id])
        return {
            "x-ms-ratelimit-burst-remaining-xrm-requests": str(max(0, left)),
            "x-ms-dop-hint": str(self.settings.dop_hint),
        }

    def _authenticate(self, request: Request, origin: str) -> tuple[str, Response | None]:
        challenge = {
            "WWW-Authenticate": f"Bearer authorization_uri=https://login.microsoftonline.com/"
            f"{self.settings.tenant_id}/oauth2/authorize, resource_id={origin}/"
        }
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return "", _reply(Reply(401, challenge, {"error": {"code": "", "message": "Bearer token is required."}}))
        try:
            claims = self.signer.verify(header[7:], audience=origin, now=self.clock.now())
        except TokenError as error:
            return "", _reply(Reply(401, challenge, {"error": {"code": "", "message": str(error)}}))
        if claims.tid != self.settings.tenant_id:
            return "", _reply(
                Reply(401, challenge, {"error": {"code": "", "message": "The token was issued for another tenant."}})
            )
        if claims.appid not in self.settings.application_users:
            return "", _reply(
                Reply(
                    403,
                    {},
                    {
                        "error": {
                            "code": "0x80072560",
                            "message": "The user is not a member "
                            f"of the organization: no application user exists for {claims.appid}.",
                        }
                    },
                )
            )
        return claims.appid, None

    def _admit(self, app_id: str) -> Response | None:
        """Service protection per user (microsoft.md §2.11): requests in a sliding window, and concurrency."""
        now = self.clock.now().timestamp()
        with self._limits:
            recent = self._recent[app_id]
            while recent and recent[0] <= now - self.settings.window_seconds:
                recent.popleft()
            if len(recent) >= self.settings.requests_per_window:
                self.requests_throttled += 1
                wait = max(1, int(recent[0] + self.settings.window_seconds - now + 0.999))
                return _reply(
                    Reply(
                        429,
                        {"Retry-After": str(wait), "x-ms-ratelimit-burst-remaining-xrm-requests": "0"},
                        {
                            "error": {
                                "code": "0x80072322",
                                "message": "Number of requests exceeded the limit of "
                                f"{self.settings.requests_per_window} over time window of "
                                f"{self.settings.window_seconds} seconds.",
                            }
                        },
                    )
                )
            if self._in_flight[app_id] >= self.settings.concurrent_requests:
                return _reply(
                    Reply(
                        429,
                        {"Retry-After": "1"},
                        {
                            "error": {
                                "code": "0x80072326",
                                "message": f"Number of concurrent requests exceeded the limit of "
                                f"{self.settings.concurrent_requests}.",
                            }
                        },
                    )
                )
            recent.append(now)
            self._in_flight[app_id] += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight[app_id])
        return None

    # inspection (tests, demo, admin) ---------------------------------------------------------------------------
    def rows(self, table: str, **where) -> list[dict]:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; known: {sorted(TABLES)}")
        return [row for row in self.store.snapshot(table) if all(row.get(k) == v for k, v in where.items())]

    def count(self, table: str) -> int:
        return len(self.rows(table))

    def stats(self) -> dict[str, int]:
        return dict(vars(self.service.counters))

    def reset(self) -> None:
        """A new environment: no rows, and no requests in any user's service-protection window (a benchmark's next
        section would otherwise start throttled by the requests of the one before)."""
        self.store.clear()
        self.service.counters = Counters()
        with self._limits:
            self._recent.clear()
        self._seed_currencies()

    def add_currency(self, iso_code: str, name: str, symbol: str, exchange_rate: float) -> str:
        """What an administrator does in Settings > Business Management > Currencies."""
        row_id = str(uuid.uuid5(uuid.NAMESPACE_OID, f"transactioncurrency/{iso_code}"))
        with self.store.transaction() as tx:
            if tx.get(CURRENCY, row_id) is None:
                tx.put(
                    CURRENCY,
                    {
                        "transactioncurrencyid": row_id,
                        "isocurrencycode": iso_code,
                        "currencyname": name,
                        "currencysymbol": symbol,
                        "exchangerate": exchange_rate,
                        "statecode": 0,
                        "statuscode": 1,
                        "versionnumber": 1,
                    },
                )
        return row_id

    def _seed_currencies(self) -> None:
        for currency in CURRENCIES:
            self.add_currency(*currency)

    async def _admin_rows(self, request: Request) -> Response:
        try:
            return JSONResponse({"value": self.rows(request.path_params["table"], **dict(request.query_params))})
        except ValueError as error:
            return JSONResponse({"detail": str(error)}, status_code=404)

    async def _admin_stats(self, request: Request) -> Response:
        return JSONResponse({**self.stats(), **{f"rows_{t}": self.count(t) for t in TABLES}})

    async def _admin_reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"reset": True})


def _reply(reply: Reply) -> Response:
    return to_response(reply, JSON_TYPE)
