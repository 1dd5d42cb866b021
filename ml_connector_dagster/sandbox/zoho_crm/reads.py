"""Reading records (crm_targets.md §2.3): GET records with `fields` (required, ≤50), `page`/`per_page` up to the
first 2,000 records and `page_token` past them, `ids`, `sort_by`/`sort_order`, If-Modified-Since; search; deleted
records. An answer is `(status, body)`; no records is 204 with no body, nothing changed since If-Modified-Since 304."""

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ml_connector_dagster.sandbox.zoho_crm import criteria
from ml_connector_dagster.sandbox.zoho_crm.errors import ZohoError, invalid_param, required_param
from ml_connector_dagster.sandbox.zoho_crm.org import Org
from ml_connector_dagster.sandbox.zoho_crm.schema import Module
from ml_connector_dagster.sandbox.zoho_crm.settings import ZohoCrmSettings

Answer = tuple[int, dict | None]
_SORTS = ("id", "Created_Time", "Modified_Time")


@dataclass(frozen=True)
class _Cursor:
    """What a page token stands for: the query it continues and where the next page starts."""

    dc: str
    module: str
    query: tuple
    offset: int
    expires: datetime


class PageTokens:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursors: dict[str, _Cursor] = {}

    def issue(self, cursor: _Cursor) -> str:
        token = secrets.token_hex(24)
        with self._lock:
            self._cursors[token] = cursor
        return token

    def take(self, token: str, dc: str, module: str, now: datetime) -> _Cursor:
        with self._lock:
            cursor = self._cursors.get(token)
        if cursor is None or cursor.dc != dc or cursor.module != module:
            # Guess: the code and wording of an unknown page token.
            raise invalid_param("page_token", "invalid page token")
        if now >= cursor.expires:
            # Guess: the code of an expired page token.
            raise ZohoError(400, "PAGE_TOKEN_EXPIRED", "the page token has expired", {"param_name": "page_token"})
        return cursor


class Reads:
    def __init__(self, settings: Callable[[], ZohoCrmSettings], tokens: PageTokens):
        self.settings = settings
        self.tokens = tokens

    def records(self, org: Org, module: Module, params: dict, if_modified_since: str | None) -> Answer:
        settings = self.settings()
        fields = _fields(module, params.get("fields"), settings.max_fields, required=True)
        per_page = _int(params, "per_page", 200, 1, settings.max_per_page)
        sort_by = params.get("sort_by", "id")
        sort_order = params.get("sort_order", "desc")
        if sort_by not in _SORTS:
            raise invalid_param("sort_by", supported_values=list(_SORTS))
        if sort_order not in ("asc", "desc"):
            raise invalid_param("sort_order", supported_values=["asc", "desc"])
        since = _since(if_modified_since)
        ids = [i for i in params.get("ids", "").split(",") if i]
        if len(ids) > settings.max_ids:
            raise ZohoError(400, "LIMIT_EXCEEDED", "ids limit exceeded", {"limit": settings.max_ids, "param": "ids"})
        query = (tuple(fields), sort_by, sort_order, since, tuple(ids))
        now = org.clock.now()
        if params.get("page_token"):
            cursor = self.tokens.take(params["page_token"], org.dc, module.api_name, now)
            query, offset = cursor.query, cursor.offset
            fields, sort_by, sort_order, since, ids = query[0], query[1], query[2], query[3], list(query[4])
            page = offset // per_page + 1
        else:
            page = _int(params, "page", 1, 1, None)
            offset = (page - 1) * per_page
            if page * per_page > settings.page_limit_records and page > 1:
                # Guess: the code Zoho answers when `page` reaches past the first 2,000 records.
                raise ZohoError(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    f"The number of records that can be fetched with page exceeds {settings.page_limit_records}; "
                    "use page_token",
                    {"limit": settings.page_limit_records},
                )
        rows = self._rows(org, module, since, ids)
        rows.sort(key=lambda row: (row.get(sort_by) or "", row["id"]), reverse=sort_order == "desc")
        if not rows:
            return (settings.not_modified_status if since else 204), None
        window = rows[offset : offset + per_page]
        if not window:
            return 204, None
        more = offset + per_page < len(rows)
        expiry = now + timedelta(seconds=settings.page_token_lifetime_seconds)
        next_token = (
            self.tokens.issue(_Cursor(org.dc, module.api_name, query, offset + per_page, expiry)) if more else None
        )
        info = {
            "per_page": per_page,
            "count": len(window),
            "page": page,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "more_records": more,
            "next_page_token": next_token,
            "previous_page_token": None,
            "page_token_expiry": org.local(expiry.replace(microsecond=0).isoformat()) if next_token else None,
        }
        return 200, {"data": [org.render(module, row, list(fields)) for row in window], "info": info}

    def record(self, org: Org, module: Module, record_id: str, params: dict) -> Answer:
        row = org.records(module).get(record_id)
        if row is None:
            # Guess: an unknown id reads as no content, as a list read with no records does.
            return 204, None
        fields = _fields(module, params.get("fields"), self.settings().max_fields, required=False)
        return 200, {"data": [org.render(module, row, fields or None)]}

    def search(self, org: Org, module: Module, params: dict) -> Answer:
        settings = self.settings()
        per_page = _int(params, "per_page", 200, 1, settings.max_per_page)
        page = _int(params, "page", 1, 1, None)
        if page * per_page > settings.search_limit and page > 1:
            raise ZohoError(
                400, "LIMIT_EXCEEDED", "search results are limited", {"limit": settings.search_limit, "param": "page"}
            )
        fields = _fields(module, params.get("fields"), settings.max_fields, required=False)
        test = _search_predicate(module, params, settings.max_criteria)
        cutoff = (org.now() - timedelta(seconds=settings.search_delay_seconds)).isoformat()
        with org.store.lock:
            rows = [row for row in org.records(module).values() if row["Modified_Time"] <= cutoff]
        found = [row for row in sorted(rows, key=lambda r: r["id"]) if test(org.render(module, row))]
        found = found[: settings.search_limit]
        window = found[(page - 1) * per_page : page * per_page]
        if not window:
            return 204, None
        info = {"per_page": per_page, "count": len(window), "page": page, "more_records": page * per_page < len(found)}
        return 200, {"data": [org.render(module, row, fields or None) for row in window], "info": info}

    def deleted(self, org: Org, module: Module, params: dict) -> Answer:
        kind = params.get("type", "all")
        if kind not in ("all", "recycle", "permanent"):
            raise invalid_param("type", supported_values=["all", "recycle", "permanent"])
        per_page = _int(params, "per_page", 200, 1, self.settings().max_per_page)
        page = _int(params, "page", 1, 1, None)
        with org.store.lock:
            entries = list(org.store.items(f"deleted:{module.api_name}", org.dc).values())
        entries = sorted(
            (e for e in entries if kind in ("all", e["type"])), key=lambda e: e["deleted_time"], reverse=True
        )
        window = entries[(page - 1) * per_page : page * per_page]
        if not window:
            return 204, None
        data = [
            {
                "deleted_by": org.user(e["deleted_by"], email=False),
                "id": e["id"],
                "display_name": e["display_name"],
                "type": e["type"],
                "created_by": org.user(e["created_by"], email=False),
                "deleted_time": org.local(e["deleted_time"]),
            }
            for e in window
        ]
        info = {"per_page": per_page, "count": len(data), "page": page, "more_records": page * per_page < len(entries)}
        return 200, {"data": data, "info": info}

    def _rows(self, org: Org, module: Module, since: datetime | None, ids: list[str]) -> list[dict]:
        with org.store.lock:
            records = org.records(module)
            rows = [records[i] for i in dict.fromkeys(ids) if i in records] if ids else list(records.values())
        if since is not None:
            rows = [row for row in rows if datetime.fromisoformat(row["Modified_Time"]) > since]
        return rows


