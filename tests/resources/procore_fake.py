"""Procore as its docs answer (crm_targets.md §3), small enough to read: the login host's client-credentials grant,
the API's bearer tokens and required `Procore-Company-Id`, bare-array pages with `Link` headers, bracket filters,
always-200 sync actions matching on id then origin_id, webhook hooks and triggers, and, when asked, the hourly
limit with its `X-Rate-Limit-*` headers and plain-text 429. Time is the test's clock. The Procore emulator
(sandbox/procore) is the full one."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import parse_qs

import httpx
from ml_connector_dagster.resources.procore import ProcoreResource
from ml_connector_dagster.resources.procore.client import ProcoreClient

COMPANY = 4262
CLIENT_ID = "procore-test-client"
SECRET = "procore-client-secret-for-tests"
LOGIN = "login.procore.com"
API = "/rest/v1.0/"


class Clock:
    """Epoch seconds that move only when the code under test sleeps (or the test says so)."""

    def __init__(self, now: float = 1_790_000_000.0):
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FakeProcore:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        api: Callable[[httpx.Request], httpx.Response | None] | None = None,
        rate_limit: int | None = None,
        token_lifetime: int = 5400,
    ):
        self.clock = clock or Clock()
        self.api = api  # answers first when it returns a response (a fault, an odd reply)
        self.rate_limit = rate_limit
        self.window_start = self.clock.time()
        self.used = 0
        self.token_lifetime = token_lifetime
        self.valid: dict[str, float] = {}  # access token → when it expires
        self.token_requests: list[dict] = []
        self.token_down = False  # the login host answers 503
        self.calls: list[httpx.Request] = []  # API calls that passed authentication
        self.times: list[float] = []  # when each of them came
        self.throttled = 0
        self.rows: dict[tuple[str, int | None], list[dict]] = {}
        self.next_id = 1000
        self.refuse: Callable[[str, dict], dict | None] = lambda collection, entry: None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == LOGIN:
            return self._token(request)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or self.valid.get(token, 0) <= self.clock.time():
            return httpx.Response(401, json={"errors": "The access token is invalid"})
        if request.headers.get("procore-company-id") != str(COMPANY):
            return httpx.Response(403, json={"errors": "App is not connected to this company"})
        limited = self._limit()
        if limited is not None:
            return limited
        self.calls.append(request)
        self.times.append(self.clock.time())
        answer = (self.api and self.api(request)) or self._route(request)
        answer.headers.update(self._rate_headers())
        return answer

    def expire_tokens(self) -> None:
        self.valid.clear()

    def seed(self, collection: str, project_id: int | None, **row) -> dict:
        self.next_id += 1
        stored = {"id": self.next_id, "origin_id": None, "updated_at": "2026-10-01T00:00:00Z", **row}
        self.rows.setdefault((collection, project_id), []).append(stored)
        return stored

    def table(self, collection: str, project_id: int | None = None) -> list[dict]:
        return self.rows.get((collection, project_id), [])

    # login -----------------------------------------------------------------------------------------------------
    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {name: values[0] for name, values in parse_qs(request.content.decode()).items()}
        self.token_requests.append(form)
        if self.token_down:
            return httpx.Response(503, text="Service Unavailable")
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != SECRET:
            return httpx.Response(
                401, json={"error": "invalid_client", "error_description": "Client authentication failed."}
            )
        token = f"procore-token-{len(self.token_requests)}"
        self.valid[token] = self.clock.time() + self.token_lifetime
        body = {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime}
        return httpx.Response(200, json={**body, "created_at": int(self.clock.time())})

    # the hourly limit ------------------------------------------------------------------------------------------
    def _limit(self) -> httpx.Response | None:
        if self.rate_limit is None:
            return None
        if self.clock.time() >= self.window_start + 3600:
            self.window_start, self.used = self.clock.time(), 0
        if self.used >= self.rate_limit:
            self.throttled += 1
            reset = self.window_start + 3600
            return httpx.Response(
                429,
                text="You have surpassed the max number of requests for an hour. Please wait until your limit resets.",
                headers={**self._rate_headers(), "Retry-After": str(int(reset - self.clock.time()))},
            )
        self.used += 1
        return None

    def _rate_headers(self) -> dict[str, str]:
        if self.rate_limit is None:
            return {}
        return {
            "X-Rate-Limit-Limit": str(self.rate_limit),
            "X-Rate-Limit-Remaining": str(max(self.rate_limit - self.used, 0)),
            "X-Rate-Limit-Reset": str(int(self.window_start + 3600)),
        }

    # the API ---------------------------------------------------------------------------------------------------
    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(API)
        query = request.url.params
        body = json.loads(request.content) if request.content else {}
        project = body.get("project_id") or query.get("project_id")
        project_id = int(project) if project is not None else None
        if path.startswith("webhooks/hooks"):
            return self._hooks(request, path, body)
        parts = path.split("/")
        if request.method == "PATCH" and parts[-1] == "sync":
            collection = "/".join(parts[:-1])
            return self._sync(collection, None if collection == "vendors" else project_id, body["updates"])
        if request.method == "GET" and parts[-1].isdigit():
            row = next((r for r in self.table("/".join(parts[:-1]), project_id) if r["id"] == int(parts[-1])), None)
            return httpx.Response(200, json=row) if row else httpx.Response(404, json={"errors": "not found"})
        if request.method == "GET":
            return self._page(request, self._filtered(self.table(path, project_id), query))
        if request.method == "DELETE" and parts[-1].isdigit():
            table = self.rows.get(("/".join(parts[:-1]), project_id), [])
            row = next((r for r in table if r["id"] == int(parts[-1])), None)
            if row is None:
                return httpx.Response(404, json={"errors": "not found"})
            refused = self.refuse("/".join(parts[:-1]) + "#delete", row)
            if refused:
                return httpx.Response(422, json={"errors": refused})
            table.remove(row)
            return httpx.Response(204)
        return httpx.Response(404, json={"errors": f"no route {request.method} {path}"})

    def _filtered(self, rows: list[dict], query: httpx.QueryParams) -> list[dict]:
        if "filters[origin_id]" in query:
            rows = [r for r in rows if r.get("origin_id") == query["filters[origin_id]"]]
        if "filters[id][]" in query:
            ids = {int(i) for i in query.get_list("filters[id][]")}
            rows = [r for r in rows if r["id"] in ids]
        if "filters[updated_at]" in query:
            start, end = (datetime.fromisoformat(end) for end in query["filters[updated_at]"].split("..."))
            rows = [r for r in rows if start <= datetime.fromisoformat(r["updated_at"]) <= end]
        return rows

    def _page(self, request: httpx.Request, rows: list[dict]) -> httpx.Response:
        query = request.url.params
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", "100"))
        last = max(1, -(-len(rows) // per_page))
        rels = {"first": 1, "prev": page - 1} if page > 1 else {}
        rels |= {"next": page + 1, "last": last} if page < last else {}
        links = [f'<{request.url.copy_merge_params({"page": str(n)})}>; rel="{rel}"' for rel, n in rels.items()]
        headers = {"Total": str(len(rows)), "Per-Page": str(per_page)}
        if links:
            headers["Link"] = ", ".join(links)
        return httpx.Response(200, json=rows[(page - 1) * per_page : page * per_page], headers=headers)

    def _sync(self, collection: str, project_id: int | None, updates: list[dict]) -> httpx.Response:
        if len(updates) > 1000:
            return httpx.Response(413, json={"errors": "too many updates"})
        table = self.rows.setdefault((collection, project_id), [])
        entities, errors = [], []
        for entry in updates:
            refused = self.refuse(collection, entry)
            if "id" in entry:
                row = next((r for r in table if r["id"] == entry["id"]), None)
                if row is None:
                    refused = {"id": ["not found"]}
            else:
                row = next(
                    (r for r in table if entry.get("origin_id") and r.get("origin_id") == entry["origin_id"]), None
                )
            if refused:
                errors.append({**entry, "errors": refused})
                continue
            if row is None:
                row = self.seed(collection, project_id)
            row.update(entry)
            entities.append(dict(row))
        return httpx.Response(200, json={"entities": entities, "errors": errors})

    def _hooks(self, request: httpx.Request, path: str, body: dict) -> httpx.Response:
        parts = path.split("/")  # webhooks, hooks[, id[, triggers]]
        if len(parts) == 2 and request.method == "GET":
            namespace = request.url.params.get("namespace")
            hooks = [_masked(h) for h in self.table("hooks") if namespace in (None, h["namespace"])]
            return httpx.Response(200, json=hooks)
        if len(parts) == 2 and request.method == "POST":
            return httpx.Response(201, json=_masked(self.seed("hooks", None, **body["hook"])))
        hook = next(h for h in self.table("hooks") if h["id"] == int(parts[2]))
        if len(parts) == 3 and request.method == "PATCH":
            hook.update(body["hook"])
            return httpx.Response(200, json=_masked(hook))
        if request.method == "GET":
            return httpx.Response(200, json=self.table(f"triggers@{hook['id']}"))
        trigger = body["trigger"]
        stored = self.seed(f"triggers@{hook['id']}", None, webhook_hook_id=hook["id"], **trigger)
        stored["event_type"] = trigger["event_type"].upper()  # Procore lists them in upper case
        return httpx.Response(201, json=stored)


def _masked(hook: dict) -> dict:
    """A hook as Procore shows it: its Authorization header masked but for the last 5 characters."""
    auth = hook.get("destination_headers", {}).get("Authorization", "")
    return {**hook, "destination_headers": {"Authorization": "*****" + auth[-5:]}}


def resource(**overrides) -> ProcoreResource:
    return ProcoreResource(
        **{
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "company_id": COMPANY,
            "max_retry_wait_seconds": 120,
            **overrides,
        }
    )


@contextmanager
def connected(fake: FakeProcore, **overrides) -> Iterator[ProcoreClient]:
    settings = resource(**overrides)
    with settings.closing_stack() as stack:
        yield settings.connect(stack, httpx.MockTransport(fake), sleep=fake.clock.sleep, clock=fake.clock.time)


def sent(request: httpx.Request) -> dict:
    return json.loads(request.content)
