"""The REST routes (`/rest/v1.0/...`) and what each needs: the tool of the app's manifest it belongs to and the
permission level (reads need read_only, writes standard, webhooks admin), the company or project parameter it is
scoped by. A route's handler answers a body and a status; list routes page through listing.page. Paths, bodies and
answers follow the SDK docs of each endpoint (crm_targets.md §3.6-§3.10)."""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ml_connector_dagster.sandbox.procore import listing, sync
from ml_connector_dagster.sandbox.procore.change_orders import ChangeOrders
from ml_connector_dagster.sandbox.procore.company import Actor, Company
from ml_connector_dagster.sandbox.procore.contracts import Contracts, LineItems
from ml_connector_dagster.sandbox.procore.cost_codes import CostCodes
from ml_connector_dagster.sandbox.procore.errors import Invalid, bad_request, forbidden, missing_param, not_found
from ml_connector_dagster.sandbox.procore.requisitions import Requisitions
from ml_connector_dagster.sandbox.procore.seed import render_project
from ml_connector_dagster.sandbox.procore.vendors import Vendors
from ml_connector_dagster.sandbox.procore.webhooks import Webhooks, scope_of

_LEVELS = ("none", "read_only", "standard", "admin")


@dataclass
class Call:
    request: Request
    company: Company
    webhooks: Webhooks
    actor: Actor
    ids: tuple[str, ...]
    body: dict

    @property
    def params(self):
        return self.request.query_params

    def param(self, name: str):
        """A scope parameter from the query or, for writes, the body."""
        value = self.params.get(name)
        return value if value not in (None, "") else self.body.get(name)

    def project(self) -> dict:
        named = {str(v) for v in (self.params.get("project_id"), self.body.get("project_id")) if v not in (None, "")}
        if len(named) > 1:
            # Guess: a call naming two projects (query and body) is refused rather than resolved.
            raise bad_request("project_id differs between the query and the body")
        return self.company.project(self.param("project_id"))

    def entity(self, name: str) -> dict:
        value = self.body.get(name)
        if not isinstance(value, dict):
            raise missing_param(name)
        return value

    def page(self, rows: list[dict], render: Callable[[dict], dict]) -> Response:
        """One page of the selected rows, rendered."""
        settings = self.company.settings()
        rows, headers = listing.page(
            self.request.url, self.params, rows, settings.default_per_page, settings.max_per_page
        )
        return JSONResponse([render(row) for row in rows], headers=headers)


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    tool: str
    level: str
    handler: Handler


def dispatch(call: Call, method: str, path: str, tools: dict[str, str]) -> Response:
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match and route.method == method:
            if _LEVELS.index(tools.get(route.tool, "none")) < _LEVELS.index(route.level):
                raise forbidden()
            call.ids = match.groups()
            try:
                return route.handler(call)
            except Invalid as invalid:
                return JSONResponse({"errors": invalid.errors}, status_code=invalid.status)
    raise not_found()


def _json(body, status: int = 200) -> Response:
    return JSONResponse(body, status_code=status)


def _company_param(call: Call) -> None:
    """A call scoped by `company_id` must name it (the header selects the context; the parameter is required too)."""
    if call.param("company_id") in (None, ""):
        raise missing_param("company_id")


# projects ----------------------------------------------------------------------------------------------------------
def _projects(call: Call) -> Response:
    _company_param(call)
    allowed = call.company.settings().project_ids
    rows = [r for r in call.company.rows("projects") if allowed is None or r["id"] in allowed]
    return call.page(listing.select(rows, call.params), lambda r: render_project(call.company, r))


def _project(call: Call) -> Response:
    _company_param(call)
    return _json(render_project(call.company, call.company.project(call.ids[0], "id")))


# vendors -----------------------------------------------------------------------------------------------------------
def _vendors(call: Call) -> Vendors:
    _company_param(call)
    return Vendors(call.company, call.actor)


