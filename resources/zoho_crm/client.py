"""Zoho CRM REST v8 (crm_targets.md §2.3–2.4): records read by modification time, by id and by search (or by reading
a module whole where that costs fewer calls), and written as the connector's `TargetWriter`. A payload with an `id`
updates that record (PUT, 100 a call); one without is upserted on the module's connector key field (POST .../upsert,
100 a call), with `trigger: []` so that no workflow fires on the connector's writes; a batch's calls go side by side.
Both are idempotent by their key, so the http layer may retry them. Every record's own answer (a 207 mixes them)
becomes a WriteResult; once the credits are spent the records not sent are QUOTA results and nothing more is sent
(credits.py)."""

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from ml_connector_dagster.resources.zoho_crm.channels import NotificationChannels
from ml_connector_dagster.resources.zoho_crm.credits import CreditsExhausted, CreditsTransport
from ml_connector_dagster.resources.zoho_crm.errors import ERRORS, classify, record_error

from ml_connector_dagster.http import ApiError, CallCounter, vendor_error
from ml_connector_dagster.loading import TargetRecord, WriteResult, not_sent
from ml_connector_dagster.mapping.two_way import comparable
from ml_connector_dagster.paging import PageRequest, PageTokenPaginator, paginate
from ml_connector_dagster.side_by_side import side_by_side

WRITE_SIZE = 100  # records per insert/update/upsert call, and ids per read by id
CRITERIA_PER_SEARCH = 10  # Zoho combines at most 10 criteria in one search
PAGE_LIMIT = 2000  # past this many records `page` stops working and only page tokens go on
KEY_FIELDS = {"Accounts": "JDE_Address_Number", "Contacts": "JDE_Contact_Key"}
NOTHING = frozenset({204, 304})  # Zoho's "no records" (304: nothing modified since If-Modified-Since)


class ZohoPaginator(PageTokenPaginator):
    """`page` numbers while they work, then the `next_page_token` the answer holds; `info.more_records` says whether
    there is a next page. A token is followed whenever the answer gives one: Zoho accepts it on any page."""

    def __init__(self, per_page: int):
        super().__init__("info.next_page_token", "page_token")
        self.per_page = per_page
        self.page = 1

    def update_state(self, body: dict, items: list) -> None:
        super().update_state(body, items)
        self.has_next = bool((body.get("info") or {}).get("more_records"))
        if self.has_next and self.token is None and self.page * self.per_page >= PAGE_LIMIT:
            raise ApiError("zoho_crm", f"more than {PAGE_LIMIT} records and no next_page_token to read on")

    def update_request(self, request: PageRequest) -> PageRequest:
        self.page += 1
        params = dict(request.params or {})
        if self.token is None:
            return replace(request, params={**params, "page": str(self.page)})
        params.pop("page", None)
        return replace(request, params={**params, "page_token": self.token})


