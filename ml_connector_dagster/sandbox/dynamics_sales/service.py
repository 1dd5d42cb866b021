"""What the emulated Dataverse Web API does with one request, apart from HTTP, auth and throttling (emulator.py):
CRUD and upsert by primary or alternate key, bulk messages, `$batch`, queries with paging. One dispatcher serves
top-level requests and `$batch` parts alike, so both behave the same.

Codes and messages follow microsoft.md §2; where the reference is unsure, the choice is marked as a guess.

URLs are read as the service reads them: percent-decoded (a request's path by the HTTP server, a `$batch` request
line, an `@odata.id` and an `@odata.bind` here) before the key in them is parsed, and a key is refused where
Dataverse cannot address one (`_UNADDRESSABLE`).
"""

import base64
import json
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from ml_connector_dagster.odata import key_path
from ml_connector_dagster.sandbox import odata_multipart as multipart
from ml_connector_dagster.sandbox.dynamics_sales.store import Store, Transaction
from ml_connector_dagster.sandbox.dynamics_sales.tables import BY_ENTITY_SET, LINE_PARENTS, TABLES, Table
from ml_connector_dagster.sandbox.odata_query import (
    QueryError,
    parse_filter,
    parse_key,
    parse_orderby,
    parse_select,
)
from ml_connector_dagster.sandbox.odata_reply import Joined, Reply, RolledBack

MAX_PAGE = 5000
_PATH = re.compile(r"^(?P<set>[A-Za-z_]\w*)(?:\((?P<key>.*)\))?(?:/(?P<action>Microsoft\.Dynamics\.CRM\.\w+))?$")
_KEYS_PATH = re.compile(r"^EntityDefinitions\(LogicalName='(?P<logical>\w+)'\)/Keys$")
_API_ROOT = re.compile(r"^.*?/api/data/v9\.[012]/")
_BULK = ("CreateMultiple", "UpdateMultiple", "UpsertMultiple")
# "If the data within a column that is used in an alternate key contains one of the following characters /, #, <,
# >, *, %, &, :, \, ?, + then GET or PATCH actions won't work" (learn.microsoft.com, Define alternate keys using
# Power Apps). So a row is never addressed by such a value: not in a URL, an @odata.id or an @odata.bind, all of
# which the service reads as URLs, for a read, an upsert, a delete or a lookup alike. Storing such a value is
# allowed ("if you only need uniqueness, this approach works"): a POST or a write by primary id keeps it. Guess at
# the reply: IIS answers 400 "A potentially dangerous Request.Path value was detected from the client (:)" for
# most of these before Dataverse sees the request, and `/ # ? +` split, end or double-escape the path; one 400 in
# that wording, without a Dataverse code, stands for all eleven.
_UNADDRESSABLE = frozenset("/#<>*%&:\\?+")
_STANDARD_MESSAGES = ("Create", "Update", "Delete", "Retrieve", "RetrieveMultiple", "Upsert")


class DataverseError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Request:
    method: str
    path: str  # relative to the API root, e.g. accounts(mlc_externalid='x')
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Counters:
    write_requests: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass
class Rule:
    """A validation plug-in registered on a table: rows whose column matches the pattern are refused."""

    table: str
    column: str
    pattern: str
    message: str


