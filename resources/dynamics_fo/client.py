"""Dynamics 365 F&O OData v4 under /data/ (microsoft.md §3): reads across companies with server-driven paging,
writes to fully keyed URLs (dataAreaId is part of every key), and `$batch` change sets so a sales order header and
its lines are created in one transaction. Errors carry F&O's infolog text (`innererror.message`)."""

from collections.abc import Iterator, Sequence

import httpx
from ml_connector_dagster.resources.dynamics_fo.errors import ERRORS, FoError, error_of, error_type

from ml_connector_dagster import odata
from ml_connector_dagster import odata_batch as batch
from ml_connector_dagster.http import NOT_IDEMPOTENT, UNSENT_ERRORS, ApiError, CallCounter, raise_for_vendor
from ml_connector_dagster.odata import literal
from ml_connector_dagster.paging import NextLinkPaginator, PageRequest, paginate

MAX_PAGE_SIZE = 10_000
HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
# A gateway answering for F&O says nothing of what F&O did with the request: it may still be processing it.
GATEWAY_STATUSES = frozenset({502, 504})


class Unreachable(ApiError):
    """Nothing was sent: F&O's host could not be reached (after the http layer's retries)."""


class Unanswered(ApiError):
    """The request was sent and no answer of F&O's came back (a read timeout, a reset, a dropped answer, a gateway's
    502/504): a write may have been applied, or may still be being applied. `cause` names what happened."""

    def __init__(self, message: str, cause: str):
        super().__init__("dynamics_fo", message)
        self.cause = cause


def key_path(entity_set: str, key: dict[str, str]) -> str:
    """`CustomersV3(dataAreaId='usmf',CustomerAccount='A%252FB')`: the key predicate percent-encoded twice. Guess
    (field reports, not Microsoft's pages: essrocks.io "D365 F&O, OData, Slashes, Pluses, and Double Encoding",
    cloudeya.org; the sheet is silent): F&O's web server decodes the path once and routes on it, so a `/` or `\\`
    encoded once splits the route (404 "No HTTP resource was found"), and its OData layer decodes the key a second
    time, as a form value (a `+` becomes a space, `%41` an `A`). Encoded twice, every key arrives whole; one without
    such characters reads the same either way."""
    # Every F&O key field the connector addresses is a string in the EDM, whatever Python type the payload held.
    once = odata.key_path(entity_set, {name: str(value) for name, value in key.items()})
    return once.replace("%", "%25")  # the once-encoded path holds no other character a second encoding changes


