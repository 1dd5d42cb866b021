"""Dynamics 365 F&O OData v4 under /data/ (microsoft.md §3): reads across companies with server-driven paging,
writes to fully keyed URLs (dataAreaId is part of every key), and `$batch` change sets so a sales order header and
its lines are created in one transaction. Errors carry F&O's infolog text (`innererror.message`)."""

from collections.abc import Iterator, Sequence

import httpx

from ml_connector_dagster import odata_batch as batch
from ml_connector_dagster.http import NOT_IDEMPOTENT, ApiError, AuthError, CallCounter

MAX_PAGE_SIZE = 10_000
HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}


def key_path(entity_set: str, key: dict[str, str]) -> str:
    return f"{entity_set}(" + ",".join(f"{name}='{str(value).replace(chr(39), chr(39) * 2)}'"
                                       for name, value in key.items()) + ")"


class FoError(ApiError):
    """F&O refused one write (validation, a missing related record): the record's dead-letter reason."""


class DynamicsFoClient:
    def __init__(self, http: httpx.Client, *, counter: CallCounter, page_size: int = MAX_PAGE_SIZE):
        self.http = http
        self.counter = counter
        self.page_size = min(page_size, MAX_PAGE_SIZE)

    def rows(self, entity_set: str, *, select: Sequence[str] | None = None, filter: str | None = None,
             company: str | None = None, expand: Sequence[str] = ()) -> Iterator[dict]:
        """Rows of one company (dataAreaId), or of every company the app may see, following @odata.nextLink."""
        # Without cross-company=true F&O answers from the user's default company only, whatever the filter says.
        conditions = [f"dataAreaId eq '{company.lower()}'"] if company else []
        conditions += [filter] if filter else []
        params = {"cross-company": "true"}
        if select:
            params["$select"] = ",".join(select)
        if expand:
            params["$expand"] = ",".join(expand)
        if conditions:
            params["$filter"] = " and ".join(f"({c})" if " or " in c else c for c in conditions)
        url: str | None = entity_set
        headers = {"Prefer": f"odata.maxpagesize={self.page_size}"}
        while url:
            body = self._send("GET", url, params=params, headers=headers).json()
            yield from ({k: v for k, v in row.items() if not k.startswith("@odata.")} for row in body.get("value", []))
            url, params = body.get("@odata.nextLink"), None

    def create(self, entity_set: str, body: dict) -> dict:
        return self._send("POST", entity_set, json=body).json()

    def update(self, entity_set: str, key: dict[str, str], body: dict) -> None:
        self._send("PATCH", key_path(entity_set, key), json=body)

    def changeset(self, operations: list[batch.Operation]) -> list[batch.PartResponse]:
        """All operations in one transaction; raises FoError with F&O's reason when the service rolled it back."""
        [parts] = self.changesets([operations])
        failed = next((part for part in parts if part.status >= 400), None)
        if failed is not None:
            code, message = _error_of(failed.body)
            raise FoError("dynamics_fo", f"change set rolled back: {message}", status=failed.status, code=code)
        return parts

    def changesets(self, changesets: list[list[batch.Operation]]) -> list[list[batch.PartResponse]]:
        """Several transactions in one call, each answered by its parts or, when rolled back, by its failure.
        A lost answer raises httpx.TransportError: the sets may have been applied, so they are not re-sent here."""
        root = str(self.http.base_url).rstrip("/")
        # `$1/...` refers to what an earlier part of the set created; everything else is relative to /data/.
        absolute = [[batch.Operation(op.method, op.url if op.url.startswith("$") else f"{root}/{op.url}", op.body)
                     for op in operations] for operations in changesets]
        content_type, body = batch.compose_changesets(absolute)
        response = self._send("POST", "$batch", content=body, headers={"Content-Type": content_type},
                              extensions=NOT_IDEMPOTENT)
        groups = batch.parse_grouped(response.headers["content-type"], response.content)
        if len(groups) != len(changesets):
            raise ApiError("dynamics_fo", f"$batch answered {len(groups)} change sets of {len(changesets)}")
        return groups

    def _send(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        merged = {**HEADERS, **(headers or {})}
        response = self.http.request(method, url, headers=merged, **kwargs)
        if response.status_code < 300:
            return response
        try:
            code, message = _error_of(response.json())
        except ValueError:
            code, message = None, response.text[:200] or response.reason_phrase
        if response.status_code in (401, 403):
            raise AuthError("dynamics_fo", f"{method} {url} refused: {message}", status=response.status_code)
        error = FoError if method != "GET" and response.status_code in (400, 404, 409, 412, 500) else ApiError
        raise error("dynamics_fo", f"{method} {url} failed: {message}", status=response.status_code, code=code)

    def close(self) -> None:
        self.http.close()


def _error_of(body: dict | None) -> tuple[str | None, str]:
    error = (body or {}).get("error") or {}
    inner = error.get("innererror") or {}
    return error.get("code") or None, inner.get("message") or error.get("message") or "no error message"