class DataverseService:
    def __init__(self, store: Store, clock, settings):
        self.store = store
        self.clock = clock
        self.settings = settings  # callable returning the current DynamicsSalesSettings
        self.counters = Counters()
        self._version = int(clock.now().timestamp() * 1000)

    # entry ---------------------------------------------------------------------------------------------------
    def handle(self, request: Request, root: str) -> Reply:
        if request.method in ("POST", "PATCH", "PUT", "DELETE"):
            self.counters.write_requests += 1
        try:
            keys = _KEYS_PATH.match(request.path)
            if keys is not None and request.method == "GET":
                return self._entity_keys(keys["logical"], root)
            if request.path == "$batch" and request.method == "POST":
                return self._batch(request, root)
            return self._dispatch(request, root, None)
        except DataverseError as error:
            return error_reply(error)

    def _dispatch(self, request: Request, root: str, tx: Transaction | None) -> Reply:
        if request.path == "WhoAmI" and request.method == "GET":
            return self._who_am_i()
        match = _PATH.match(request.path)
        if not match:
            raise DataverseError(404, "0x80060888", f"Resource not found for the segment '{request.path}'.")
        if match["set"] == "sdkmessagefilters" and request.method == "GET" and match["key"] is None:
            return self._query(
                request, root, "sdkmessagefilters", self._message_filters(), _FILTER_COLUMNS, "sdkmessagefilterid"
            )
        if match["set"] == "systemusers" and request.method == "GET" and match["key"] is None:
            return self._query(request, root, "systemusers", self._application_users(), _USER_COLUMNS, "systemuserid")
        table = BY_ENTITY_SET.get(match["set"])
        if table is None:
            raise DataverseError(404, "0x80060888", f"Resource not found for the segment '{match['set']}'.")
        if match["action"]:
            if request.method != "POST" or match["key"] is not None:
                raise DataverseError(405, "0x80060888", "The HTTP method is not allowed for this action.")
            return self._bulk(table, match["action"].rsplit(".", 1)[1], _json_body(request), root)
        if match["key"] is None:
            if request.method == "GET":
                return self._query(
                    request,
                    root,
                    table.entity_set,
                    self.store.current(table.logical_name),
                    _readable(table),
                    table.primary_key,
                )
            if request.method == "POST":
                return self._write(table, None, _json_body(request), request, root, tx, create_only=True)
            raise DataverseError(405, "0x80060888", f"{request.method} is not supported on a collection.")
        key = self._key(table, match["key"])
        if request.method == "GET":
            row = self._read_tx(tx).find(table, key)
            if row is None:
                raise _missing(table, key)
            return Reply(
                200,
                {"ETag": _etag(row)},
                {
                    "@odata.context": f"{root}/$metadata#{table.entity_set}/$entity",
                    **_render(table, row, _select(request, table)),
                },
            )
        if request.method == "PATCH":
            return self._write(table, key, _json_body(request), request, root, tx)
        if request.method == "DELETE":
            return self._delete(table, key, tx)
        raise DataverseError(405, "0x80060888", f"{request.method} is not supported on a single record.")

    # writes --------------------------------------------------------------------------------------------------
    def _write(
        self,
        table: Table,
        key,
        body: dict,
        request: Request,
        root: str,
        tx: Transaction | None,
        create_only: bool = False,
    ) -> Reply:
        with self._tx(tx) as active:
            row, created = self.upsert(
                active,
                table,
                key,
                body,
                if_match=request.headers.get("if-match"),
                if_none_match=request.headers.get("if-none-match"),
                create_only=create_only,
            )
        entity_id = f"{root}/{table.entity_set}({row[table.primary_key]})"
        if "return=representation" in request.headers.get("prefer", ""):
            return Reply(
                201 if created else 200,
                {"Preference-Applied": "return=representation", "ETag": _etag(row)},
                {
                    "@odata.context": f"{root}/$metadata#{table.entity_set}/$entity",
                    **_render(table, row, _select(request, table)),
                },
            )
        if key is not None and not isinstance(key, str):
            # The documentation's upsert example echoes the key form of the address.
            entity_id = f"{root}/{key_path(table.entity_set, key)}"
        return Reply(204, {"OData-EntityId": entity_id})

    def upsert(
        self,
        tx: Transaction,
        table: Table,
        key,
        body: dict,
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
        create_only: bool = False,
    ) -> tuple[dict, bool]:
        existing = tx.find(table, key) if key is not None else None
        if create_only:
            body_id = body.get(table.primary_key)
            existing = tx.get(table, str(uuid.UUID(body_id))) if body_id else None
            if existing is not None:
                raise DataverseError(412, "0x80040237", "A record with matching key values already exists.")
        if existing is None and if_match:
            raise _missing(table, key)
        if existing is not None and if_none_match == "*":
            raise DataverseError(412, "0x80040237", "A record with matching key values already exists.")
        if existing is not None and if_match not in (None, "*") and if_match != _etag(existing):
            raise DataverseError(
                412, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided."
            )
        row = dict(existing) if existing else {}
        values = self._validated(tx, table, body)
        if existing is not None:
            for column in (key or {}) if isinstance(key, dict) else ():
                values.pop(column, None)  # key columns in the URL win over the body on update
            if table.logical_name == "salesorder":
                # Not updatable after create (§2.4). Guess: the platform ignores the value on update, no error.
                values.pop("_transactioncurrencyid_value", None)
        row.update(values)
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        if existing is None:
            if isinstance(key, str):
                row[table.primary_key] = key
            elif isinstance(key, dict):
                for column, value in key.items():
                    row.setdefault(column, _checked(table, column, table.columns[column], value))
            row.setdefault(table.primary_key, str(uuid.uuid4()))
            row["createdon"] = now
        if table.states:
            _settle_state(table, row, values, existing)
        else:
            row.setdefault("statecode", 0)
            row.setdefault("statuscode", 1)
        self._check_unique(tx, table, row)
        self._check_rules(table, row)
        if table.logical_name == "contact":
            row["fullname"] = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p) or None
        if existing is None and table.logical_name == "salesorder":
            row["ordernumber"] = f"ORD-{self._next_version() % 100000:05d}-SBX"
        if table.logical_name in LINE_PARENTS:
            _line_amounts(row)
        row["modifiedon"] = now
        row["versionnumber"] = self._next_version()
        tx.put(table, row)
        self._recalculate_parent(tx, table, row)
        if existing is None:
            self.counters.created += 1
        else:
            self.counters.updated += 1
        return row, existing is None

    def _validated(self, tx: Transaction, table: Table, body: dict) -> dict:
        values = {}
        for name, value in body.items():
            if name == "@odata.type":
                if value != f"Microsoft.Dynamics.CRM.{table.logical_name}":
                    raise DataverseError(
                        400, "0x80048d19", f"A type named '{value}' could not be resolved by the model."
                    )
                continue
            if name.startswith("@odata."):
                continue
            if name.endswith("@odata.bind"):
                navigation = name.removesuffix("@odata.bind")
                lookup = table.lookups.get(navigation)
                if lookup is None:
                    raise DataverseError(
                        400,
                        "0x80048d19",
                        f"An undeclared property '{navigation}' which only has "
                        "property annotations in the payload but no property value was found in the "
                        "payload. In OData, only declared navigation properties and declared named "
                        "streams can be represented as properties without values.",
                    )
                values[table.key_of_lookup(lookup.column)] = (
                    None if value is None else self._bound_id(tx, lookup.targets, value)
                )
                continue
            column = table.columns.get(name)
            if column is None:
                raise DataverseError(
                    400,
                    "0x80048d19",
                    f"The property '{name}' does not exist on type "
                    f"'Microsoft.Dynamics.CRM.{table.logical_name}'. Make sure to only use property "
                    "names that are defined by the type or mark the type as open type.",
                )
            if column.writable:
                values[name] = _checked(table, name, column, value)
        return values

    def _bound_id(self, tx: Transaction, targets: tuple[str, ...], value: str) -> str:
        path = unquote(_API_ROOT.sub("", value).lstrip("/"))
        match = _PATH.match(path)
        target = BY_ENTITY_SET.get(match["set"]) if match and match["key"] and not match["action"] else None
        if target is None or target.logical_name not in targets:
            raise DataverseError(
                400,
                "0x80048d19",
                f"The value '{value}' of the @odata.bind annotation does not "
                f"reference a row of {' or '.join(targets)}.",
            )
        key = self._key(target, match["key"])
        row = tx.find(target, key)
        if row is None:
            raise _missing(target, key)
        return row[target.primary_key]

    def _recalculate_parent(self, tx: Transaction, table: Table, line: dict) -> None:
        """Order and opportunity totals follow their lines, as the platform's price calculation does."""
        if table.logical_name not in LINE_PARENTS:
            return
        parent_name, lookup = LINE_PARENTS[table.logical_name]
        parent_table = TABLES[parent_name]
        parent_id = line.get(f"_{lookup}_value")
        parent = tx.get(parent_table, parent_id) if parent_id else None
        if parent is None:
            return
        lines = [row for row in self._lines(tx, table) if row.get(f"_{lookup}_value") == parent_id]
        total = round(sum(row.get("extendedamount") or 0 for row in lines), 2)
        tax = round(sum(row.get("tax") or 0 for row in lines), 2)
        updated = {
            **parent,
            "totallineitemamount": total,
            "totaltax": tax,
            "totaldiscountamount": 0.0,
            "totalamount": total,
            "versionnumber": self._next_version(),
        }
        if parent_name == "opportunity" and parent.get("isrevenuesystemcalculated"):
            updated["estimatedvalue"] = total
        tx.put(parent_table, updated)

    def _lines(self, tx: Transaction, table: Table) -> list[dict]:
        rows = {row[table.primary_key]: row for row in self.store.current(table.logical_name)}
        for (logical, row_id), staged in tx.staged.items():
            if logical == table.logical_name:
                rows[row_id] = staged
        return [row for row in rows.values() if isinstance(row, dict)]

    def _check_unique(self, tx: Transaction, table: Table, row: dict) -> None:
        for column in table.alternate_keys:
            if row.get(column) is None:
                continue
            other = tx.find(table, {column: row[column]})
            if other is not None and other[table.primary_key] != row[table.primary_key]:
                raise DataverseError(
                    412,
                    "0x80060892",
                    f"A record that has the attribute values {row[column]} "
                    f"already exists. The entity key {table.logical_name}_{column}_key requires that "
                    "this set of attributes contains unique values. Select unique values and try "
                    "again.",
                )

    def _check_rules(self, table: Table, row: dict) -> None:
        for rule in self.settings().reject_rules:
            value = row.get(rule.column)
            if rule.table == table.logical_name and isinstance(value, str) and re.search(rule.pattern, value):
                raise DataverseError(400, "0x80040265", rule.message)

    def _delete(self, table: Table, key, tx: Transaction | None) -> Reply:
        with self._tx(tx) as active:
            row = active.find(table, key)
            if row is None:
                raise _missing(table, key)
            active.delete(table, row[table.primary_key])
            self._recalculate_parent(active, table, {**row, "extendedamount": 0})
        self.counters.deleted += 1
        return Reply(204)

    def _bulk(self, table: Table, message: str, body: dict, root: str) -> Reply:
        if message not in _BULK:
            raise DataverseError(
                404, "0x80060888", f"Resource not found for the segment 'Microsoft.Dynamics.CRM.{message}'."
            )
        if table.logical_name not in self.settings().bulk_tables:
            # Guess: the reference names no code for an unsupported table; 0x80040203 is InvalidArgument.
            raise DataverseError(
                400, "0x80040203", f"The '{message}' method does not support entities of type '{table.logical_name}'."
            )
        targets = body.get("Targets")
        if not isinstance(targets, list) or not targets:
            raise DataverseError(
                400, "0x80048d19", "The parameter 'Targets' is required and must be a non-empty collection."
            )
        ids = []
        # Standard tables: one transaction for the whole request; the first failure rolls everything back.
        with self.store.transaction() as tx:
            for target in targets:
                if target.get("@odata.type") != f"Microsoft.Dynamics.CRM.{table.logical_name}":
                    raise DataverseError(
                        400,
                        "0x80048d19",
                        "Each item of Targets must have an '@odata.type' of "
                        f"'Microsoft.Dynamics.CRM.{table.logical_name}'.",
                    )
                key = self._target_key(table, target)
                fields = {k: v for k, v in target.items() if k != "@odata.id"}
                if message == "UpdateMultiple" and (key is None or tx.find(table, key) is None):
                    raise _missing(table, key)
                row, _ = self.upsert(
                    tx,
                    table,
                    None if message == "CreateMultiple" else key,
                    fields,
                    create_only=message == "CreateMultiple",
                )
                ids.append(row[table.primary_key])
        if message == "CreateMultiple":
            return Reply(
                200,
                {},
                {"@odata.context": f"{root}/$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse", "Ids": ids},
            )
        return Reply(204)

    def _target_key(self, table: Table, target: dict):
        if target.get("@odata.id"):
            match = _PATH.match(unquote(_API_ROOT.sub("", target["@odata.id"]).lstrip("/")))
            if not match or BY_ENTITY_SET.get(match["set"]) is not table or match["key"] is None:
                raise DataverseError(
                    400,
                    "0x80048d19",
                    f"The @odata.id '{target['@odata.id']}' does not address a {table.logical_name} row.",
                )
            return self._key(table, match["key"])
        if target.get(table.primary_key):
            return str(uuid.UUID(target[table.primary_key]))
        return None

    # reads ---------------------------------------------------------------------------------------------------
    def _query(
        self, request: Request, root: str, entity_set: str, rows: list[dict], columns: set[str], primary: str
    ) -> Reply:
        query = request.query
        if "$skip" in query:
            raise DataverseError(400, "0x80060888", "The query parameter $skip is not supported.")
        try:
            select = parse_select(query.get("$select"), columns)
            order = parse_orderby(query.get("$orderby"), columns)
            if query.get("$filter"):
                test = parse_filter(query["$filter"], columns)
                rows = [row for row in rows if test(row)]
        except QueryError as error:
            raise DataverseError(400, error.code, str(error)) from None
        sort = [*order, (primary, False)]
        rows.sort(key=lambda row: tuple(_sortable(row.get(c), desc) for c, desc in sort))
        page_size, applied = _page_size(request.headers.get("prefer", ""))
        after = query.get("$skiptoken")
        if after:
            last = _cookie_position(after)
            rows = [row for row in rows if [_sortable(row.get(c), d) for c, d in sort] > last]
        body: dict = {"@odata.context": f"{root}/$metadata#{entity_set}"}
        if query.get("$count") == "true":
            body["@odata.count"] = min(len(rows), MAX_PAGE)
        top = int(query["$top"]) if query.get("$top", "").isdigit() and applied is None else None
        page = rows[: min(page_size, top) if top is not None else page_size]
        table = BY_ENTITY_SET.get(entity_set)
        body["value"] = [
            _render(table, row, select) if table else {c: row.get(c) for c in (select or columns)} for row in page
        ]
        if len(rows) > len(page) and top is None:
            position = [_sortable(page[-1].get(c), d) for c, d in sort]
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = _cookie(position, after)
            body["@odata.nextLink"] = f"{root}/{entity_set}?{urlencode(params)}"
        headers = {"Preference-Applied": applied} if applied else {}
        return Reply(200, headers, body)

    def _message_filters(self) -> list[dict]:
        rows = []
        for logical in TABLES:
            messages = _STANDARD_MESSAGES + (_BULK if logical in self.settings().bulk_tables else ())
            for message in messages:
                rows.append(
                    {
                        "sdkmessagefilterid": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{logical}/{message}")),
                        "primaryobjecttypecode": logical,
                        "sdkmessageid/name": message,
                        "iscustomprocessingstepallowed": True,
                    }
                )
        return rows

    def _application_users(self) -> list[dict]:
        """The application users of the environment (the systemuser rows an administrator adds under Application
        users), those of the settings."""
        return [
            {
                "systemuserid": str(uuid.uuid5(uuid.NAMESPACE_OID, f"systemuser/{app_id}")),
                "applicationid": app_id,
                "fullname": f"# {app_id}",
                "isdisabled": False,
                "accessmode": 4,  # Non-interactive: what an application user is
            }
            for app_id in self.settings().application_users
        ]

    def _entity_keys(self, logical_name: str, root: str) -> Reply:
        """`EntityDefinitions(LogicalName='account')/Keys`: the table's alternate keys as EntityKeyMetadata
        (LogicalName, KeyAttributes, EntityKeyIndexStatus: Pending, InProgress, Active or Failed). Only the
        properties the connector reads are rendered; the emulator's keys are always Active."""
        table = TABLES.get(logical_name)
        if table is None:
            raise DataverseError(
                404, "0x80060888", f"Could not find entity with LogicalName = '{logical_name}'."
            )  # guess: the message of an unknown LogicalName
        keys = [
            {
                "LogicalName": f"{column}_key",
                "SchemaName": f"{column}_key",
                "KeyAttributes": [column],
                "EntityKeyIndexStatus": "Active",
                "MetadataId": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{logical_name}/key/{column}")),
            }
            for column in self.alternate_keys(table)
        ]
        context = f"{root}/$metadata#EntityDefinitions('{logical_name}')/Keys"
        return Reply(200, {}, {"@odata.context": context, "value": keys})

    def alternate_keys(self, table: Table) -> tuple[str, ...]:
        """The keys an administrator defined: the table's, unless the settings say its key is not defined."""
        return () if table.logical_name in self.settings().undefined_keys else table.alternate_keys

    def _who_am_i(self) -> Reply:
        ids = {name: str(uuid.uuid5(uuid.NAMESPACE_OID, name)) for name in ("bu", "user", "org")}
        return Reply(
            200,
            {},
            {
                "@odata.context": "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                "BusinessUnitId": ids["bu"],
                "UserId": ids["user"],
                "OrganizationId": ids["org"],
            },
        )

    # $batch --------------------------------------------------------------------------------------------------
    def _batch(self, request: Request, root: str) -> Reply:
        try:
            items = multipart.parse_batch(request.headers.get("content-type", ""), request.body)
        except (multipart.BatchError, UnicodeDecodeError) as error:
            raise DataverseError(400, "0x80048d19", str(error)) from None
        for item in items:
            for part in item.requests if isinstance(item, multipart.ChangeSet) else [item]:
                if not part.url.isascii():
                    # A request line is US-ASCII (RFC 9112 §3.2). Guess: refused like one a space splits, whole.
                    raise DataverseError(
                        400, "0x80048d19", f"The batch part request line '{part.method} {part.url}' is not valid."
                    )
        keep_going = "odata.continue-on-error" in request.headers.get("prefer", "")
        answers: list = []
        for item in items:
            if isinstance(item, multipart.ChangeSet):
                answer, failed = self._changeset(item, root)
            else:
                answer = self._part(item, root, None)
                failed = answer.status >= 400
            if failed and not keep_going:
                failing = answer[-1] if isinstance(answer, list) else answer
                content_type, body = multipart.compose_batch([answer])
                return Reply(failing.status, {"Content-Type": content_type}, body)
            answers.append(answer)
        content_type, body = multipart.compose_batch(answers)
        headers = {"Content-Type": content_type}
        if keep_going:
            headers["Preference-Applied"] = "odata.continue-on-error"
        return Reply(200, headers, body)

    def _changeset(self, changeset: multipart.ChangeSet, root: str) -> tuple[list, bool]:
        answers = []
        try:
            with self.store.transaction() as tx:
                for part in changeset.requests:
                    answer = self._part(part, root, tx)
                    if answer.status >= 400:
                        raise RolledBack(answer)
                    answers.append(answer)
        except RolledBack as rollback:
            return [rollback.answer], True
        return answers, False

    def _part(self, part: multipart.PartRequest, root: str, tx: Transaction | None) -> multipart.PartResponse:
        url = urlsplit(part.url)
        path = _API_ROOT.sub("", url.path if url.path.startswith("/") else "/" + url.path).lstrip("/")
        inner = Request(part.method, unquote(path), dict(parse_qsl(url.query)), part.headers, part.body)
        try:
            reply = self._dispatch(inner, root, tx)
        except DataverseError as error:
            reply = error_reply(error)
        headers = {"OData-Version": "4.0", **reply.headers}
        body = b""
        if isinstance(reply.body, dict):
            body = json.dumps(reply.body).encode()
            headers["Content-Type"] = "application/json; odata.metadata=minimal"
        return multipart.PartResponse(reply.status, headers, body, part.content_id)

    # helpers -------------------------------------------------------------------------------------------------
    def _key(self, table: Table, text: str):
        try:
            key = parse_key(text)
        except QueryError as error:
            raise DataverseError(400, error.code, str(error)) from None
        if isinstance(key, dict):
            refused = [c for value in key.values() if isinstance(value, str) for c in value if c in _UNADDRESSABLE]
            if refused:
                raise DataverseError(
                    400, "", f"A potentially dangerous Request.Path value was detected from the client ({refused[0]})."
                )
            if set(key) == {table.primary_key}:
                return key[table.primary_key]
            if not set(key) <= set(self.alternate_keys(table)) or len(key) != 1:
                raise DataverseError(
                    400,
                    "0x80060888",
                    "The key in the request URI is not valid for resource "
                    f"'Microsoft.Dynamics.CRM.{table.logical_name}'. Ensure that the names and "
                    "number of key properties match the declared or alternate key properties for "
                    "the resource.",
                )
        return key

    def _read_tx(self, tx: Transaction | None) -> Transaction:
        return tx or Transaction(self.store)

    def _tx(self, tx: Transaction | None):
        return Joined(tx) if tx is not None else self.store.transaction()

    def _next_version(self) -> int:
        self._version += 1
        return self._version


