"""What both OData emulators (Dataverse, F&O) share between their request handling and HTTP: the reply a handler
returns, turning it into a Starlette response, and the transaction plumbing of `$batch` change sets."""

from dataclasses import dataclass, field

from starlette.responses import JSONResponse, Response

from ml_connector_dagster.sandbox import odata_multipart as multipart


@dataclass
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | bytes | None = None


def to_response(reply: Reply, json_type: str) -> Response:
    headers = {"OData-Version": "4.0", **reply.headers}
    if isinstance(reply.body, dict):
        return JSONResponse(reply.body, status_code=reply.status, headers=headers, media_type=json_type)
    return Response(
        reply.body or b"", status_code=reply.status, headers=headers, media_type=headers.pop("Content-Type", None)
    )


class RolledBack(Exception):
    """A change set part failed: the transaction is discarded and this part's answer stands for the set."""

    def __init__(self, answer: multipart.PartResponse):
        self.answer = answer


class Joined:
    """An enclosing change set's transaction: commit or rollback belongs to it."""

    def __init__(self, tx):
        self.tx = tx

    def __enter__(self):
        return self.tx

    def __exit__(self, *exc) -> None:
        return None