def _vendor_list(call: Call) -> Response:
    vendors = _vendors(call)
    rows = listing.select(call.company.rows("vendors"), call.params)
    if search := call.params.get("filters[search]"):
        rows = [r for r in rows if search.lower() in f"{r.get('name')} {r.get('origin_code') or ''}".lower()]
    return call.page(rows, vendors.render)


def _vendor_show(call: Call) -> Response:
    vendors = _vendors(call)
    return _json(vendors.render(_found(vendors.find(call.ids[0]))))


def _vendor_create(call: Call) -> Response:
    return _json(_vendors(call).create(call.entity("vendor")), 201)


def _vendor_update(call: Call) -> Response:
    vendors = _vendors(call)
    return _json(vendors.update(_found(vendors.find(call.ids[0])), call.entity("vendor")))


def _vendor_sync(call: Call) -> Response:
    vendors = _vendors(call)
    return _json(sync.run(vendors, sync.updates_of(call.body, call.company.settings().max_sync_updates)))


# cost codes --------------------------------------------------------------------------------------------------------
def _cost_codes(call: Call) -> CostCodes:
    return CostCodes(call.company, call.project(), call.actor)


def _cost_code_list(call: Call) -> Response:
    codes = _cost_codes(call)
    rows = call.company.rows("cost_codes", codes.project["id"])
    rows = listing.select(rows, call.params, {"parent_id": lambda r: r.get("parent_id")})
    return call.page(rows, codes.render)


def _cost_code_show(call: Call) -> Response:
    codes = _cost_codes(call)
    return _json(codes.render(_found(codes.find(call.ids[0], deleted=True))))


def _cost_code_create(call: Call) -> Response:
    return _json(_cost_codes(call).create(call.entity("cost_code")), 201)


def _cost_code_update(call: Call) -> Response:
    codes = _cost_codes(call)
    return _json(codes.update(_found(codes.find(call.ids[0])), call.entity("cost_code")))


def _cost_code_sync(call: Call) -> Response:
    codes = _cost_codes(call)
    return _json(sync.run(codes, sync.updates_of(call.body, call.company.settings().max_sync_updates)))


# purchase order contracts ------------------------------------------------------------------------------------------
def _contracts(call: Call) -> Contracts:
    return Contracts(call.company, call.project(), call.actor)


def _contract_list(call: Call) -> Response:
    contracts = _contracts(call)
    rows = call.company.rows("contracts", contracts.project["id"])
    rows = listing.select(
        rows, call.params, {"status": lambda r: r["status"], "vendor_id": lambda r: r.get("vendor_id")}
    )
    return call.page(rows, lambda r: contracts.render(r, with_lines=False))


def _contract_show(call: Call) -> Response:
    contracts = _contracts(call)
    return _json(contracts.render(_found(contracts.find(call.ids[0]))))


def _contract_create(call: Call) -> Response:
    return _json(_contracts(call).create(call.entity("purchase_order_contract")), 201)


def _contract_update(call: Call) -> Response:
    contracts = _contracts(call)
    return _json(contracts.update(_found(contracts.find(call.ids[0])), call.entity("purchase_order_contract")))


def _contract_delete(call: Call) -> Response:
    contracts = _contracts(call)
    contracts.delete(_found(contracts.find(call.ids[0])))
    return Response(status_code=200)


def _contract_sync(call: Call) -> Response:
    contracts = _contracts(call)
    return _json(sync.run(contracts, sync.updates_of(call.body, call.company.settings().max_sync_updates)))


def _line_items(call: Call) -> LineItems:
    contracts = _contracts(call)
    contract = _found(contracts.find(call.ids[0]))
    return LineItems(call.company, contracts.project, contract, call.actor)


def _line_item_list(call: Call) -> Response:
    items = _line_items(call)
    rows = [r for r in call.company.rows("line_items", items.project["id"]) if r["contract_id"] == items.contract["id"]]
    rows = listing.select(rows, call.params, {"cost_code_id": lambda r: r.get("cost_code_id")})
    return call.page(rows, items.render)


