"""What the emulated F&O OData service does with one request under /data/, apart from HTTP, auth and throttling
(emulator.py): key-addressed CRUD, company scoping, queries with server-driven paging, and `$batch` with atomic
change sets. One dispatcher serves top-level requests and batch parts alike, so both behave the same.

Behaviour follows microsoft.md §3 and §5.3; where the sheet is silent the choice is marked `# Guess:`.

A key is read from a URL in two decodings. Guess (field reports, not Microsoft's pages: essrocks.io "D365 F&O, OData,
Slashes, Pluses, and Double Encoding", cloudeya.org; the sheet is silent): the web server decodes the path once
(the HTTP server here, `_part` for a `$batch` request line) and routes on it, a `\\` counting as a `/`, so a `/` in
a key breaks the route unless it was encoded twice; the OData layer then decodes the key predicate again, as a form
value (`+` is a space), before it reads the literals. An unencoded `#` or `?` ends the path before either.
"""

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode, urlsplit

from ml_connector_dagster.odata import key_path
from ml_connector_dagster.sandbox import odata_multipart as multipart
from ml_connector_dagster.sandbox.dynamics_fo.entities import ENTITIES, Entity
from ml_connector_dagster.sandbox.dynamics_fo.errors import FoError, not_found
from ml_connector_dagster.sandbox.dynamics_fo.store import Actor, Store, Transaction, fold, key_of
from ml_connector_dagster.sandbox.dynamics_fo.writes import Writer
from ml_connector_dagster.sandbox.odata_query import QueryError, parse_filter, parse_key, parse_orderby, parse_select
from ml_connector_dagster.sandbox.odata_reply import Joined, Reply, RolledBack

_PATH = re.compile(r"^(?P<set>[A-Za-z_]\w*)(?:\((?P<key>[^/]*)\))?(?:/(?P<tail>[A-Za-z_]\w*|\$count))?$")
_ENUM_LITERAL = re.compile(r"Microsoft\.Dynamics\.DataEntities\.\w+'(\w*)'")
_WILDCARD = re.compile(r"(\w+)\s+(eq|ne)\s+'((?:[^']|'')*\*(?:[^']|'')*)'")
_DATA_ROOT = re.compile(r"^.*?/data/")
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"


@dataclass
class ApiRequest:
    method: str
    path: str  # relative to /data/, e.g. CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    actor: Actor
    company: str  # the caller's default company
    # The companies the caller's F&O user has a role in (None: every one): a cross-company query answers only theirs
    companies: frozenset[str] | None = None


@dataclass(frozen=True)
class Limits:
    max_page_size: int
    write_error_status: int


