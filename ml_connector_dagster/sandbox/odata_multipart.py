"""The server side of OData `$batch` (microsoft.md §2.8): split a multipart/mixed request into HTTP requests and
change sets, and write the multipart/mixed answer."""

import functools
import uuid
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus

MAX_PARTS = 1000


class _HeadersParsedOnce(HeaderRegistry):
    """The email package parses a header again each time it is read, making a new class for it each time, and a batch
    of a thousand parts reads the same few headers thousands of times. A header's parse depends on its name and value
    alone and the parsed header is never changed, so each distinct one is parsed once and shared."""

    def __call__(self, name: str, value: str):
        return _parsed(name, value)


_REGISTRY = HeaderRegistry()
_parsed = functools.lru_cache(maxsize=4096)(_REGISTRY)
_POLICY = HTTP.clone(header_factory=_HeadersParsedOnce())


@dataclass
class PartRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    content_id: str | None = None


@dataclass
class ChangeSet:
    requests: list[PartRequest] = field(default_factory=list)


@dataclass
class PartResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    content_id: str | None = None


class BatchError(ValueError):
    pass


def parse_batch(content_type: str, body: bytes) -> list[PartRequest | ChangeSet]:
    if not content_type.startswith("multipart/mixed") or "boundary=" not in content_type:
        raise BatchError("The batch request must have a Content-Type of multipart/mixed with a boundary.")
    message = BytesParser(policy=_POLICY).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise BatchError("The batch request body is not a valid multipart/mixed message.")
    items: list[PartRequest | ChangeSet] = []
    for part in message.iter_parts():
        if part.get_content_type() == "multipart/mixed":
            changeset = ChangeSet([_request(inner) for inner in part.iter_parts()])
            if any(request.method == "GET" for request in changeset.requests):
                raise BatchError("GET requests are not allowed inside a change set.")
            items.append(changeset)
        else:
            items.append(_request(part))
    if sum(len(i.requests) if isinstance(i, ChangeSet) else 1 for i in items) > MAX_PARTS:
        raise BatchError(f"The number of requests in a batch exceeds the maximum of {MAX_PARTS}.")
    return items


def _request(part) -> PartRequest:
    if part.get_content_type() != "application/http":
        raise BatchError("Each batch part must have Content-Type application/http.")
    raw = part.get_payload(decode=True) or b""
    head, _, payload = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    request_line, *header_lines = head.decode("utf-8").split("\n")
    words = request_line.split()
    if len(words) != 3 or not words[2].startswith("HTTP/"):
        raise BatchError(f"The batch part request line '{request_line}' is not valid.")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return PartRequest(words[0].upper(), words[1], headers, payload.strip(), part.get("Content-ID"))


def compose_batch(items: list[PartResponse | list[PartResponse]]) -> tuple[str, bytes]:
    boundary = f"batchresponse_{uuid.uuid4()}"
    lines: list[bytes] = []
    for item in items:
        lines.append(f"--{boundary}".encode())
        if isinstance(item, list):
            inner = f"changesetresponse_{uuid.uuid4()}"
            lines += [f"Content-Type: multipart/mixed; boundary={inner}".encode(), b""]
            for response in item:
                lines += [f"--{inner}".encode(), *_part(response)]
            lines.append(f"--{inner}--".encode())
        else:
            lines += _part(item)
    lines += [f"--{boundary}--".encode(), b""]
    return f"multipart/mixed; boundary={boundary}", b"\r\n".join(lines)


def _part(response: PartResponse) -> list[bytes]:
    head = [b"Content-Type: application/http", b"Content-Transfer-Encoding: binary"]
    if response.content_id:
        head.append(f"Content-ID: {response.content_id}".encode())
    status_line = f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"
    headers = [f"{name}: {value}".encode() for name, value in response.headers.items()]
    return [*head, b"", status_line.encode(), *headers, b"", response.body]