_USER_COLUMNS = {"systemuserid", "applicationid", "fullname", "isdisabled", "accessmode"}
_FILTER_COLUMNS = {"sdkmessagefilterid", "primaryobjecttypecode", "sdkmessageid/name", "iscustomprocessingstepallowed"}


def error_reply(error: DataverseError) -> Reply:
    return Reply(error.status, {}, {"error": {"code": error.code, "message": error.message}})


def _settle_state(table: Table, row: dict, values: dict, existing: dict | None) -> None:
    """statecode and statuscode as the platform sets them through Create and Update (the SetState message is
    deprecated in favour of Update: "Behavior of specialized update operations"). A record is always created in
    its first state, whatever statecode says (microsoft.md §2.4: "statecode not valid on create"); guess: the value
    is dropped rather than refused, as a create with statecode 1 and statuscode 2 is reported to fail on the
    statuscode alone. An update may set statecode; without a statuscode the state's default status follows. A
    statuscode that is not one of its state's is refused (0x80048408, the reported message; the HTTP status 400 is
    a guess)."""
    first = next(iter(table.states))
    state = first if existing is None else values.get("statecode", existing.get("statecode", first))
    status = values.get("statuscode")
    if status is None:
        status = (
            existing["statuscode"]
            if existing is not None and "statecode" not in values
            else table.states[state].statuses[0]
        )
    if status not in table.states[state].statuses:
        record_id = row[table.primary_key]
        raise DataverseError(
            400,
            "0x80048408",
            f"{status} is not a valid status code for state code {table.logical_name.capitalize()}State."
            f"{table.states[state].label} on {table.logical_name} with Id {record_id}.",
        )
    row.update(statecode=state, statuscode=status)