class ZohoCrmClient(NotificationChannels):
    def __init__(
        self,
        http: httpx.Client,
        *,
        counter: CallCounter,
        page_size: int,
        api_domain: str,
        credits: CreditsTransport | None = None,
        parallelism: int = 1,
    ):
        self.http = http
        self.counter = counter
        self.page_size = page_size
        self.api_domain = api_domain
        self.credits = credits  # the transport that stops the run once the org's credits are spent
        # Load batches the loop may send at once, and write calls in flight at once; every method is safe to call
        # from several threads.
        self.parallelism = parallelism
        self._writing = threading.BoundedSemaphore(parallelism)
        # By module, the fewest read calls its whole reading takes, as far as this session has seen (`matching`).
        self._module_calls: dict[str, int] = {}

    # reads -----------------------------------------------------------------------------------------------------
    def modified_between(self, module: str, fields: Sequence[str], start: datetime, end: datetime) -> Iterator[dict]:
        """Records with `start <= Modified_Time < end`, oldest change first. Zoho returns records modified after
        If-Modified-Since; it is sent a second early (guess: whether "after" is strict is not documented) and the
        records before `start` are dropped here. Sorted by Modified_Time, the read stops at the first record at or
        after `end`, so a past window costs no more pages than it holds."""
        wanted = _with(fields, "id", "Modified_Time")
        since = (start - timedelta(seconds=1)).isoformat(timespec="seconds")
        params = {"fields": ",".join(wanted), "sort_by": "Modified_Time", "sort_order": "asc"}
        for record in self._pages(module, params, headers={"If-Modified-Since": since}):
            modified = datetime.fromisoformat(record["Modified_Time"])
            if modified >= end:
                return
            if modified >= start:
                yield record

    def by_ids(self, module: str, fields: Sequence[str], ids: Sequence[str]) -> list[dict]:
        """The records of these ids that exist (100 ids a call)."""
        wanted, found = ",".join(_with(fields, "id")), []
        for start in range(0, len(ids), WRITE_SIZE):
            chunk = ",".join(ids[start : start + WRITE_SIZE])
            found += self._send("GET", module, params={"ids": chunk, "fields": wanted}).get("data", [])
        return found

    def matching(self, module: str, fields: Sequence[str], wanted: Mapping[str, Sequence[str]]) -> list[dict]:
        """Records whose field equals one of its values (`wanted`: field → values), as searches find them. Searching
        costs a call per 10 values; a module holding fewer records than that many calls read (200 a call) is read
        whole instead, in id order, keeping those whose value matches as duplicate matches compare values
        (mapping/two_way.py: trimmed, case-blind): at go-live into a new org, one call rather than hundreds. A reading
        that would cost as many calls as the searches stops there and the searches go; the session remembers how
        many calls the module took, so one too large is not read again."""
        values = {field: [v for v in dict.fromkeys(found) if v] for field, found in wanted.items()}
        searches = sum(-(-len(found) // CRITERIA_PER_SEARCH) for found in values.values())
        if searches > max(self._module_calls.get(module, 0), 1):
            read = self._read_whole(module, _with(fields, "id", *values), values, most_calls=searches - 1)
            if read is not None:
                return read
        rows = {str(row["id"]): row for row in self._search(module, fields, values)}
        return list(rows.values())

    def _read_whole(
        self, module: str, fields: Sequence[str], values: Mapping[str, Sequence[str]], *, most_calls: int
    ) -> list[dict] | None:
        """The module's records matching `values`, read whole in id order (records made meanwhile come last); None
        when `most_calls` calls do not read it all."""
        wanted = {field: {comparable(v) for v in found} for field, found in values.items()}
        calls = 0

        def fetch(page: PageRequest) -> dict:
            nonlocal calls
            if calls == most_calls:
                raise _TooLarge
            calls += 1
            return self._send("GET", page.url, params=page.params)

        params = {"fields": ",".join(fields), "sort_by": "id", "sort_order": "asc"}
        request = PageRequest(module, {**params, "per_page": str(self.page_size), "page": "1"})
        found = []
        try:
            for record in paginate(fetch, request, ZohoPaginator(self.page_size), _data):
                if any(comparable(record.get(field)) in among for field, among in wanted.items()):
                    found.append(record)
        except _TooLarge:
            self._module_calls[module] = max(self._module_calls.get(module, 0), most_calls + 1)
            return None
        self._module_calls[module] = calls
        return found

    def find(self, module: str, fields: Sequence[str], field: str, values: Sequence[str]) -> list[dict]:
        """Records whose `field` equals one of `values`: search criteria `or`-ed, 10 a call. Newly written records
        may take a moment to become searchable (§2.3), so a search never stands in for the ledger's ids."""
        return self._search(module, fields, {field: values})

    def _search(self, module: str, fields: Sequence[str], values: Mapping[str, Sequence[str]]) -> list[dict]:
        wanted = ",".join(_with(fields, "id"))

        def search(chunk: tuple[str, Sequence[str]]) -> list[dict]:
            field, among = chunk
            criteria = "or".join(f"({field}:equals:{criteria_value(value)})" for value in among)
            return list(self._pages(f"{module}/search", {"criteria": f"({criteria})", "fields": wanted}))

        chunks = [
            (field, unique[start : start + CRITERIA_PER_SEARCH])
            for field, found in values.items()
            for unique in [list(dict.fromkeys(found))]
            for start in range(0, len(unique), CRITERIA_PER_SEARCH)
        ]
        # The searches go side by side, as many as the load's batches (heavy calls: Zoho caps them at 10 at once).
        return [row for rows in side_by_side(search, chunks, self.parallelism) for row in rows]

    def _pages(self, path: str, params: dict, headers: dict | None = None) -> Iterator[dict]:
        yield from paginate(
            lambda page: self._send("GET", page.url, params=page.params, headers=headers),
            PageRequest(path, {**params, "per_page": str(self.page_size), "page": "1"}),
            ZohoPaginator(self.page_size),
            _data,
        )

    # writes ----------------------------------------------------------------------------------------------------
    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        updates = [r for r in records if "id" in r.payload]
        creates = [r for r in records if "id" not in r.payload]
        calls = [(updates[i : i + WRITE_SIZE], self._update) for i in range(0, len(updates), WRITE_SIZE)]
        calls += [(creates[i : i + WRITE_SIZE], self._upsert) for i in range(0, len(creates), WRITE_SIZE)]

        def send(call) -> list[WriteResult]:
            chunk, write = call
            with self._writing:
                try:
                    return write(target_object, chunk)
                except CreditsExhausted as stopped:  # the calls after it are not sent either: QUOTA too
                    return [not_sent(record, stopped) for record in chunk]

        # A batch's calls go side by side as well, so that a load of fewer batches than `parallelism` (a go-live's
        # object of a few thousand records) still has that many calls in flight; every write of the session takes
        # one of the same `parallelism` places, whichever batch sends it.
        return [result for results in side_by_side(send, calls, self.parallelism) for result in results]

    def existing_keys(self, target_object: str, known: Mapping[str, str | None]) -> set[str]:
        """Which records the ledger says were written are still in Zoho, read by their ids. Once the credits are spent
        nothing more may be asked: the load that stopped keeps its QUOTA results and the ledger's word for the rest
        (the next run asks), rather than failing after the fact."""
        if self.credits is not None and self.credits.stopped:
            return {source for source, target in known.items() if target}
        by_id = {target: source for source, target in known.items() if target}
        found = self.by_ids(target_object, ["id"], sorted(by_id))
        return {by_id[row["id"]] for row in found if row.get("id") in by_id}

    def _update(self, module: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        return self._write("PUT", module, {"data": [r.payload for r in records], "trigger": []}, records)

    def _upsert(self, module: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        key = KEY_FIELDS[module]
        body = {
            "data": [{key: r.source_key, **r.payload} for r in records],
            "duplicate_check_fields": [key],
            "trigger": [],
        }
        return self._write("POST", f"{module}/upsert", body, records)

    def _write(self, method: str, path: str, body: dict, records: Sequence[TargetRecord]) -> list[WriteResult]:
        response = self.http.request(method, path, json=body)
        try:
            answers = response.json().get("data")
        except (ValueError, AttributeError):
            answers = None
        # A 400 that refused every record still answers per record; one without a list refused the call itself.
        if not isinstance(answers, list) or len(answers) != len(records):
            raise vendor_error(ERRORS, response, f"{method} {path}")
        return [_result(record, answer) for record, answer in zip(records, answers, strict=True)]

    # transport -------------------------------------------------------------------------------------------------
    def fields(self, module: str) -> dict[str, dict]:
        """The module's fields by API name (crm_targets.md §2.5: custom field names are read from settings/fields)."""
        body = self._send("GET", "settings/fields", params={"module": module})
        return {field["api_name"]: field for field in body.get("fields", [])}

    def _send(self, method: str, path: str, **kwargs) -> dict:
        response = self.http.request(method, path, **kwargs)
        if "date" in response.headers:
            self.server_now = parsedate_to_datetime(response.headers["date"])
        if response.status_code in NOTHING:
            return {}
        if response.status_code >= 300:
            raise vendor_error(ERRORS, response, f"{method} {path}")
        return response.json()

    def close(self) -> None:
        self.http.close()


class _TooLarge(Exception):
    """A module that reading whole would cost more calls than searching it."""


def _data(body: dict) -> list[dict]:
    return body.get("data", [])


def criteria_value(value: str) -> str:
    """A value inside search criteria: the backslash, parentheses and commas escaped (§2.3); httpx URL-encodes the
    whole criteria."""
    for char in ("\\", "(", ")", ","):
        value = value.replace(char, "\\" + char)
    return value


def _with(fields: Sequence[str], *needed: str) -> list[str]:
    return list(dict.fromkeys([*needed, *fields]))


def _result(record: TargetRecord, answer: dict) -> WriteResult:
    if answer.get("status") == "success":
        details = answer.get("details") or {}
        return WriteResult(
            record.source_key, True, details.get("id") or record.payload.get("id"), answer.get("action") == "insert"
        )
    code, message = record_error(answer)
    return WriteResult(
        record.source_key, False, error_class=classify(None, code), error_code=code, error_message=message
    )
