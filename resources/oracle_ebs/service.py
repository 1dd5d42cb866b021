"""Calls to the connector's EBS read service (`XXMLC_SYNC_PKG`, see docs/contributors/oracle_ebs_service_contract.md):
the ISG request envelope with the application context, offset/limit paging, and ISG faults or PL/SQL return
statuses turned into clear errors."""

from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime

import httpx
from ml_connector_dagster.resources.oracle_ebs.errors import ERRORS, fault_of, raise_for_return_status

from ml_connector_dagster.http import ApiError, CallCounter, vendor_error
from ml_connector_dagster.paging import OffsetPaginator, PageRequest, paginate


class EbsService:
    def __init__(
        self,
        http: httpx.Client,
        *,
        alias: str,
        rest_header: dict[str, str],
        counter: CallCounter,
        page_size: int,
        server_timezone: tzinfo,
    ):
        self.http = http
        self.server_timezone = server_timezone
        self.alias = alias
        self.rest_header = rest_header
        self.counter = counter
        self.page_size = page_size
        self._server_now: datetime | None = None

    def read_window(self, method: str, start: datetime, end: datetime, **params: str) -> Iterator[dict]:
        """Rows whose change stamp is in [start, end), page by page, ordered by (stamp, key) as the package sorts."""
        return self._pages(
            method,
            {"P_LAST_UPDATE_FROM": self._server_time(start), "P_LAST_UPDATE_TO": self._server_time(end), **params},
        )

    def read_keys(self, method: str, party_ids: str, **params: str) -> list[dict]:
        """The rows of the given parties (comma-separated PARTY_IDs, at most 1,000), whatever their change stamp."""
        return list(self._pages(method, {"P_PARTY_IDS": party_ids, **params}))

    def parties_after(self, party_id: str, limit: int, **params: str) -> tuple[list[dict], bool]:
        """One page of parties in PARTY_ID order after `party_id` ("0": from the first), and whether more follow."""
        output = self.call(
            "GET_PARTIES", {"P_AFTER_PARTY_ID": party_id, "P_OFFSET": "0", "P_LIMIT": str(limit), **params}
        )
        return _items(output.get("X_ROWS"), "X_ROWS_ITEM"), output.get("X_HAS_MORE") == "Y"

    def now(self) -> datetime:
        """The EBS server's time, from the `Date` header of its latest answer (RFC 9110 §6.6.1: an origin server with
        a clock sends one). End dates are judged against it, as EBS's own SYSDATE comparisons are: every run at a
        moment sees one state, whichever day it syncs, and this machine's clock does not matter. Before any answer,
        the lightest call the service has (one party) asks for it."""
        if self._server_now is None:
            self.parties_after("0", 1)
        # A gateway that drops Date leaves this machine's clock: a guess that it is set right.
        return self._server_now or datetime.now(UTC)

    def _pages(self, method: str, params: dict[str, str]) -> Iterator[dict]:
        pages = OffsetPaginator(
            self.page_size,
            offset_param="P_OFFSET",
            limit_param="P_LIMIT",
            more=lambda output: output.get("X_HAS_MORE") == "Y",
        )
        yield from paginate(
            lambda page: self.call(page.url, page.params),
            PageRequest(method, params),
            pages,
            lambda output: _items(output.get("X_ROWS"), "X_ROWS_ITEM"),
        )

    def _server_time(self, value: datetime) -> str:
        """EBS DATE columns hold the database server's local time without a zone."""
        return value.astimezone(self.server_timezone).strftime("%Y-%m-%dT%H:%M:%S")

    def call(self, method: str, parameters: dict[str, str]) -> dict:
        body = {f"{method}_Input": {"RESTHeader": self.rest_header, "InputParameters": parameters}}
        response = self.http.post(
            f"webservices/rest/{self.alias}/{method.lower()}/", json=body, headers={"Accept": "application/json"}
        )
        if "date" in response.headers:
            self._server_now = parsedate_to_datetime(response.headers["date"])
        payload = _json(response)
        if response.status_code != 200 or payload is None or fault_of(payload):
            raise vendor_error(ERRORS, response, method)
        output = payload.get("OutputParameters") or payload.get(f"{method}_Output", {}).get("OutputParameters")
        if output is None:
            raise ApiError("oracle_ebs", f"{method}: response has no OutputParameters", status=response.status_code)
        raise_for_return_status(method, output)
        return output


def _items(table: dict | list | None, item_key: str) -> list[dict]:
    """A PL/SQL table as ISG renders it: `{ITEM: [...]}`, `{ITEM: {...}}` for one row (unverified), or null."""
    if not table:
        return []
    items = table.get(item_key, []) if isinstance(table, dict) else table
    if isinstance(items, dict):
        return [items]
    return list(items or [])


def _json(response: httpx.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