def _line_item_show(call: Call) -> Response:
    items = _line_items(call)
    return _json(items.render(_found(items.find(call.ids[1]))))


def _line_item_create(call: Call) -> Response:
    return _json(_line_items(call).create(call.entity("line_item")), 201)


def _line_item_update(call: Call) -> Response:
    items = _line_items(call)
    return _json(items.update(_found(items.find(call.ids[1])), call.entity("line_item")))


def _line_item_delete(call: Call) -> Response:
    items = _line_items(call)
    items.delete(_found(items.find(call.ids[1])))
    return Response(status_code=200)


def _line_item_sync(call: Call) -> Response:
    items = _line_items(call)
    return _json(sync.run(items, sync.updates_of(call.body, call.company.settings().max_sync_updates)))


# requisitions and change orders ------------------------------------------------------------------------------------
def _requisitions(call: Call) -> Requisitions:
    return Requisitions(call.company, call.project(), call.actor)


def _requisition_list(call: Call) -> Response:
    requisitions = _requisitions(call)
    rows = call.company.rows("requisitions", requisitions.project["id"])
    equal = {"commitment_id": lambda r: r["commitment_id"], "status": lambda r: r["status"]}
    return call.page(listing.select(rows, call.params, equal), requisitions.render)


def _requisition_show(call: Call) -> Response:
    requisitions = _requisitions(call)
    return _json(requisitions.render(_found(requisitions.find(call.ids[0]))))


def _requisition_detail(call: Call) -> Response:
    requisitions = _requisitions(call)
    return _json(requisitions.detail(_found(requisitions.find(call.ids[0]))))


def _change_order_list(call: Call, project: dict) -> Response:
    orders = ChangeOrders(call.company, project, call.actor)
    rows = call.company.rows("change_orders", project["id"])
    equal = {"contract_id": lambda r: r["contract_id"], "status": lambda r: r["status"]}
    return call.page(listing.select(rows, call.params, equal), orders.render)


def _change_order_show(call: Call, project: dict, change_order_id: str) -> Response:
    orders = ChangeOrders(call.company, project, call.actor)
    return _json(orders.render(_found(orders.find(change_order_id))))


# webhooks ----------------------------------------------------------------------------------------------------------
def _scope(call: Call) -> tuple[str, int]:
    return scope_of({"company_id": call.param("company_id"), "project_id": call.param("project_id")}, call.company)


def _hook_list(call: Call) -> Response:
    return _json(call.webhooks.hooks(_scope(call), call.params))


def _hook_create(call: Call) -> Response:
    return _json(call.webhooks.create_hook(_scope(call), call.body, call.actor), 201)


def _hook_update(call: Call) -> Response:
    return _json(call.webhooks.update_hook(_scope(call), call.ids[0], call.body))


def _hook_delete(call: Call) -> Response:
    call.webhooks.delete_hook(_scope(call), call.ids[0])
    return Response(status_code=200)


def _trigger_list(call: Call) -> Response:
    return _json(call.webhooks.triggers(_scope(call), call.ids[0]))


def _trigger_create(call: Call) -> Response:
    return _json(call.webhooks.create_trigger(_scope(call), call.ids[0], call.body, call.actor), 201)


def _trigger_delete(call: Call) -> Response:
    call.webhooks.delete_trigger(_scope(call), call.ids[0], call.ids[1])
    return Response(status_code=200)


def _delivery_list(call: Call) -> Response:
    return _json(call.webhooks.delivered(_scope(call), call.ids[0], call.params))


def _found(row: dict | None) -> dict:
    if row is None:
        raise not_found()
    return row


def _route(method: str, path: str, tool: str, handler: Handler, level: str | None = None) -> Route:
    pattern = re.compile("/rest/v1.0/" + path.replace("{id}", r"(\d+)"))
    return Route(method, pattern, tool, level or ("read_only" if method == "GET" else "standard"), handler)