class FoService:
    def __init__(self, store: Store, writer: Writer, limits: Callable[[], Limits]):
        self.store = store
        self.writer = writer
        self.limits = limits

    def handle(self, request: ApiRequest, root: str) -> Reply:
        try:
            if request.path == "$batch":
                if request.method != "POST":
                    raise FoError(405, "The HTTP method is not allowed for $batch.")
                return self._batch(request, root)
            return self._dispatch(request, root, None)
        except FoError as error:
            return Reply(error.status or self.limits().write_error_status, {}, error.body())

    def _dispatch(self, request: ApiRequest, root: str, tx: Transaction | None) -> Reply:
        if request.path == "" and request.method == "GET":
            return Reply(
                200,
                {},
                {
                    "@odata.context": f"{root}/$metadata",
                    "value": [{"name": name, "kind": "EntitySet", "url": name} for name in ENTITIES],
                },
            )
        match = _PATH.match(request.path.replace("\\", "/"))
        if match is None:
            # Guess: the routing's answer as the field reports quote it; the OData layer never sees the request.
            raise FoError(
                404,
                f"No HTTP resource was found that matches the request URI '{request.path}'. No route data was found "
                "for this request.",
            )
        entity = ENTITIES.get(match["set"])
        if entity is None:
            raise not_found(match["set"])
        if match["key"] is None:
            if match["tail"] is not None and match["tail"] != "$count":
                raise not_found(match["tail"])
            if request.method == "GET":
                return self._query(request, root, entity, counting=match["tail"] == "$count")
            if request.method == "POST" and match["tail"] is None:
                return self._create(request, root, entity, {}, tx)
            raise _not_allowed(request.method)
        key = _key(entity, match["key"])
        if match["tail"] is not None:
            return self._navigation(request, root, entity, key, match["tail"], tx)
        if request.method == "GET":
            row = self._find(entity, key, request, tx)
            return Reply(
                200,
                {"ETag": etag(row)},
                {"@odata.context": f"{root}/$metadata#{entity.entity_set}/$entity", **render(entity, row, None)},
            )
        if request.method in ("PATCH", "PUT", "DELETE"):
            with self._tx(tx, request.actor) as active:
                row = self._find(entity, key, request, active)
                _check_etag(request, row)
                if request.method == "DELETE":
                    self.writer.delete(active, entity, row)
                else:
                    self.writer.update(active, entity, row, _json(request), replace=request.method == "PUT")
            return Reply(204)
        raise _not_allowed(request.method)

    # writes ----------------------------------------------------------------------------------------------------
    def _create(self, request: ApiRequest, root: str, entity: Entity, forced: dict, tx: Transaction | None) -> Reply:
        body = _json(request)
        if forced and isinstance(body, dict):
            body = {**body, **forced}
        with self._tx(tx, request.actor) as active:
            row = self.writer.create(active, entity, body, request.company)
        # Guess: the Location's key encoded once, as the OData stack writes a URL.
        location = f"{root}/{key_path(entity.entity_set, {name: str(row[name]) for name in entity.keys})}"
        return Reply(
            201,
            {"Location": location, "ETag": etag(row)},
            {"@odata.context": f"{root}/$metadata#{entity.entity_set}/$entity", **render(entity, row, None)},
        )

    def _navigation(
        self, request: ApiRequest, root: str, entity: Entity, key: dict, name: str, tx: Transaction | None
    ) -> Reply:
        navigation = entity.navigations.get(name)
        if navigation is None:
            raise not_found(name)
        parent = self._find(entity, key, request, tx)
        target = ENTITIES[navigation.target]
        if request.method == "POST":
            # Guess: a line posted to its order's navigation takes the order's company and number, as the OData
            # stack binds contained creates; the sheet only shows posting lines to SalesOrderLines.
            return self._create(request, root, target, {name: parent[name] for name in navigation.join}, tx)
        if request.method != "GET":
            raise _not_allowed(request.method)
        rows = [row for row in self.store.snapshot(target) if _joined(navigation.join, parent, row)]
        return Reply(
            200,
            {},
            {
                "@odata.context": f"{root}/$metadata#{target.entity_set}",
                "value": [render(target, row, None) for row in _ordered(target, rows, [])],
            },
        )

    def _find(self, entity: Entity, key: dict, request: ApiRequest, tx: Transaction | None) -> dict:
        # Guess: a key naming another company is out of the caller's context unless cross-company=true, like a
        # query (§3.2); F&O answers it as a missing row.
        if fold(key["dataAreaId"]) != fold(request.company) and not _cross_company(request):
            raise not_found(entity.entity_set)
        row = (tx or Transaction(self.store, None)).get(entity, key_of(entity, key))
        if row is None:
            raise not_found(entity.entity_set)
        return row

    def _tx(self, tx: Transaction | None, actor: Actor):
        return Joined(tx) if tx is not None else self.store.transaction(actor)

    # reads -----------------------------------------------------------------------------------------------------
    def _query(self, request: ApiRequest, root: str, entity: Entity, *, counting: bool) -> Reply:
        query = request.query
        rows = self.store.snapshot(entity)
        if not _cross_company(request):
            rows = [row for row in rows if fold(row["dataAreaId"]) == fold(request.company)]
        elif request.companies is not None:
            # Guess: companies the user has no role in are left out silently, as a company with no rows would be.
            rows = [row for row in rows if fold(row["dataAreaId"]) in request.companies]
        columns = set(entity.fields)
        try:
            if query.get("$filter"):
                test = parse_filter(_rewrite(query["$filter"]), columns, version=4)
                rows = [row for row in rows if test(_FilterView(entity, row))]
            select = parse_select(query.get("$select"), columns)
            order = parse_orderby(query.get("$orderby"), columns)
        except QueryError as error:
            raise FoError(400, str(error)) from None
        if counting:
            return Reply(200, {"Content-Type": "text/plain"}, str(len(rows)).encode())
        expand = _expand(entity, query.get("$expand"))
        rows = _ordered(entity, rows, order)
        skip, top = _whole(query, "$skip"), _whole(query, "$top")
        body: dict = {
            "@odata.context": f"{root}/$metadata#{entity.entity_set}" + (f"({','.join(select)})" if select else "")
        }
        if query.get("$count") == "true":
            body["@odata.count"] = len(rows)
        remaining = rows[skip or 0 :]
        if top is not None:
            remaining = remaining[:top]
        page_size, applied = self._page_size(request.headers.get("prefer", ""))
        page = remaining[:page_size]
        body["value"] = [self._expanded(entity, row, select, expand) for row in page]
        if len(remaining) > len(page):
            params = {**query, "$skip": str((skip or 0) + len(page))}
            if top is not None:
                params["$top"] = str(top - len(page))
            body["@odata.nextLink"] = f"{root}/{entity.entity_set}?{urlencode(params, safe='$,')}"
        return Reply(200, {"Preference-Applied": applied} if applied else {}, body)

    def _expanded(self, entity: Entity, row: dict, select: list[str] | None, expand: list[str]) -> dict:
        rendered = render(entity, row, select)
        for name in expand:
            navigation = entity.navigations[name]
            target = ENTITIES[navigation.target]
            children = [child for child in self.store.snapshot(target) if _joined(navigation.join, row, child)]
            rendered[name] = [render(target, child, None) for child in _ordered(target, children, [])]
        return rendered

    def _page_size(self, prefer: str) -> tuple[int, str | None]:
        limit = self.limits().max_page_size
        match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        if not match:
            return limit, None
        # Guess: the sheet leaves open whether F&O honours odata.maxpagesize (§3.4); here it does, capped at the
        # server's maximum, and says so in Preference-Applied as OData prescribes.
        size = max(1, min(int(match.group(1)), limit))
        return size, f"odata.maxpagesize={size}"

    # $batch ----------------------------------------------------------------------------------------------------
    def _batch(self, request: ApiRequest, root: str) -> Reply:
        try:
            items = multipart.parse_batch(request.headers.get("content-type", ""), request.body)
        except (multipart.BatchError, UnicodeDecodeError) as error:
            raise FoError(400, str(error)) from None
        # Guess: F&O answers every part and change set (the batch itself is 200, §5.3.8) rather than stopping at
        # the first failure.
        answers = [
            self._changeset(item, root, request)
            if isinstance(item, multipart.ChangeSet)
            else self._part(item, root, request, None, {})
            for item in items
        ]
        content_type, body = multipart.compose_batch(answers)
        return Reply(200, {"Content-Type": content_type}, body)

    def _changeset(
        self, changeset: multipart.ChangeSet, root: str, request: ApiRequest
    ) -> list[multipart.PartResponse]:
        answers: list[multipart.PartResponse] = []
        locations: dict[str, str] = {}
        try:
            with self.store.transaction(request.actor) as tx:
                for part in changeset.requests:
                    answer = self._part(part, root, request, tx, locations)
                    if answer.status >= 400:
                        raise RolledBack(answer)
                    answers.append(answer)
                    if part.content_id and "Location" in answer.headers:
                        locations[part.content_id] = answer.headers["Location"]
        except RolledBack as rollback:
            return [rollback.answer]
        return answers

    def _part(
        self,
        part: multipart.PartRequest,
        root: str,
        batch: ApiRequest,
        tx: Transaction | None,
        locations: dict[str, str],
    ) -> multipart.PartResponse:
        try:
            url = urlsplit(_resolve(part.url, locations))
            path = _DATA_ROOT.sub("", url.path if url.path.startswith("/") else "/data/" + url.path)
            inner = ApiRequest(
                part.method,
                unquote(path),
                dict(parse_qsl(url.query)),
                part.headers,
                part.body,
                batch.actor,
                batch.company,
                batch.companies,
            )
            reply = self._dispatch(inner, root, tx)
        except FoError as error:
            # A write that fails inside a batch comes back as a 500 part (§3.7, §5.3.8).
            reply = Reply(error.status or 500, {}, error.body())
        headers = {"OData-Version": "4.0", **reply.headers}
        body = reply.body if isinstance(reply.body, bytes) else b""
        if isinstance(reply.body, dict):
            body = json.dumps(reply.body, ensure_ascii=False).encode()
            headers["Content-Type"] = JSON_TYPE
        return multipart.PartResponse(reply.status, headers, body, part.content_id)