def _missing(table: Table, key) -> DataverseError:
    if isinstance(key, str):
        return DataverseError(404, "0x80040217", f"{table.logical_name} With Id = {key} Does Not Exist")
    return DataverseError(
        404, "0x80060891", f"A record with the specified key values does not exist in {table.logical_name} entity"
    )


def _checked(table: Table, name: str, column, value):
    if value is None:
        return None
    edm = {"String": str, "Memo": str, "Uniqueidentifier": str, "DateTime": str, "Boolean": bool}
    if column.type in edm and not isinstance(value, edm[column.type]):
        raise _literal_error(value, column.type)
    if column.type in ("Integer", "Choice") and (isinstance(value, bool) or not isinstance(value, int)):
        raise _literal_error(value, "Edm.Int32")
    if column.type in ("Money", "Decimal") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise _literal_error(value, "Edm.Decimal")
    # MaxLength counts UTF-16 code units (guess: microsoft.md §2.4 says "characters"; nvarchar counts code units).
    if column.max_length is not None and len(value.encode("utf-16-le")) // 2 > column.max_length:
        raise DataverseError(
            400,
            "0x80044331",
            f"A validation error occurred.  The length of the '{name}' attribute "
            f"of the '{table.logical_name}' entity exceeded the maximum allowed length of "
            f"'{column.max_length}'.",
        )
    if column.type == "Choice" and value not in column.choices:
        # Guess: the reference lists no code for an out-of-range choice; the generic validation code is used.
        raise DataverseError(
            400,
            "0x80044331",
            f"A validation error occurred.  The value {value} of '{name}' on "
            f"record of type '{table.logical_name}' is outside the valid range. Accepted Values: "
            f"{','.join(str(c) for c in sorted(column.choices))}",
        )
    if column.type == "Uniqueidentifier":
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise _literal_error(value, "Edm.Guid") from None
    return value