def _search_predicate(module: Module, params: dict, max_criteria: int) -> criteria.Predicate:
    if params.get("criteria"):
        return criteria.parse(params["criteria"], module, max_criteria)
    for param, data_types in (("email", ("email",)), ("phone", ("phone",))):
        if params.get(param):
            names = [n for n, spec in module.fields.items() if spec.data_type in data_types]
            wanted = params[param].lower()
            return lambda row, names=names, wanted=wanted: any(str(row.get(n) or "").lower() == wanted for n in names)
    if params.get("word"):
        word = params["word"].lower()
        names = [n for n, spec in module.fields.items() if spec.data_type in ("text", "textarea", "email", "phone")]
        return lambda row: any(word in str(row.get(n) or "").lower() for n in names)
    raise required_param("criteria")


def _fields(module: Module, text: str | None, limit: int, *, required: bool) -> list[str]:
    if not text:
        if required:
            raise required_param("fields")
        return []
    names = [name.strip() for name in text.split(",") if name.strip()]
    if len(names) > limit:
        raise ZohoError(400, "LIMIT_EXCEEDED", "fields limit exceeded", {"limit": limit, "param": "fields"})
    resolved = []
    for name in names:
        declared = module.field_named(name)
        if declared is None:
            # Guess: an unknown field name in `fields` is refused rather than ignored.
            raise invalid_param("fields", f"invalid field name {name}", api_name=name)
        resolved.append(declared)
    return list(dict.fromkeys(resolved))


def _int(params: dict, name: str, default: int, low: int, high: int | None) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or int(text) < low or (high is not None and int(text) > high):
        raise invalid_param(name, **({"maximum": high} if high else {}))
    return int(text)


def _since(header: str | None) -> datetime | None:
    if not header:
        return None
    try:
        since = datetime.fromisoformat(header.strip())
    except ValueError:
        # Guess: a malformed If-Modified-Since is refused naming the header.
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"header_name": "If-Modified-Since"}) from None
    if since.tzinfo is None:
        raise ZohoError(400, "INVALID_DATA", "invalid data", {"header_name": "If-Modified-Since"})
    return since
