"""Reads through the AIS data service (erp_sources.md §3.2): BROWSE of one table with conditions, next-page links
followed until AIS says there are no more rows, rows keyed by alias with dates decoded (rows.py)."""

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
from ml_connector_dagster.resources.jde import julian
from ml_connector_dagster.resources.jde.auth import AisTokenAuth
from ml_connector_dagster.resources.jde.errors import ERRORS
from ml_connector_dagster.resources.jde.query import Condition, DateLiteral, browse_body, date_literal
from ml_connector_dagster.resources.jde.rows import decoded

from ml_connector_dagster.http import READ_ONLY, ApiError, CallCounter, raise_for_vendor
from ml_connector_dagster.paging import LinkRelPaginator, PageRequest, paginate
from ml_connector_dagster.server_clock import server_days, stamped_within

DATASERVICE = "/jderest/v2/dataservice"
# Values per LIST condition: no AIS page gives a limit; a few hundred keep the request and its SQL IN list small.
KEYS_PER_CALL = 200


class JdeClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        auth: AisTokenAuth,
        counter: CallCounter,
        page_size: int,
        date_literal: DateLiteral,
        server_time_zone: str,
        concurrent_reads: int = 1,
    ):
        self.http = http
        self.auth = auth
        self.counter = counter
        self.page_size = page_size
        # Reads a step may send side by side (the methods are safe to call from several threads). Guess: AIS serves
        # one token's data service requests side by side, as its pages document no limit and no serialisation.
        self.concurrent_reads = concurrent_reads
        self.date_literal = date_literal
        self.zone = ZoneInfo(server_time_zone)

    def rows(
        self, table: str, columns: Sequence[str], conditions: list[Condition], *, match: str = "MATCH_ALL"
    ) -> Iterator[dict]:
        """Every row matching, page by page. A result set AIS closed between two pages (resultSetTimeout, 60 s by
        default) cannot be resumed: the read fails, and rerunning it starts over."""
        body = browse_body(
            table,
            list(columns),
            conditions,
            page_size=self.page_size,
            next_pages=True,
            literal=self._literal,
            match=match,
        )
        form = f"fs_DATABROWSE_{table}"
        yield from paginate(
            lambda page: self._browse(table, page),
            PageRequest(DATASERVICE, body),
            LinkRelPaginator(more=lambda answer: _grid(answer, form).get("summary", {}).get("moreRecords", False)),
            lambda answer: [decoded(table, row, self._user_format) for row in _grid(answer, form).get("rowset", [])],
        )

    def changed_between(self, table: str, columns: Sequence[str], start: datetime, end: datetime) -> Iterator[dict]:
        """Rows whose (UPMJ, UPMT) falls in [start, end) on the server's clock. AIS filters by whole days (UPMJ);
        the times of the first and last day are cut here (§3.4)."""
        days = server_days(start, end, self.zone)
        if not days:
            return
        first, last = days[0], days[-1]
        wanted = list(dict.fromkeys([*columns, "UPMJ", "UPMT"]))
        on = Condition("UPMJ", "EQUAL", (first,)) if first == last else Condition("UPMJ", "BETWEEN", (first, last))
        for row in self.rows(table, wanted, [on]):
            if row["UPMJ"] and stamped_within(row["UPMJ"], julian.to_time(row["UPMT"]), self.zone, start, end):
                yield row

    def by_keys(self, table: str, columns: Sequence[str], key_column: str, values: Sequence) -> Iterator[dict]:
        """Rows whose `key_column` is one of `values`, whatever their change stamp."""
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), KEYS_PER_CALL):
            yield from self.rows(
                table, columns, [Condition(key_column, "LIST", tuple(unique[start : start + KEYS_PER_CALL]))]
            )

    def after_key(self, table: str, columns: Sequence[str], key_column: str, after, limit: int) -> list[dict]:
        """At most `limit` rows with `key_column` above `after`, lowest first (one keyset page of an initial load).
        The JSON shape of an order-by is unverified (§3.2); the data browser reads a table along its primary index,
        which starts with the key for every table read this way [guess], and the page is sorted here besides."""
        body = browse_body(
            table,
            list(dict.fromkeys([key_column, *columns])),
            [Condition(key_column, "GREATER", (after,))],
            page_size=limit,
            next_pages=False,
            literal=self._literal,
        )
        answer = self._browse(table, PageRequest(DATASERVICE, body))
        rows = [
            decoded(table, row, self._user_format) for row in _grid(answer, f"fs_DATABROWSE_{table}").get("rowset", [])
        ]
        return sorted(rows, key=lambda row: row[key_column])

    def _browse(self, table: str, page: PageRequest) -> dict:
        first = page.params is not None
        # The next link holds the whole query; AIS takes it with an empty body (§3.2).
        response = self.http.post(
            page.url, json=dict(page.params) if first else {}, headers=_JSON, extensions=READ_ONLY
        )
        if not first and response.status_code == 500:
            raise ApiError(
                "jde",
                f"the next page of {table} was refused: AIS closes an open result set after the HTML server's "
                "resultSetTimeout (60 s by default), so this read cannot go on; rerun it (it starts over) and, if it "
                "recurs, lower page_size or raise resultSetTimeout",
                status=500,
            )
        return raise_for_vendor(ERRORS, response, f"data service BROWSE {table}").json()

    def _literal(self, value: date) -> str:
        return date_literal(value, self.date_literal, self._user_format)

    @property
    def _user_format(self) -> str | None:
        if not self.auth.user_info:
            self.auth.sign_in(self.http)
        return self.auth.user_info.get("simpleDateFormat")


_JSON = {"Accept": "application/json"}


def _grid(answer: dict, form: str) -> dict:
    return ((answer.get(form) or {}).get("data") or {}).get("gridData") or {}
