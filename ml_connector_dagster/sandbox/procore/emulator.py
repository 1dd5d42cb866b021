"""Procore emulator (REST v1.0, crm_targets.md §3 and §4.3): the login host's client-credentials grant
(`POST /oauth/token`) and the API (`/rest/v1.0/...`) on one port, for one company (4262) the DMSA app is installed
in. Every API call needs a live bearer token and the `Procore-Company-Id` header of that company, is counted in
the token's hourly bucket and the spike window (`X-Rate-Limit-*` on every answer, 429 in plain text past them), and
must fall within the tools the app was granted. Company vendors, project cost codes, purchase order contracts and
their line items are read and written (create, update, sync); requisitions and commitment change orders are read;
webhook hooks, triggers and deliveries are managed, and every change of a triggered resource is delivered from a
background worker to the hook's destination.

Requisition answers (`GET /rest/v1.0/requisitions`, `/requisitions/{id}`): id, project_id, number (int),
commitment_id, commitment_type, contract_name, status, billing_date (YYYY-MM-DD), period_id, requisition_start/end,
invoice_number, origin_id, vendor_id, vendor_name, total_claimed_amount, created_at, updated_at, summary {...}.
Their items, Procore's G703 detail lines, come from `GET /rest/v1.0/requisitions/{id}/detail?project_id=` (a bare
array, not paginated): id, item_type "contract_item", item_number, description_of_work, cost_code_id,
scheduled_value, work_completed_from_previous_application, work_completed_this_period, materials_presently_stored,
total_completed_and_stored_to_date, balance_to_finish, retainage amounts; amounts are decimal strings.
Commitment change orders (`GET /rest/v1.0/commitment_change_orders?project_id=`, `/{id}`, and Procore's own
`/rest/v1.0/projects/{project_id}/commitment_change_orders[/{id}]`): id, number, title, status, contract_id,
grand_total, due_date, executed, reviewed_at, updated_at, line_items [{id, cost_code_id, amount, description}].

Everything under `/_admin` is the sandbox's own: a Procore user entering requisitions and change orders, cost
codes and contract edits (webhooks fire as for API changes), the state of any record, deliveries, the request log."""

from collections import deque
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.emulator import Emulator, basic_credentials
from ml_connector_dagster.sandbox.procore import admin
from ml_connector_dagster.sandbox.procore.api import Call, dispatch, parse_body
from ml_connector_dagster.sandbox.procore.auth import OAuthError, Tokens
from ml_connector_dagster.sandbox.procore.change_orders import ChangeOrders
from ml_connector_dagster.sandbox.procore.company import USER, Company
from ml_connector_dagster.sandbox.procore.contracts import Contracts, LineItems
from ml_connector_dagster.sandbox.procore.cost_codes import CostCodes
from ml_connector_dagster.sandbox.procore.errors import ProcoreError, bad_request, forbidden, unauthorized
from ml_connector_dagster.sandbox.procore.limits import HOURLY_MESSAGE, RateLimits
from ml_connector_dagster.sandbox.procore.requisitions import Requisitions
from ml_connector_dagster.sandbox.procore.seed import render_project, seed
from ml_connector_dagster.sandbox.procore.settings import LEVEL_NAMES, TOOLS, ProcoreSettings
from ml_connector_dagster.sandbox.procore.store import Store
from ml_connector_dagster.sandbox.procore.vendors import Vendors
from ml_connector_dagster.sandbox.procore.webhooks import Webhooks, render_hook, render_trigger

__all__ = ["ProcoreEmulator", "ProcoreSettings"]

# admin state kinds → the store's kinds
KINDS = {
    "projects": "projects",
    "vendors": "vendors",
    "cost_codes": "cost_codes",
    "purchase_order_contracts": "contracts",
    "line_items": "line_items",
    "requisitions": "requisitions",
    "commitment_change_orders": "change_orders",
    "hooks": "hooks",
    "triggers": "triggers",
}