def render(entity: Entity, row: dict, select: list[str] | None) -> dict:
    return {"@odata.etag": etag(row), **{name: row[name] for name in (select or entity.fields)}}


def etag(row: dict) -> str:
    # Real F&O ETags are base64 of "'1,<RecId>;<RecVersion>..." (§3.1); the emulator's follow that form.
    text = f"'1,{row['_recid']};{row['_recversion']}'"
    return f'W/"{base64.b64encode(text.encode()).decode()}"'


def _key(entity: Entity, text: str) -> dict:
    text = unquote_plus(text)  # the OData layer's own decoding, after the routing's
    try:
        # A positional key (`CustomersV3('US-001')`) cannot address a compound key: the count check answers it.
        key = parse_key(text) if "=" in text else None
    except QueryError as error:
        raise FoError(400, str(error)) from None
    if not isinstance(key, dict) or set(key) != set(entity.keys):
        # Guess: the sheet says 400 or 404 for a missing key part (§5.3.2); this is the OData stack's 400 for it.
        raise FoError(
            400,
            "The number of keys specified in the URI does not match number of key properties for the "
            f"resource '{entity.qualified_type}'.",
        )
    return {name: str(value) for name, value in key.items()}


def _check_etag(request: ApiRequest, row: dict) -> None:
    expected = request.headers.get("if-match")
    if expected not in (None, "*") and expected != etag(row):
        # Guess: status and text of a stale If-Match are not in the sheet; OData's precondition failure is 412.
        raise FoError(412, "The ETag value in the request does not match the current version of the record.")


