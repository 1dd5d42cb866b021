"""List actions (crm_targets.md §3.3): `page` (1-based) and `per_page` (capped at the maximum, 10,000), a bare JSON
array, and the pagination headers of the api-pagination gem Procore's Rails API answers with: `Total`, `Per-Page`
and `Link` (first, prev, next, last; first/prev left out on the first page, next/last on the last). Filters use
bracket syntax: `filters[updated_at]=a...b` (and created_at), `filters[origin_id]=x`, `filters[id][]=1&...`,
`filters[include_deleted]=with|only`, and per resource a few equality filters (status, commitment_id, ...)."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from starlette.datastructures import URL, QueryParams

from ml_connector_dagster.sandbox.procore.errors import bad_request

Getter = Callable[[dict], object]


def page(url: URL, params: QueryParams, rows: list, default_per_page: int, max_per_page: int) -> tuple[list, dict]:
    """One page of `rows` and its headers."""
    per_page = min(_positive(params, "per_page", default_per_page), max_per_page)
    number = _positive(params, "page", 1)
    last = max(1, -(-len(rows) // per_page))
    headers = {"Total": str(len(rows)), "Per-Page": str(per_page)}
    links = []
    if number > 1:
        links += [_link(url, 1, per_page, "first"), _link(url, min(number - 1, last), per_page, "prev")]
    if number < last:
        links += [_link(url, number + 1, per_page, "next"), _link(url, last, per_page, "last")]
    if links:
        headers["Link"] = ", ".join(links)
    return rows[(number - 1) * per_page : number * per_page], headers


def select(rows: list[dict], params: QueryParams, equal: dict[str, Getter] | None = None) -> list[dict]:
    """The rows the call's filters keep, by id. Deleted rows (`deleted_at` set) only with `include_deleted`."""
    deleted = params.get("filters[include_deleted]")
    if deleted not in (None, "with", "only"):
        raise bad_request("filters[include_deleted] must be one of: with, only")
    kept = [r for r in rows if deleted == "with" or (r.get("deleted_at") is not None) == (deleted == "only")]
    for name in ("updated_at", "created_at"):
        if params.get(f"filters[{name}]"):
            low, high = _range(params[f"filters[{name}]"], name)
            kept = [r for r in kept if low <= datetime.fromisoformat(r[name]) <= high]
    if params.get("filters[origin_id]") is not None:
        kept = [r for r in kept if r.get("origin_id") == params["filters[origin_id]"]]
    ids = params.getlist("filters[id][]") + params.getlist("filters[id]")
    if ids:
        wanted = {_integer(i, "filters[id]") for part in ids for i in part.split(",") if i}
        kept = [r for r in kept if r["id"] in wanted]
    for name, getter in (equal or {}).items():
        value = params.get(f"filters[{name}]")
        if value is not None:
            kept = [r for r in kept if str(getter(r)) == value]
    return sorted(kept, key=lambda r: r["id"])


def _range(text: str, name: str) -> tuple[datetime, datetime]:
    """`a...b` inclusive at both ends; a date stands for its whole day (guess: the docs give the formats only)."""
    start, dots, end = text.partition("...")
    if not dots:
        start = end = text
    try:
        return _moment(start, end_of_day=False), _moment(end, end_of_day=True)
    except ValueError:
        raise bad_request(f"filters[{name}] must be an ISO 8601 range: <from>...<to>") from None


def _moment(text: str, *, end_of_day: bool) -> datetime:
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime.combine(day, time.max if end_of_day else time.min, UTC)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a date-time needs its offset")
    return moment


def _positive(params: QueryParams, name: str, default: int) -> int:
    text = params.get(name)
    if text in (None, ""):
        return default
    # As kaminari does: a value that is not a positive integer falls back to the default.
    return int(text) if text.isdigit() and int(text) > 0 else default


def _integer(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"{name} must be integers") from None


def _link(url: URL, number: int, per_page: int, rel: str) -> str:
    return f'<{url.include_query_params(page=number, per_page=per_page)}>; rel="{rel}"'