class ProcoreEmulator(Emulator):
    name = "procore"
    Settings = ProcoreSettings
    settings: ProcoreSettings

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.store = Store(self.state_dir / "procore.sqlite" if self.state_dir else None)
        self.webhooks = Webhooks(self.store, self.clock, lambda: self.settings)
        self.company = Company(
            self.store,
            self.clock,
            lambda: self.settings,
            lambda change: self.webhooks.announce(self.company.id, change),
        )
        self.tokens = Tokens(self.clock.now, lambda: self.settings)
        self.limits = RateLimits(self.clock.now, lambda: self.settings)
        self.requests: deque[dict] = deque(maxlen=5000)
        seed(self.company)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/oauth/token", self._token, methods=["POST"]),
            Route("/rest/{path:path}", self._api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        return admin.routes(self)

    def render_fault(self, status: int, retry_after: int | None) -> Response:
        if status == 429:
            return PlainTextResponse(HOURLY_MESSAGE, status_code=429)
        # Guess: Procore's body for a server-side failure.
        return JSONResponse({"errors": "We're sorry, but something went wrong."}, status_code=status)

    # login host ----------------------------------------------------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        entry = self.log_request(self.requests, request)
        raw = await request.body()
        form: dict = dict(parse_qsl(raw.decode(errors="replace")))
        if "json" in request.headers.get("content-type", ""):
            try:
                form = {k: str(v) for k, v in parse_body(raw).items()}
            except ProcoreError:
                form = {}
        try:
            answer = JSONResponse(self.tokens.grant(form, basic_credentials(request.headers.get("authorization"))))
        except OAuthError as error:
            answer = JSONResponse(error.body(), status_code=error.status)
        entry["status"] = answer.status_code
        return answer

    # the API -------------------------------------------------------------------------------------------------------
    async def _api(self, request: Request) -> Response:
        entry = self.log_request(self.requests, request)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        company = request.headers.get("procore-company-id", "")
        access, _ = self.tokens.check(token)
        rate, refused = self.limits.admit(access.client_id if access else token, company)
        answer = refused or await self._answer(request, token, company)
        answer.headers.update(rate)
        entry["status"] = answer.status_code
        return answer

    async def _answer(self, request: Request, token: str, company: str) -> Response:
        access, why = self.tokens.check(token)
        if access is None:
            return unauthorized(why)
        try:
            if request.url.path == "/rest/v1.0/companies" and request.method == "GET":
                return self._companies()
            if not company:
                # Guess: the refusal of a call without the header every v1.0 endpoint lists as required.
                raise bad_request("Procore-Company-Id header is required")
            if company != str(self.company.id) or not self.settings.installed:
                # Guess (§3.5): the app is installed in one company; any other is refused.
                raise forbidden("App is not connected to this company")
            body = parse_body(await request.body()) if request.method != "GET" else {}
            for named in (request.query_params.get("company_id"), body.get("company_id")):
                if named not in (None, "") and str(named) != company:
                    raise forbidden("The company_id does not match the Procore-Company-Id header")
            if request.url.path == "/rest/v1.0/settings/permissions" and request.method == "GET":
                return self._permissions()
            call = Call(request, self.company, self.webhooks, self.company.service_account(), (), body)
            return dispatch(call, request.method, request.url.path, self.settings.tools)
        except ProcoreError as error:
            return error.response()

    def _companies(self) -> Response:
        """`GET /rest/v1.0/companies`: the companies the app may reach (no Procore-Company-Id: it is how a client
        finds its company). A DMSA app reaches the one it is installed in."""
        installed = [{"id": self.company.id, "name": self.settings.company_name, "is_active": True}]
        return JSONResponse(installed if self.settings.installed else [])

    def _permissions(self) -> Response:
        """`GET /rest/v1.0/settings/permissions?company_id=`: the permission manifest of the caller at company level.
        Guess: the shape (a `tools` list, each with its name and `user_access_level.name` as the permission
        templates show it: None, Read Only, Standard, Admin); the emulator's tool names are its own (settings.TOOLS)."""
        return JSONResponse(
            {
                "tools": [
                    {"name": tool, "user_access_level": {"name": LEVEL_NAMES[self.settings.tools.get(tool, "none")]}}
                    for tool in TOOLS
                ]
            }
        )

    # a Procore user's actions (tests and the admin surface); validation failures raise errors.Invalid ------------
    def create_requisition(self, project_id: int, commitment_id: int, *, items=(), **fields) -> dict:
        """A subcontractor invoice entered on the contract: `items` set this period's work per line, each
        {line_item_id | cost_code_id, work_completed_this_period[, materials_presently_stored]}; `fields` among
        status, invoice_number, billing_date, comment, final, origin_id, payment_date."""
        return self._requisitions(project_id).create(commitment_id, {**fields, "items": list(items)})

    def edit_requisition(self, project_id: int, requisition_id: int, changes: dict) -> dict:
        """Status changes (under_review, approved, approved_as_noted, ...), new amounts (`items`), invoice number..."""
        requisitions = self._requisitions(project_id)
        return requisitions.update(admin.found(requisitions.find(requisition_id)), changes)

    def delete_requisition(self, project_id: int, requisition_id: int) -> None:
        requisitions = self._requisitions(project_id)
        requisitions.delete(admin.found(requisitions.find(requisition_id)))

    def create_change_order(self, project_id: int, contract_id: int, title: str, *, line_items=(), **fields) -> dict:
        """`line_items` [{cost_code_id, amount, description}]; `fields` among status, description, due_date,
        executed, private, origin_id."""
        orders = self._change_orders(project_id)
        return orders.create(contract_id, {**fields, "title": title, "line_items": list(line_items)})

    def edit_change_order(self, project_id: int, change_order_id: int, changes: dict) -> dict:
        orders = self._change_orders(project_id)
        return orders.update(admin.found(orders.find(change_order_id)), changes)

    def delete_change_order(self, project_id: int, change_order_id: int) -> None:
        orders = self._change_orders(project_id)
        orders.delete(admin.found(orders.find(change_order_id)))

    def create_cost_code(
        self, project_id: int, code: str, name: str, *, parent_id: int | None = None, **fields
    ) -> dict:
        values = {"code": code, "name": name, **fields} | ({"parent_id": parent_id} if parent_id else {})
        return self._cost_codes(project_id).create(values)

    def edit_cost_code(self, project_id: int, cost_code_id: int, changes: dict) -> dict:
        """Renaming, recoding or moving a code under another parent, as a project admin does."""
        codes = self._cost_codes(project_id)
        return codes.update(admin.found(codes.find(cost_code_id)), changes)

    def delete_cost_code(self, project_id: int, cost_code_id: int) -> None:
        codes = self._cost_codes(project_id)
        codes.delete(admin.found(codes.find(cost_code_id)))

    def edit_contract(self, project_id: int, contract_id: int, changes: dict) -> dict:
        """A user's edit of a purchase order contract (status, executed, title...), validated as the API's."""
        contracts = Contracts(self.company, self._project(project_id), USER)
        return contracts.update(admin.found(contracts.find(contract_id)), changes)

    def state(self, kind: str, project_id: int | None = None) -> list[dict]:
        """Every record of a kind (projects, vendors, cost_codes, purchase_order_contracts, line_items,
        requisitions, commitment_change_orders, hooks, triggers) as the API renders it, deleted ones included."""
        rows = sorted(self.company.rows(KINDS[kind], project_id), key=lambda r: r["id"])
        return [self.render(kind, row) for row in rows]

    def render(self, kind: str, row: dict) -> dict:
        company = self.company
        project = company.store.get("projects", row["project_id"]) if "project_id" in row else None
        if kind == "projects":
            return render_project(company, row)
        if kind == "vendors":
            return Vendors(company, USER).render(row)
        if kind == "cost_codes":
            return CostCodes(company, project, USER).render(row)
        if kind == "purchase_order_contracts":
            return Contracts(company, project, USER).render(row)
        if kind == "line_items":
            return LineItems(company, project, company.store.get("contracts", row["contract_id"]), USER).render(row)
        if kind == "requisitions":
            requisitions = Requisitions(company, project, USER)
            return {**requisitions.render(row), "detail": requisitions.detail(row)}
        if kind == "commitment_change_orders":
            return ChangeOrders(company, project, USER).render(row)
        return render_hook(row) if kind == "hooks" else render_trigger(row)

    def deliveries(self, hook_id: int | None = None) -> list[dict]:
        """Every delivery attempt (oldest first): hook_id, event_id, event (the payload), outcome, response_status..."""
        return self.webhooks.deliveries.records(hook_id)

    def expire_tokens(self) -> None:
        self.tokens.expire_all()

    def _project(self, project_id: int) -> dict:
        return self.company.project(project_id, member=False)

    def _requisitions(self, project_id: int) -> Requisitions:
        return Requisitions(self.company, self._project(project_id), USER)

    def _change_orders(self, project_id: int) -> ChangeOrders:
        return ChangeOrders(self.company, self._project(project_id), USER)

    def _cost_codes(self, project_id: int) -> CostCodes:
        return CostCodes(self.company, self._project(project_id), USER)