def _cross_company(request: ApiRequest) -> bool:
    return request.query.get("cross-company", "").lower() == "true"


def _json(request: ApiRequest) -> object:
    try:
        return json.loads(request.body)
    except ValueError as error:
        raise FoError(400, f"The request body is not valid JSON: {error}") from None


def _whole(query: dict[str, str], option: str) -> int | None:
    value = query.get(option)
    if value is None:
        return None
    if not value.isdigit():
        raise FoError(
            400,
            f"Invalid value '{value}' for {option} query option found. The {option} query option "
            "requires a non-negative integer value.",
        )
    return int(value)


def _expand(entity: Entity, text: str | None) -> list[str]:
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    for name in names:
        if name not in entity.navigations:
            raise FoError(400, f"Could not find a property named '{name}' on type '{entity.qualified_type}'.")
    return names


def _rewrite(text: str) -> str:
    """F&O's own filter syntax in terms the shared parser knows: enum literals and `*` wildcards (§3.1)."""
    text = _ENUM_LITERAL.sub(r"'\1'", text)

    def wildcard(match: re.Match) -> str:
        column, operator, pattern = match.groups()
        inner = pattern.strip("*")
        if "*" in inner:
            return match.group(0)  # Guess: only leading and trailing wildcards act as wildcards
        function = (
            "startswith"
            if not pattern.startswith("*")
            else "endswith"
            if not pattern.endswith("*") or pattern == "*"
            else "contains"
        )
        call = f"{function}({column},'{inner}')"
        return call if operator == "eq" else f"not {call}"

    return _WILDCARD.sub(wildcard, text)


class _FilterView:
    """A row as `$filter` reads it: its entity's fields only, dates as the parser's literals are (date literals reach
    the shared parser as ISO strings with +00:00; stored dates end in Z). Each value is made when the filter reads
    it, not every field of every row filtered."""

    def __init__(self, entity: Entity, row: dict):
        self.entity = entity
        self.row = row

    def get(self, name: str, default: object = None) -> object:
        return self[name] if name in self.entity.fields and name in self.row else default

    def __getitem__(self, name: str) -> object:
        if name not in self.entity.fields:
            raise KeyError(name)
        value = self.row[name]
        return value.replace("Z", "+00:00") if self.entity.fields[name].kind in ("Date", "DateTime") else value


def _ordered(entity: Entity, rows: list[dict], order: list[tuple[str, bool]]) -> list[dict]:
    # Stable sorts, least significant first: the keys break ties, as the clustered index does.
    rows = sorted(rows, key=lambda row: tuple(_sortable(row[name]) for name in entity.keys))
    for name, descending in reversed(order):
        rows.sort(key=lambda row: _sortable(row[name]), reverse=descending)
    return rows


def _sortable(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _joined(join: tuple[str, ...], parent: dict, child: dict) -> bool:
    return all(fold(parent[name]) == fold(child[name]) for name in join)


def _resolve(url: str, locations: dict[str, str]) -> str:
    """`$1/SalesOrderLines` → the Location of the change-set part with Content-ID 1 (OData v4 batch references)."""
    if not url.startswith("$"):
        return url
    reference, _, rest = url[1:].partition("/")
    if reference not in locations:
        raise FoError(400, f"The Content-ID '${reference}' does not refer to an earlier request in the change set.")
    return f"{locations[reference]}/{rest}" if rest else locations[reference]


def _not_allowed(method: str) -> FoError:
    return FoError(405, f"The HTTP method '{method}' is not allowed for this resource.")
