"""Procore REST v1.0 (crm_targets.md §3): the session's reads, paged lazily by the `Link` header, and, as the core's
`TargetWriter`, its sync actions (writes.py) and webhook set-up (hooks.py). Paths are relative to the http client's
base, `<api_url>/rest/v1.0/`; every call carries `Procore-Company-Id` (a header of that client) besides the
`company_id` or `project_id` its path asks for."""

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from ml_connector_dagster.resources.procore.errors import ERRORS
from ml_connector_dagster.resources.procore.hooks import ProcoreHooks
from ml_connector_dagster.resources.procore.writes import ProcoreWrites

from ml_connector_dagster.http import CallCounter, vendor_error
from ml_connector_dagster.paging import HeaderLinkPaginator, PageRequest, paginate
from ml_connector_dagster.spool import IdMap

# Ids per `filters[id][]` read. Guess: Procore documents no limit; 100 ids keep the URL near 2,500 characters.
IDS_PER_READ = 100

Window = tuple[datetime, datetime]


class ProcoreClient(ProcoreWrites, ProcoreHooks):
    def __init__(
        self, http: httpx.Client, *, counter: CallCounter, company_id: int, page_size: int, parallelism: int = 1
    ):
        self.http = http
        self.counter = counter
        self.company_id = company_id
        self.page_size = page_size
        # Load batches the loop may send at once, and calls of one batch sent side by side (writes.py); every method
        # is safe to call from several threads.
        self.parallelism = parallelism
        # What the session learns of Procore's ids over a partition, on disk: its memory does not grow with the
        # partition (writes.py)
        self._origin_ids = IdMap()
        self._links = IdMap()

    # reads -----------------------------------------------------------------------------------------------------
    def projects(self) -> Iterator[dict]:
        return self._read("projects", None, {})

    def vendors(self, **filters: Any) -> Iterator[dict]:
        """The company's vendors; `filters` as Procore names them: `origin_id="V1"`, `id=[1, 2]`,
        `updated_at=(start, end)` (a window reads `start <= updated_at < end`)."""
        return self._read("vendors", None, filters)

    def cost_codes(self, project_id: int, **filters: Any) -> Iterator[dict]:
        return self._read("cost_codes", project_id, filters)

    def contracts(self, project_id: int, **filters: Any) -> Iterator[dict]:
        """Purchase order contracts (commitments) of a project."""
        return self._read("purchase_order_contracts", project_id, filters)

    def contract(self, project_id: int, id: int) -> dict:
        return self._send("GET", f"purchase_order_contracts/{id}", params=_scope(project_id))

    def contract_line_items(self, project_id: int, contract_id: int) -> Iterator[dict]:
        return self._read(f"purchase_order_contracts/{contract_id}/line_items", project_id, {})

    def requisitions(
        self, project_id: int, updated: Window | None = None, ids: Sequence[int] | None = None
    ) -> Iterator[dict]:
        """Requisitions (subcontractor invoices) changed in the window `updated`, or of these `ids`, or all."""
        return self._read("requisitions", project_id, _given(updated_at=updated, id=ids))

    def requisition(self, project_id: int, id: int) -> dict:
        return self._send("GET", f"requisitions/{id}", params=_scope(project_id))

    def requisition_items(self, project_id: int, requisition_id: int) -> list[dict]:
        """A requisition's detail lines: `cost_code_id`, `work_completed_this_period` (a decimal string),
        `description_of_work`, `item_type`, ... (`GET /requisitions/{id}/detail`, one unpaged array in the SDK's
        docs)."""
        return self._send("GET", f"requisitions/{requisition_id}/detail", params=_scope(project_id)) or []

    def change_orders(
        self, project_id: int, updated: Window | None = None, ids: Sequence[int] | None = None
    ) -> Iterator[dict]:
        """Commitment change orders, as `requisitions` reads them."""
        return self._read("commitment_change_orders", project_id, _given(updated_at=updated, id=ids))

    def change_order(self, project_id: int, id: int) -> dict:
        return self._send("GET", f"commitment_change_orders/{id}", params=_scope(project_id))

    def _read(self, path: str, project_id: int | None, filters: Mapping[str, Any]) -> Iterator[dict]:
        """Every item of a list, filtered; ids are read `IDS_PER_READ` at a time (none: nothing is read, where an
        empty filter would read everything). Procore's range filter may include its end (undocumented), so items
        updated at or after a window's end are dropped here."""
        scope = _scope(project_id) if project_id is not None else {"company_id": str(self.company_id)}
        ids = filters.get("id")
        chunks = [None] if ids is None else [list(ids)[i : i + IDS_PER_READ] for i in range(0, len(ids), IDS_PER_READ)]
        window = filters.get("updated_at")
        end = _aware(window[1]) if _is_window(window) else None
        for chunk in chunks:
            wanted = filters if chunk is None else {**filters, "id": chunk}
            for item in self._pages(path, {**scope, **filter_params(wanted)}):
                if end is None or not item.get("updated_at") or _moment(item["updated_at"]) < end:
                    yield item

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
        yield from paginate(
            lambda page: self._get(page.url, page.params),
            PageRequest(path, {**params, "page": "1", "per_page": str(self.page_size)}),
            HeaderLinkPaginator(),
            lambda response: response.json(),
        )

    def companies(self) -> list[dict]:
        """The companies the app may reach."""
        return self._get("companies", None).json()

    def tool_levels(self) -> dict[str, str]:
        """The app's permission on each company tool, as Procore names it (None, Read Only, Standard, Admin), from
        its permission manifest (guess: the answer's shape, sandbox/procore/emulator.py)."""
        manifest = self._get("settings/permissions", {"company_id": self.company_id}).json()
        return {tool["name"]: tool.get("user_access_level", {}).get("name", "None") for tool in manifest["tools"]}

    # transport -------------------------------------------------------------------------------------------------
    def _get(self, url: str, params: Mapping | None) -> httpx.Response:
        response = self.http.get(url, params=params)
        if response.status_code >= 300:
            raise vendor_error(ERRORS, response, f"GET {httpx.URL(url).path}")
        return response

    def _send(self, method: str, path: str, **kwargs) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise vendor_error(ERRORS, response, f"{method} {path}")
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()
        self._origin_ids.close()
        self._links.close()


def filter_params(filters: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """Procore's bracket filters: a (start, end) pair of datetimes is a range `a...b`, a list of values an array
    `filters[name][]`, anything else the value."""
    params: dict[str, str | list[str]] = {}
    for name, value in filters.items():
        if _is_window(value):
            params[f"filters[{name}]"] = f"{iso(value[0])}...{iso(value[1])}"
        elif isinstance(value, list | tuple | set | frozenset):
            params[f"filters[{name}][]"] = [str(item) for item in value]
        else:
            params[f"filters[{name}]"] = str(value)
    return params


def iso(moment: datetime) -> str:
    """UTC with a `Z`, to the second, as Procore's examples write it; a naive datetime is taken as UTC."""
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(value: str) -> datetime:
    return _aware(datetime.fromisoformat(value))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_window(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(end, datetime) for end in value)


def _scope(project_id: int) -> dict[str, str]:
    return {"project_id": str(project_id)}


def _given(**filters: Any) -> dict[str, Any]:
    return {name: value for name, value in filters.items() if value is not None}
