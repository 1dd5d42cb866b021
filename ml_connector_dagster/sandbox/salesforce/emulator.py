"""Salesforce REST emulator (API v58.0–v63.0): the client-credentials token on My Domain, sObject rows, upsert by
External ID, sObject Collections, SOQL with nextRecordsUrl, the daily API request allocation, Bulk API 2.0 ingest;
beside the HTTP app, the Pub/Sub API on a gRPC port of its own serves the change events of every commit (pubsub.py).
Written from crm_targets.md §1 and §4.1; simple-salesforce works against it unchanged (tests). Everything under
`/_admin` is the sandbox's own: inspect and edit records as a user would, expire sessions, start a new day."""

from datetime import UTC
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.emulator import Emulator, basic_credentials
from ml_connector_dagster.sandbox.salesforce import activity, composite, sobjects, tooling
from ml_connector_dagster.sandbox.salesforce.auth import CLIENT_ID, CLIENT_SECRET, Sessions
from ml_connector_dagster.sandbox.salesforce.bulk import Jobs
from ml_connector_dagster.sandbox.salesforce.errors import SfError, not_found
from ml_connector_dagster.sandbox.salesforce.ids import record_id
from ml_connector_dagster.sandbox.salesforce.limits import DailyLimit
from ml_connector_dagster.sandbox.salesforce.org import Org
from ml_connector_dagster.sandbox.salesforce.pubsub import PubSubServer, PubSubService
from ml_connector_dagster.sandbox.salesforce.query import Queries
from ml_connector_dagster.sandbox.salesforce.replies import Reply, json_body, to_response
from ml_connector_dagster.sandbox.salesforce.schema import DEFAULT_EXTERNAL_IDS, build_objects
from ml_connector_dagster.sandbox.salesforce.settings import SalesforceSettings
from ml_connector_dagster.sandbox.salesforce.store import Store

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "SalesforceEmulator", "SalesforceSettings"]