def _line_amounts(row: dict) -> None:
    base = round((row.get("quantity") or 0) * (row.get("priceperunit") or 0), 2)
    row["baseamount"] = base
    row["extendedamount"] = round(base - (row.get("manualdiscountamount") or 0) + (row.get("tax") or 0), 2)


def _literal_error(value, edm: str) -> DataverseError:
    return DataverseError(400, "0x80048d19", f"Cannot convert the literal '{value}' to the expected type '{edm}'.")


def _readable(table: Table) -> set[str]:
    return set(table.columns) | {table.key_of_lookup(lookup.column) for lookup in table.lookups.values()}


def _select(request: Request, table: Table) -> list[str] | None:
    try:
        return parse_select(request.query.get("$select"), _readable(table))
    except QueryError as error:
        raise DataverseError(400, error.code, str(error)) from None


def _render(table: Table, row: dict, select: list[str] | None) -> dict:
    columns = select if select is not None else sorted(_readable(table))
    rendered = {"@odata.etag": _etag(row), table.primary_key: row[table.primary_key]}
    rendered.update({column: row.get(column) for column in columns})
    return rendered


def _etag(row: dict) -> str:
    return f'W/"{row.get("versionnumber", 0)}"'


def _json_body(request: Request) -> dict:
    if not request.body:
        raise DataverseError(400, "0x80048d19", "The request body is empty; a JSON object was expected.")
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        raise DataverseError(
            415, "0x80048d19", f"The content type '{content_type}' is not supported; use application/json."
        )
    try:
        body = json.loads(request.body)
    except ValueError as error:
        raise DataverseError(400, "0x80048d19", f"Invalid JSON. {error}") from None
    if not isinstance(body, dict):
        raise DataverseError(400, "0x80048d19", "A JSON object was expected in the request body.")
    return body


