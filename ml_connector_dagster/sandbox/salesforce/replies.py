"""Reading request bodies and writing answers as the REST API does: JSON, CSV for bulk results, 204 with no body."""

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ml_connector_dagster.sandbox.salesforce.errors import SfError

Reply = tuple[int, object]  # (status, JSON body | CSV text | None for no body)


async def json_body(request: Request) -> dict:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise SfError(400, "JSON_PARSER_ERROR", "Unexpected character: the request body is not JSON") from None
    if not isinstance(body, dict):
        raise SfError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of object from START_ARRAY value")
    return body


def to_response(reply: Reply, headers: dict[str, str]) -> Response:
    status, body = reply
    if body is None:
        return Response(status_code=status, headers=headers)
    if isinstance(body, str):
        return Response(body, status_code=status, media_type="text/csv", headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)