VERSIONS = tuple(f"{n}.0" for n in range(58, 64))
_INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
_LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
# Guess: what Salesforce's front end sends with these statuses; the REST API itself has no 429.
_FAULTS = {
    403: _LIMIT_EXCEEDED,
    429: [{"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    500: [
        {
            "message": "An unexpected error occurred. Please include this ErrorId if you contact support: "
            "sandbox-fault",
            "errorCode": "UNKNOWN_EXCEPTION",
        }
    ],
    503: [{"message": "Server temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}],
}


class SalesforceEmulator(Emulator):
    name = "salesforce"
    Settings = SalesforceSettings
    settings: SalesforceSettings

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        objects = build_objects(DEFAULT_EXTERNAL_IDS, True)
        self.store = Store(self.state_dir / "salesforce.sqlite" if self.state_dir else None, list(objects))
        self.org = Org(self.store, self.clock, lambda: self.settings, self.seed)
        self.sessions = Sessions(self.clock.now, lambda: self.settings.token_lifetime_seconds)
        self.limit = DailyLimit(lambda: self.settings.daily_api_requests)
        self.queries = Queries(self.store, lambda: self._new_id("01g"))
        self.jobs = Jobs(lambda: self._new_id("750"))
        self.pubsub = PubSubServer(PubSubService(self.org, self.sessions, lambda: self.settings))
        self._seed_standard_price_book()

    @property
    def api_used(self) -> int:
        return self.limit.used

    def side_servers(self) -> dict[str, PubSubServer]:
        return {"salesforce_pubsub": self.pubsub}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/services/oauth2/token", self._token, methods=["POST"]),
            Route("/services/data/", self._versions, methods=["GET"]),
            Route(
                "/services/data/v{version}/{path:path}", self._api, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
            ),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/sobjects/{sobject}", self._admin_rows, methods=["GET", "POST"]),
            Route("/sobjects/{sobject}/{record_id}", self._admin_edit, methods=["PATCH"]),
            Route("/expire-tokens", self._admin_expire, methods=["POST"]),
            Route("/new-day", self._admin_new_day, methods=["POST"]),
            Route("/stats", self._admin_stats, methods=["GET"]),
        ]

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        body = _FAULTS.get(status, [{"message": "sandbox fault injection", "errorCode": "UNKNOWN_EXCEPTION"}])
        return JSONResponse(body, status_code=status)

    # token -----------------------------------------------------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        basic = basic_credentials(request.headers.get("authorization"))
        client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        if form.get("grant_type") != "client_credentials":
            # Guess: the only flow set up on the emulated connected app is client credentials.
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, status_code=400
            )
        if not client_id or secret is None or self.settings.clients.get(client_id) != secret:
            return JSONResponse(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, status_code=400
            )
        return JSONResponse(self.sessions.token(secret, f"{request.url.scheme}://{request.url.netloc}"))

    async def _versions(self, request: Request) -> Response:
        return JSONResponse([{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in VERSIONS])

    # the REST API ----------------------------------------------------------------------------------------------
    async def _api(self, request: Request) -> Response:
        version = request.path_params["version"]
        header = request.headers.get("authorization", "")
        if not (header[:7].lower() == "bearer " and self.sessions.valid(header[7:])):
            return JSONResponse(_INVALID_SESSION, status_code=401)
        if version not in VERSIONS:
            return JSONResponse(not_found().body(), status_code=404)
        # Guess: refused sessions and unknown versions spend nothing (no org is charged); GET /limits itself does.
        if not self.limit.spend():
            return JSONResponse(_LIMIT_EXCEEDED, status_code=403, headers=self.limit.header())
        # Split the raw path: an External ID value may hold an encoded slash (usmf%2FUS-001) that is one segment.
        raw = request.scope.get("raw_path", b"").decode().split("?")[0]
        parts = [unquote(part) for part in raw.split(f"/v{version}/", 1)[1].split("/") if part]
        # Guess: Bulk API rows carry the REST origin of the request during which the emulator processes their job.
        client = _options(request, "sforce-call-options").get("client")
        try:
            with self.org.origin(f"com/salesforce/api/rest/{version}" + (f";client={client}" if client else "")):
                reply = await self._route(request, version, parts)
        except SfError as error:
            reply = error.status, error.body()
        return to_response(reply, self.limit.header())

    async def _route(self, request: Request, version: str, parts: list[str]) -> Reply:
        method, head = request.method, parts[0] if parts else ""
        if not parts and method == "GET":
            return 200, {
                name: f"/services/data/v{version}/{name}"
                for name in ("sobjects", "query", "queryAll", "limits", "composite", "jobs")
            }
        if parts == ["limits"] and method == "GET":
            return 200, self.limit.report()
        if head in ("query", "queryAll") and method == "GET" and len(parts) <= 2:
            if len(parts) == 2:
                return 200, self.queries.more(parts[1], version)
            return 200, self.queries.run(
                request.query_params.get("q", ""),
                self.org.objects,
                include_deleted=head == "queryAll",
                version=version,
                batch=self._batch_size(request),
            )
        if head == "sobjects":
            return await sobjects.handle(self.org, request, version, parts[1:])
        if parts == ["tooling", "query"] and method == "GET":
            return 200, tooling.query(request.query_params.get("q", ""), self.org, version)
        if parts[:2] == ["composite", "sobjects"]:
            return await self._collections(request, parts[2:])
        if parts[:2] == ["jobs", "ingest"]:
            return await self._bulk(request, version, parts[2:])
        raise not_found()

    async def _collections(self, request: Request, parts: list[str]) -> Reply:
        if len(parts) == 2 and request.method == "PATCH":
            return 200, composite.upsert(
                self.org.writes(), self.org.sobject(parts[0]), parts[1], await json_body(request)
            )
        if not parts and request.method == "POST":
            return 200, composite.create(self.org.writes(), self.org.objects, await json_body(request))
        if not parts and request.method == "PATCH":
            return 200, composite.update(self.org.writes(), self.org.objects, await json_body(request))
        raise not_found()

    async def _bulk(self, request: Request, version: str, parts: list[str]) -> Reply:
        method, now = request.method, self.clock.now()
        if not parts and method == "POST":
            return 200, self.jobs.create(await json_body(request), self.org.objects, version, self.org.stamp()).info
        if not parts and method == "GET":
            for job in self.jobs.all():
                self.jobs.advance(job, now, self.org.writes)
            return 200, {"done": True, "records": [job.info for job in self.jobs.all()], "nextRecordsUrl": None}
        if not parts:
            raise not_found()
        job, rest = self.jobs.get(parts[0]), parts[1:]
        if rest == ["batches"] and method == "PUT":
            self.jobs.upload(job, (await request.body()).decode())
            return 201, None
        if not rest and method == "PATCH":
            self.jobs.close(job, (await json_body(request)).get("state"), now, self.settings.bulk_processing_seconds)
            return 200, job.info
        self.jobs.advance(job, now, self.org.writes)
        if not rest and method == "GET":
            return 200, job.info
        if not rest and method == "DELETE":
            self.jobs.delete(job)
            return 204, None
        if (
            len(rest) == 1
            and rest[0] in ("successfulResults", "failedResults", "unprocessedrecords")
            and method == "GET"
        ):
            return 200, self.jobs.results(job, rest[0])
        raise not_found()

    def _batch_size(self, request: Request) -> int:
        """The client may ask for 200–2000 records a page with `Sforce-Query-Options: batchSize=N`."""
        asked = _options(request, "sforce-query-options").get("batchSize", "")
        if asked.isdigit():
            return min(max(int(asked), 200), 2000, self.settings.query_batch_size)
        return self.settings.query_batch_size

    def _new_id(self, prefix: str) -> str:
        return record_id(prefix, self.store.next_number(prefix))

    def _seed_standard_price_book(self) -> None:
        """Every org has one standard price book, made by the platform (IsStandard is read-only to users)."""
        if any(row["IsStandard"] for row in self.store.rows["Pricebook2"].values()):
            return
        writes = self.org.writes()
        row = writes.create(self.org.objects["Pricebook2"], {"Name": "Standard Price Book", "IsActive": True})
        writes.staged[("Pricebook2", row["Id"])] = row | {"IsStandard": True}
        writes.commit()

    # inspection and edits (tests, admin) -----------------------------------------------------------------------
    def rows(self, sobject: str, *, include_deleted: bool = False, **where) -> list[dict]:
        with self.store.lock:
            return [
                dict(row)
                for row in self.store.rows[sobject].values()
                if (include_deleted or not row["IsDeleted"]) and all(row.get(k) == v for k, v in where.items())
            ]

    def insert(self, sobject: str, records: list[dict]) -> list[dict]:
        """Creates records as a user would in Lightning, validated and stamped, each saved before the next is tried."""
        created = []
        for values in records:
            writes = self.org.writes()
            created.append(writes.create(self.org.objects[sobject], values))
            writes.commit()
        return created

    def edit(self, sobject: str, record_id: str, changes: dict) -> dict:
        """Changes a record as a user would in Lightning: LastModifiedDate and SystemModstamp move."""
        writes = self.org.writes()
        row = writes.get(self.org.objects[sobject], record_id)
        if row is None:
            raise LookupError(f"no {sobject} {record_id}")
        updated = writes.update(self.org.objects[sobject], row, changes)
        writes.commit()
        return updated

    def simulate_sales(self, **kw) -> dict:
        """A demo day of the org's sales reps, through insert and edit (activity.py)."""
        return activity.simulate_sales(self, **kw)

    def expire_tokens(self) -> None:
        self.sessions.expire_all()

    def new_day(self) -> None:
        self.limit.reset()

    async def _admin_rows(self, request: Request) -> Response:
        name = request.path_params["sobject"]
        if name not in self.org.objects:
            return JSONResponse({"detail": f"unknown sObject {name}"}, status_code=404)
        if request.method == "GET":
            return JSONResponse({"records": self.rows(name, **dict(request.query_params))})
        body = await request.json()
        try:
            return JSONResponse(
                {"records": self.insert(name, body if isinstance(body, list) else [body])}, status_code=201
            )
        except SfError as error:
            return JSONResponse(error.body(), status_code=error.status)

    async def _admin_edit(self, request: Request) -> Response:
        try:
            return JSONResponse(
                self.edit(request.path_params["sobject"], request.path_params["record_id"], await request.json())
            )
        except (LookupError, KeyError) as missing:
            return JSONResponse({"detail": str(missing)}, status_code=404)
        except SfError as error:
            return JSONResponse(error.body(), status_code=error.status)

    async def _admin_expire(self, request: Request) -> Response:
        self.expire_tokens()
        return JSONResponse({"expired": True})

    async def _admin_new_day(self, request: Request) -> Response:
        self.new_day()
        return JSONResponse(self.limit.report())

    async def _admin_stats(self, request: Request) -> Response:
        with self.store.lock:
            records = {
                name: sum(not row["IsDeleted"] for row in rows.values()) for name, rows in self.store.rows.items()
            }
        return JSONResponse(
            {
                "api_requests_used": self.limit.used,
                **self.limit.report(),
                "requests_served": self.requests_served,
                "faults_injected": self.faults.injected,
                "records": records,
                "bulk_jobs": {j.info["id"]: j.info["state"] for j in self.jobs.all()},
                "change_events": len(self.org.changes),
                "now": self.clock.now().astimezone(UTC).isoformat(),
            }
        )


def _options(request: Request, header: str) -> dict[str, str]:
    """`Sforce-Call-Options: client=MyApp` and `Sforce-Query-Options: batchSize=500`: comma-separated name=value."""
    return dict(parse_qsl(request.headers.get(header, "").replace(" ", ""), separator=","))
