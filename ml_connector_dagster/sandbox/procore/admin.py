"""The sandbox's own surface under `/_admin` (no Procore credentials): a Procore user's actions in the web UI
(requisitions and commitment change orders entered, edited, approved, deleted; cost codes created, moved, deleted;
contracts edited), each validated as Procore would and announced to the webhooks; the state of any record; the
webhook deliveries and queues, and the events held back released; the request log; tokens expired on demand. Each
route calls the emulator's Python method of the same action, which tests call directly."""

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ml_connector_dagster.sandbox.procore.errors import Invalid, ProcoreError, not_found

if TYPE_CHECKING:
    from ml_connector_dagster.sandbox.procore.emulator import ProcoreEmulator

_PROJECT = "/projects/{project_id:int}"


def found(row: dict | None) -> dict:
    if row is None:
        raise not_found()
    return row


def routes(emulator: "ProcoreEmulator") -> list[BaseRoute]:
    def answering(action):
        async def endpoint(request: Request) -> Response:
            try:
                body = await request.json() if request.method in ("POST", "PATCH") else {}
            except ValueError:
                return JSONResponse({"errors": "The request body is not valid JSON"}, status_code=400)
            try:
                status, result = action(request.path_params, body if isinstance(body, dict) else {}, request)
            except Invalid as invalid:
                return JSONResponse({"errors": invalid.errors}, status_code=invalid.status)
            except ProcoreError as error:
                return error.response()
            except KeyError as error:
                return JSONResponse({"errors": f"unknown {error}"}, status_code=404)
            return JSONResponse(result, status_code=status) if result is not None else Response(status_code=status)

        return endpoint

    def state(p, body, request):
        project = request.query_params.get("project_id")
        return 200, {"records": emulator.state(p["kind"], int(project) if project else None)}

    def record(p, body, request):
        rows = [r for r in emulator.state(p["kind"]) if r["id"] == p["id"]]
        return 200, found(rows[0] if rows else None)

    def create_requisition(p, body, request):
        fields = {k: v for k, v in body.items() if k not in ("commitment_id", "items")}
        requisition = emulator.create_requisition(
            p["project_id"], body.get("commitment_id"), items=body.get("items", []), **fields
        )
        return 201, requisition

    def requisition(p, body, request):
        if request.method == "DELETE":
            return 200, emulator.delete_requisition(p["project_id"], p["id"])
        return 200, emulator.edit_requisition(p["project_id"], p["id"], body)

    def create_change_order(p, body, request):
        fields = {k: v for k, v in body.items() if k not in ("contract_id", "title", "line_items")}
        order = emulator.create_change_order(
            p["project_id"], body.get("contract_id"), body.get("title"), line_items=body.get("line_items", []), **fields
        )
        return 201, order

    def change_order(p, body, request):
        if request.method == "DELETE":
            return 200, emulator.delete_change_order(p["project_id"], p["id"])
        return 200, emulator.edit_change_order(p["project_id"], p["id"], body)

    def create_cost_code(p, body, request):
        fields = {k: v for k, v in body.items() if k not in ("code", "name")}
        return 201, emulator.create_cost_code(p["project_id"], body.get("code"), body.get("name"), **fields)

    def cost_code(p, body, request):
        if request.method == "DELETE":
            return 200, emulator.delete_cost_code(p["project_id"], p["id"])
        return 200, emulator.edit_cost_code(p["project_id"], p["id"], body)

    def contract(p, body, request):
        return 200, emulator.edit_contract(p["project_id"], p["id"], body)

    def deliveries(p, body, request):
        hook_id = request.query_params.get("hook_id")
        records = emulator.deliveries(int(hook_id) if hook_id else None)
        return 200, {"deliveries": records, "destinations": emulator.webhooks.deliveries.state()}

    def drain(p, body, request):
        return 200, {"drained": emulator.webhooks.drain(float(body.get("timeout", 5)))}

    def release(p, body, request):
        return 200, {"released": emulator.webhooks.release(bool(body.get("newest_first", False)))}

    def requests(p, body, request):
        if request.method == "DELETE":
            emulator.requests.clear()
        return 200, {"requests": list(emulator.requests)}

    def expire(p, body, request):
        emulator.expire_tokens()
        return 200, {"expired": True}

    return [
        Route("/state/{kind}", answering(state), methods=["GET"]),
        Route("/state/{kind}/{id:int}", answering(record), methods=["GET"]),
        Route(f"{_PROJECT}/requisitions", answering(create_requisition), methods=["POST"]),
        Route(f"{_PROJECT}/requisitions/{{id:int}}", answering(requisition), methods=["PATCH", "DELETE"]),
        Route(f"{_PROJECT}/commitment_change_orders", answering(create_change_order), methods=["POST"]),
        Route(f"{_PROJECT}/commitment_change_orders/{{id:int}}", answering(change_order), methods=["PATCH", "DELETE"]),
        Route(f"{_PROJECT}/cost_codes", answering(create_cost_code), methods=["POST"]),
        Route(f"{_PROJECT}/cost_codes/{{id:int}}", answering(cost_code), methods=["PATCH", "DELETE"]),
        Route(f"{_PROJECT}/purchase_order_contracts/{{id:int}}", answering(contract), methods=["PATCH"]),
        Route("/deliveries", answering(deliveries), methods=["GET"]),
        Route("/webhooks/drain", answering(drain), methods=["POST"]),
        Route("/webhooks/release", answering(release), methods=["POST"]),
        Route("/requests", answering(requests), methods=["GET", "DELETE"]),
        Route("/expire-tokens", answering(expire), methods=["POST"]),
    ]
