"""Calls to the connector's EBS service (`XXMLC_SYNC_PKG`, see docs/contributors/oracle_ebs_service_contract.md):
the ISG request envelope with the application context, offset/limit paging, and ISG faults or PL/SQL return
statuses turned into clear errors. The journal methods run under the General Ledger responsibility."""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime

import httpx
from ml_connector_dagster.resources.oracle_ebs.errors import ERRORS, fault_of, raise_for_return_status

from ml_connector_dagster.http import READ_ONLY, ApiError, CallCounter, vendor_error
from ml_connector_dagster.paging import OffsetPaginator, PageRequest, paginate

MAX_JOURNALS = 100  # journals per POST_JOURNALS call, and references per GET_JOURNALS call


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
        journal_header: dict[str, str] | None = None,
        ledger_id: int | None = None,
    ):
        self.http = http
        self.server_timezone = server_timezone
        self.alias = alias
        self.rest_header = rest_header
        self.journal_header = journal_header if journal_header is not None else rest_header
        self.ledger_id = ledger_id
        self.counter = counter
        self.page_size = page_size
        self._server_now: datetime | None = None

    def read_window(self, method: str, start: datetime, end: datetime, **params: str) -> Iterator[dict]:
        """Rows whose change stamp is in [start, end), page by page, ordered by (stamp, key) as the package sorts."""
        return self._pages(
            method,
            {"P_LAST_UPDATE_FROM": self._server_time(start), "P_LAST_UPDATE_TO": self._server_time(end), **params},
        )

    def window_digest(self, method: str, start: datetime, end: datetime, **params: str) -> str:
        """What `read_window` with these arguments would return, in one call (GET_WINDOW_DIGEST): the number of rows
        and an order-independent hash of their keys and change stamps, as `count:hash`. Equal digests of a window
        taken at two moments mean the same rows with the same stamps; the value means nothing else."""
        output = self.call(
            "GET_WINDOW_DIGEST",
            {
                "P_METHOD": method,
                "P_LAST_UPDATE_FROM": self._server_time(start),
                "P_LAST_UPDATE_TO": self._server_time(end),
                **params,
            },
        )
        return f"{output.get('X_ROW_COUNT')}:{output.get('X_DIGEST')}"

    def read_keys(self, method: str, ids: str, *, ids_param: str = "P_PARTY_IDS", **params: str) -> list[dict]:
        """The rows of the given ids (comma-separated, at most 1,000), whatever their change stamp: PARTY_IDs, or
        what `ids_param` names (P_CCIDS of GET_CODE_COMBINATIONS, P_PO_HEADER_IDS of the purchase order methods)."""
        return list(self._pages(method, {ids_param: ids, **params}))

    def rows_after(
        self, method: str, after_param: str, after: str, limit: int, **params: str
    ) -> tuple[list[dict], bool]:
        """One page of rows in id order after `after` ("0": from the first), and whether more follow: the keyset of
        an initial load (P_AFTER_PARTY_ID of GET_PARTIES, P_AFTER_CCID of GET_CODE_COMBINATIONS)."""
        output = self.call(method, {after_param: after, "P_OFFSET": "0", "P_LIMIT": str(limit), **params})
        return _items(output.get("X_ROWS"), "X_ROWS_ITEM"), output.get("X_HAS_MORE") == "Y"

    def parties_after(self, party_id: str, limit: int, **params: str) -> tuple[list[dict], bool]:
        return self.rows_after("GET_PARTIES", "P_AFTER_PARTY_ID", party_id, limit, **params)

    def read_journals(self, references: Iterable[str], *, prefixes: bool = False) -> dict[str, dict]:
        """The journals posted under these references (with `prefixes`: under any reference starting with one of
        them), by reference: imported ones (STATUS POSTED or UNPOSTED, with their JE_HEADER_ID), and those still in
        GL_INTERFACE (STATUS NEW while Journal Import has not run, or the error code it or the package refused them
        with, see `refused`). LINES is a list."""
        wanted = list(dict.fromkeys(references))
        param = "P_REFERENCE_PREFIXES" if prefixes else "P_REFERENCES"
        found: dict[str, dict] = {}
        for start in range(0, len(wanted), MAX_JOURNALS):
            params = {param: ",".join(wanted[start : start + MAX_JOURNALS]), **self._ledger()}
            for row in self._pages("GET_JOURNALS", params, self.journal_header):
                found[row["REFERENCE"]] = {**row, "LINES": _items(row.get("LINES"), "LINES_ITEM")}
        return found

    def post_journals(self, journals: list[dict]) -> list[dict]:
        """Posts at most 100 journals (P_JOURNALS items, see the contract) in one call; returns the X_RESULTS items:
        REFERENCE, STATUS S (imported), D (posted before: nothing done) or E (refused, with ERROR_CODE and MESSAGE),
        JE_HEADER_ID. Posting again is safe: a journal is never imported twice under one reference, so the call is
        not marked http.NOT_IDEMPOTENT and the http layer sends it again when its answer is lost."""
        if not 1 <= len(journals) <= MAX_JOURNALS:
            raise ValueError(f"POST_JOURNALS takes 1 to {MAX_JOURNALS} journals a call, not {len(journals)}")
        output = self.call(
            "POST_JOURNALS", {**self._ledger(), "P_JOURNALS": {"P_JOURNALS_ITEM": journals}}, self.journal_header
        )
        return _items(output.get("X_RESULTS"), "X_RESULTS_ITEM")

    def _ledger(self) -> dict[str, str]:
        return {"P_LEDGER_ID": str(self.ledger_id)} if self.ledger_id is not None else {}

    def now(self) -> datetime:
        """The EBS server's time, from the `Date` header of its latest answer (RFC 9110 §6.6.1: an origin server with
        a clock sends one). End dates are judged against it, as EBS's own SYSDATE comparisons are: every run at a
        moment sees one state, whichever day it syncs, and this machine's clock does not matter. Before any answer,
        the lightest call the service has (one party) asks for it."""
        if self._server_now is None:
            self.parties_after("0", 1)
        # A gateway that drops Date leaves this machine's clock: a guess that it is set right.
        return self._server_now or datetime.now(UTC)

    def _pages(self, method: str, params: dict[str, str], header: dict[str, str] | None = None) -> Iterator[dict]:
        pages = OffsetPaginator(
            self.page_size,
            offset_param="P_OFFSET",
            limit_param="P_LIMIT",
            more=lambda output: output.get("X_HAS_MORE") == "Y",
        )
        yield from paginate(
            lambda page: self.call(page.url, page.params, header),
            PageRequest(method, params),
            pages,
            lambda output: _items(output.get("X_ROWS"), "X_ROWS_ITEM"),
        )

    def _server_time(self, value: datetime) -> str:
        """EBS DATE columns hold the database server's local time without a zone."""
        return value.astimezone(self.server_timezone).strftime("%Y-%m-%dT%H:%M:%S")

    def call(self, method: str, parameters: dict[str, object], header: dict[str, str] | None = None) -> dict:
        """One call of a method with the RESTHeader given (default: the read responsibility's). ISG takes every call as
        a POST; only the package's POST_ methods write, so the others count as reads."""
        body = {f"{method}_Input": {"RESTHeader": header or self.rest_header, "InputParameters": parameters}}
        response = self.http.post(
            f"webservices/rest/{self.alias}/{method.lower()}/",
            json=body,
            headers={"Accept": "application/json"},
            extensions=None if method.startswith("POST_") else READ_ONLY,
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


def refused(journal: dict) -> bool:
    """Whether a GET_JOURNALS row is a journal Journal Import or the package refused: its STATUS is the error code,
    and every such code starts with E."""
    return str(journal.get("STATUS") or "").startswith("E")


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