class DynamicsFoClient:
    def __init__(self, http: httpx.Client, *, counter: CallCounter, page_size: int = MAX_PAGE_SIZE):
        self.http = http
        self.counter = counter
        self.page_size = min(page_size, MAX_PAGE_SIZE)

    def rows(
        self,
        entity_set: str,
        *,
        select: Sequence[str] | None = None,
        filter: str | None = None,
        company: str | None = None,
        expand: Sequence[str] = (),
        top: int | None = None,
    ) -> Iterator[dict]:
        """Rows of one company (dataAreaId), or of every company the app may see, following @odata.nextLink; at
        most `top` of them."""
        # Without cross-company=true F&O answers from the user's default company only, whatever the filter says.
        conditions = [f"dataAreaId eq {literal(company.lower())}"] if company else []
        conditions += [filter] if filter else []
        params = {"cross-company": "true"}
        if select:
            params["$select"] = ",".join(select)
        if expand:
            params["$expand"] = ",".join(expand)
        if top is not None:
            params["$top"] = str(top)
        if conditions:
            params["$filter"] = " and ".join(f"({c})" if " or " in c else c for c in conditions)
        headers = {"Prefer": f"odata.maxpagesize={self.page_size}"}
        yield from paginate(
            lambda page: self._send("GET", page.url, params=page.params, headers=headers).json(),
            PageRequest(entity_set, params),
            NextLinkPaginator(),
            lambda body: [
                {k: v for k, v in row.items() if not k.startswith("@odata.")} for row in body.get("value", [])
            ],
        )

    def create(self, entity_set: str, body: dict) -> dict:
        return self._send("POST", entity_set, json=body).json()

    def update(self, entity_set: str, key: dict[str, str], body: dict) -> None:
        self._send("PATCH", key_path(entity_set, key), json=body)

    def changeset(self, operations: list[batch.Operation]) -> list[batch.PartResponse]:
        """All operations in one transaction; raises FoError with F&O's reason when the service rolled it back."""
        [parts] = self.changesets([operations])
        failed = next((part for part in parts if part.status >= 400), None)
        if failed is not None:
            code, message = error_of(failed.body)
            raise FoError("dynamics_fo", f"change set rolled back: {message}", status=failed.status, code=code)
        return parts

    def changesets(self, changesets: list[list[batch.Operation]]) -> list[list[batch.PartResponse]]:
        """Several transactions in one call, each answered by its parts or, when rolled back, by its failure.
        A call without F&O's answer raises Unanswered: the sets may have been applied, so they are not re-sent here;
        one that could not be sent raises Unreachable."""
        root = str(self.http.base_url).rstrip("/")
        # `$1/...` refers to what an earlier part of the set created; everything else is relative to /data/.
        absolute = [
            [
                batch.Operation(op.method, op.url if op.url.startswith("$") else f"{root}/{op.url}", op.body)
                for op in operations
            ]
            for operations in changesets
        ]
        content_type, body = batch.compose_changesets(absolute)
        try:
            response = self._send(
                "POST", "$batch", content=body, headers={"Content-Type": content_type}, extensions=NOT_IDEMPOTENT
            )
        except ApiError as failed:
            if failed.status not in GATEWAY_STATUSES:
                raise
            raise Unanswered(
                f"POST $batch sent to F&O at {self.origin}: a gateway answered HTTP {failed.status}, not F&O",
                f"HTTP {failed.status}",
            ) from failed
        groups = batch.parse_grouped(response.headers["content-type"], response.content)
        if len(groups) != len(changesets):
            raise ApiError("dynamics_fo", f"$batch answered {len(groups)} change sets of {len(changesets)}")
        return groups

    def _send(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        merged = {**HEADERS, **(headers or {})}
        what = f"{method} {url}"
        try:
            response = self.http.request(method, url, headers=merged, **kwargs)
        except UNSENT_ERRORS as unsent:
            raise Unreachable(
                "dynamics_fo", f"{what} not sent: {self._host_of(unsent)} could not be reached ({_described(unsent)})"
            ) from unsent
        except httpx.TransportError as lost:
            raise Unanswered(
                f"{what} sent to {self._host_of(lost)}, no answer came back ({_described(lost)})", _kind(lost)
            ) from lost
        return raise_for_vendor(ERRORS, response, what, error=error_type(method, response.status_code))

    @property
    def origin(self) -> str:
        return _origin(self.http.base_url)

    def _host_of(self, error: httpx.TransportError) -> str:
        """Which host failed: F&O's, or the token issuer's (the auth flow fetches a token inside the request)."""
        try:
            failed = _origin(error.request.url)
        except RuntimeError:  # httpx raised it before a request was made
            failed = self.origin
        return f"F&O at {self.origin}" if failed == self.origin else f"{failed} (F&O's token issuer)"

    def close(self) -> None:
        self.http.close()


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode()}"


def _described(error: httpx.TransportError) -> str:
    # The http layer's CannotConnect and NoAnswer already name the host, which the caller's message names too.
    text = getattr(error, "reason", None) or str(error)
    return f"{_kind(error)}: {text}" if text else _kind(error)


def _kind(error: httpx.TransportError) -> str:
    """The httpx error it is (ReadTimeout, RemoteProtocolError...), whatever the http layer wrapped it in."""
    return next(kind.__name__ for kind in type(error).__mro__ if kind.__module__.startswith("httpx"))