def _page_size(prefer: str) -> tuple[int, str | None]:
    match = re.search(r"odata\.maxpagesize=(\d+)", prefer)
    if not match:
        return MAX_PAGE, None
    size = min(int(match.group(1)), MAX_PAGE)  # guess: above 5,000 is capped, not refused (§5.4)
    return size, f"odata.maxpagesize={size}"


def _sortable(value, descending: bool):
    # None sorts first ascending, as SQL Server does; descending inverts the comparison per column.
    base = (value is not None, value if value is not None else "")
    if not descending:
        return base
    if isinstance(value, (int, float)):
        return (value is None, -value if value is not None else 0)
    return (value is None, tuple(-ord(ch) for ch in str(value)) if value is not None else ())


def _cookie(position: list, previous: str | None) -> str:
    page = (_cookie_page(previous) if previous else 1) + 1
    paging = base64.urlsafe_b64encode(json.dumps(position, default=list).encode()).decode()
    return f'<cookie pagenumber="{page}" pagingcookie="{paging}" istracking="False" />'


def _cookie_page(cookie: str) -> int:
    match = re.search(r'pagenumber="(\d+)"', cookie)
    return int(match.group(1)) if match else 1


def _cookie_position(cookie: str) -> list:
    match = re.search(r'pagingcookie="([^"]+)"', cookie)
    if not match:
        raise DataverseError(400, "0x80060888", "The $skiptoken is not a valid paging cookie.")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(match.group(1)))
    except ValueError:
        raise DataverseError(400, "0x80060888", "The $skiptoken is not a valid paging cookie.") from None
    return [_tuples(item) for item in decoded]


def _tuples(item):
    return tuple(_tuples(x) for x in item) if isinstance(item, list) else item
