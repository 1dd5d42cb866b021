"""Paging as dlt's rest_api has it: a paginator reads what an answer says about the next page (`update_state`) and
shapes the next call (`update_request`); `paginate` is the one loop. Paginators see answers and requests only, never
auth, retry or transport: those stay in the resource's client and http.py's transports.

What each vendor sends back to say "there is more" (../shared/reference/): an offset and a limit (EBS's read
service, SAP Gateway's $skip/$top), a link to follow verbatim (OData v4's `@odata.nextLink`, Salesforce's
`nextRecordsUrl`, JDE AIS's `links` of rel `next`, Procore's `Link` header), or a token to send back as a parameter
(Zoho CRM's `page_token`).
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx


@dataclass(frozen=True)
class PageRequest:
    """One call of a paged read: where, and with which query (or service) parameters; None sends none."""

    url: str
    params: Mapping[str, str | list[str]] | None = None  # a list repeats the parameter (Procore's `filters[id][]`)


class Paginator(Protocol):
    """One read's paging state (where the next page is), so a read makes its own."""

    has_next: bool

    def init_request(self, request: PageRequest) -> PageRequest:
        """The first call, with whatever the first page needs (an offset of 0)."""

    def update_state(self, body: Any, items: list) -> None:
        """Reads from one page's answer and items whether there is a next page, and how to ask for it."""

    def update_request(self, request: PageRequest) -> PageRequest:
        """The call for the next page, from the call that fetched this one."""


def paginate(
    fetch: Callable[[PageRequest], Any], request: PageRequest, paginator: Paginator, items: Callable[[Any], list]
) -> Iterator:
    """Every item of every page, page by page: `fetch` makes one call and returns the answer's body (or the whole
    response, where the headers say where the next page is), `items` picks that page's items out of it."""
    request = paginator.init_request(request)
    while True:
        body = fetch(request)
        page = items(body)
        yield from page
        paginator.update_state(body, page)
        if not paginator.has_next:
            return
        request = paginator.update_request(request)


class BasePaginator:
    """A paginator whose first call goes as the caller wrote it."""

    has_next = True

    def init_request(self, request: PageRequest) -> PageRequest:
        return request


class OffsetPaginator:
    """`offset` and `limit` parameters; the next offset skips the items read so far. There is more while `more`
    says so (EBS's X_HAS_MORE), or, without `more`, while a page comes back full (SAP Gateway answers a short page
    at the end and never says how many rows there are)."""

    def __init__(
        self,
        limit: int,
        *,
        offset_param: str = "offset",
        limit_param: str = "limit",
        more: Callable[[Any], bool] | None = None,
    ):
        self.limit = limit
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.more = more
        self.offset = 0
        self.has_next = True

    def init_request(self, request: PageRequest) -> PageRequest:
        return self._at_offset(request)

    def update_state(self, body: Any, items: list) -> None:
        self.offset += len(items)
        self.has_next = self.more(body) if self.more is not None else len(items) >= self.limit

    def update_request(self, request: PageRequest) -> PageRequest:
        return self._at_offset(request)

    def _at_offset(self, request: PageRequest) -> PageRequest:
        # A parameter the caller already placed keeps its place, so the query keeps the caller's order.
        return replace(
            request,
            params={**(request.params or {}), self.offset_param: str(self.offset), self.limit_param: str(self.limit)},
        )


class NextLinkPaginator(BasePaginator):
    """OData v4 server-driven paging: `@odata.nextLink` is the whole next URL, query included, so it is followed
    verbatim and the first call's parameters are dropped (Dataverse, F&O)."""

    def __init__(self, field: str = "@odata.nextLink"):
        self.field = field
        self.next_url: str | None = None

    def update_state(self, body: Any, items: list) -> None:
        self.next_url = body.get(self.field)
        self.has_next = bool(self.next_url)

    def update_request(self, request: PageRequest) -> PageRequest:
        return PageRequest(self.next_url)


class NextRecordsUrlPaginator(NextLinkPaginator):
    """Salesforce SOQL: an answer with `done` false names the next batch's `nextRecordsUrl` (a path, no query); a
    done answer is the last, whatever it names."""

    def __init__(self):
        super().__init__("nextRecordsUrl")

    def update_state(self, body: Any, items: list) -> None:
        super().update_state({} if body.get("done", True) else body, items)


class PageTokenPaginator(BasePaginator):
    """A token the answer holds at `token_path` (dotted, e.g. Zoho CRM's `info.next_page_token`), sent back as the
    `param` of the same call; no token is the last page."""

    def __init__(self, token_path: str, param: str):
        self.token_path = token_path.split(".")
        self.param = param
        self.token: str | None = None

    def update_state(self, body: Any, items: list) -> None:
        value = body
        for name in self.token_path:
            value = value.get(name) if isinstance(value, dict) else None
        self.token = value or None
        self.has_next = self.token is not None

    def update_request(self, request: PageRequest) -> PageRequest:
        return replace(request, params={**(request.params or {}), self.param: self.token})


class LinkRelPaginator(BasePaginator):
    """A `links` array of `{rel, href}` whose `rel` link is the next call's whole URL (JDE AIS's data service); no
    such link, or `more` saying otherwise, is the last page."""

    def __init__(self, rel: str = "next", more: Callable[[Any], bool] | None = None):
        self.rel = rel
        self.more = more
        self.next_url: str | None = None

    def update_state(self, body: Any, items: list) -> None:
        links = body.get("links") or [] if isinstance(body, dict) else []
        self.next_url = next((link.get("href") for link in links if link.get("rel") == self.rel), None)
        self.has_next = bool(self.next_url) and (self.more is None or self.more(body))

    def update_request(self, request: PageRequest) -> PageRequest:
        return PageRequest(self.next_url)


class HeaderLinkPaginator(BasePaginator):
    """RFC 8288 `Link` response header (dlt's HeaderLinkPaginator): the link of relation `rel` is the next call's
    whole URL, query included; no such link is the last page (Procore). `fetch` returns the httpx response, so the
    headers reach `update_state`, and `items` parses its body."""

    def __init__(self, rel: str = "next"):
        self.rel = rel
        self.next_url: str | None = None

    def update_state(self, response: httpx.Response, items: list) -> None:
        self.next_url = response.links.get(self.rel, {}).get("url")
        self.has_next = bool(self.next_url)

    def update_request(self, request: PageRequest) -> PageRequest:
        return PageRequest(self.next_url)