ROUTES = [
    _route("GET", "projects", "projects", _projects),
    _route("GET", "projects/{id}", "projects", _project),
    _route("GET", "vendors", "directory", _vendor_list),
    _route("PATCH", "vendors/sync", "directory", _vendor_sync),
    _route("GET", "vendors/{id}", "directory", _vendor_show),
    _route("POST", "vendors", "directory", _vendor_create),
    _route("PATCH", "vendors/{id}", "directory", _vendor_update),
    _route("GET", "cost_codes", "cost_codes", _cost_code_list),
    _route("PATCH", "cost_codes/sync", "cost_codes", _cost_code_sync),
    _route("GET", "cost_codes/{id}", "cost_codes", _cost_code_show),
    _route("POST", "cost_codes", "cost_codes", _cost_code_create),
    _route("PATCH", "cost_codes/{id}", "cost_codes", _cost_code_update),
    _route("GET", "purchase_order_contracts", "commitments", _contract_list),
    _route("PATCH", "purchase_order_contracts/sync", "commitments", _contract_sync),
    _route("GET", "purchase_order_contracts/{id}", "commitments", _contract_show),
    _route("POST", "purchase_order_contracts", "commitments", _contract_create),
    _route("PATCH", "purchase_order_contracts/{id}", "commitments", _contract_update),
    _route("DELETE", "purchase_order_contracts/{id}", "commitments", _contract_delete),
    _route("GET", "purchase_order_contracts/{id}/line_items", "commitments", _line_item_list),
    _route("PATCH", "purchase_order_contracts/{id}/line_items/sync", "commitments", _line_item_sync),
    _route("GET", "purchase_order_contracts/{id}/line_items/{id}", "commitments", _line_item_show),
    _route("POST", "purchase_order_contracts/{id}/line_items", "commitments", _line_item_create),
    _route("PATCH", "purchase_order_contracts/{id}/line_items/{id}", "commitments", _line_item_update),
    _route("DELETE", "purchase_order_contracts/{id}/line_items/{id}", "commitments", _line_item_delete),
    _route("GET", "requisitions", "requisitions", _requisition_list),
    _route("GET", "requisitions/{id}", "requisitions", _requisition_show),
    _route("GET", "requisitions/{id}/detail", "requisitions", _requisition_detail),
    # The contract's paths, with project_id in the query...
    _route("GET", "commitment_change_orders", "change_orders", lambda c: _change_order_list(c, c.project())),
    _route(
        "GET", "commitment_change_orders/{id}", "change_orders", lambda c: _change_order_show(c, c.project(), c.ids[0])
    ),
    # ...and Procore's documented ones, with the project in the path.
    _route(
        "GET",
        "projects/{id}/commitment_change_orders",
        "change_orders",
        lambda c: _change_order_list(c, c.company.project(c.ids[0])),
    ),
    _route(
        "GET",
        "projects/{id}/commitment_change_orders/{id}",
        "change_orders",
        lambda c: _change_order_show(c, c.company.project(c.ids[0]), c.ids[1]),
    ),
    _route("GET", "webhooks/hooks", "webhooks", _hook_list, "admin"),
    _route("POST", "webhooks/hooks", "webhooks", _hook_create, "admin"),
    _route("PATCH", "webhooks/hooks/{id}", "webhooks", _hook_update, "admin"),
    _route("DELETE", "webhooks/hooks/{id}", "webhooks", _hook_delete, "admin"),
    _route("GET", "webhooks/hooks/{id}/triggers", "webhooks", _trigger_list, "admin"),
    _route("POST", "webhooks/hooks/{id}/triggers", "webhooks", _trigger_create, "admin"),
    _route("DELETE", "webhooks/hooks/{id}/triggers/{id}", "webhooks", _trigger_delete, "admin"),
    _route("GET", "webhooks/hooks/{id}/deliveries", "webhooks", _delivery_list, "admin"),
]


def parse_body(raw: bytes) -> dict:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return body
