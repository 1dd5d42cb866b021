"""Dataverse Web API v9.2 client (Dynamics 365 Sales): upserts by alternate key, reads with nextLink paging.

Writes go in bulk: `UpsertMultiple` where the table supports it (one request per batch of up to 1,000), else
`$batch` of keyed PATCHes with continue-on-error. UpsertMultiple on a standard table is all-or-nothing and does not
say which record failed, so a rejected batch is sent once more as `$batch` to get each record's own answer: one bad
record costs one extra call for its batch, never one call per record.

Every key in a URL, the `@odata.id` of a bulk item included, is percent-encoded (odata.key_path); the external ids
themselves hold none of the characters Dataverse cannot address a key by (mapping/common.external_id).
"""

import logging
import re
from collections.abc import Iterator, Mapping, Sequence

import httpx
from ml_connector_dagster.resources.dynamics_sales.errors import ERRORS, RECORD_ERROR_STATUSES, classify, error_of

from ml_connector_dagster import odata_batch as batch
from ml_connector_dagster.http import ApiError, CallCounter, ParallelismHint, raise_for_vendor
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.odata import key_path, literal
from ml_connector_dagster.paging import NextLinkPaginator, PageRequest, paginate

log = logging.getLogger(__name__)

ENTITY_SETS = {
    "account": "accounts",
    "contact": "contacts",
    "opportunity": "opportunities",
    "opportunityproduct": "opportunityproducts",
    "salesorder": "salesorders",
    "salesorderdetail": "salesorderdetails",
    "transactioncurrency": "transactioncurrencies",
}
# `<navigation>@odata.bind` → (lookup column read back as `_<column>_value`, the table it points to)
LOOKUPS = {
    "parentaccountid": ("parentaccountid", "account"),
    "parentcustomerid_account": ("parentcustomerid", "account"),
    "customerid_account": ("customerid", "account"),
    "opportunityid": ("opportunityid", "opportunity"),
    "salesorderid": ("salesorderid", "salesorder"),
    "transactioncurrencyid": ("transactioncurrencyid", "transactioncurrency"),
}
# Tables the connector never writes: they are bound by their primary id, not by an external id.
BOUND_BY_ID = frozenset({"transactioncurrency"})

# A row's primary id, as the Dynamics UI shows it (and its URL's `id=`).
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
ODATA_HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
MAX_PAGE_SIZE = 5000
MAX_BATCH = 1000


class DataverseClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        counter: CallCounter,
        external_id_column: str,
        bulk_mode: str = "auto",
        page_size: int = MAX_PAGE_SIZE,
        parallelism: ParallelismHint | None = None,
    ):
        self.http = http
        self.counter = counter
        self.external_id_column = external_id_column
        self.bulk_mode = bulk_mode
        self.page_size = min(page_size, MAX_PAGE_SIZE)
        self._bulk_support: dict[str, bool] = {}
        self._parallelism = parallelism

    @property
    def parallelism(self) -> int:
        """Batches the load may send at once: what the environment's x-ms-dop-hint recommends, capped by the
        resource's max_parallel_batches. Every method is safe to call from several threads (httpx's client is)."""
        return self._parallelism.degree if self._parallelism is not None else 1

    def key_path(self, target_object: str, external_id: str) -> str:
        return key_path(ENTITY_SETS[target_object], {self.external_id_column: external_id})

    # writes ----------------------------------------------------------------------------------------------------
    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        if not records:
            return []
        if len(records) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} records per Dataverse request, got {len(records)}")
        paths = [self.key_path(target_object, r.source_key) for r in records]  # each record's, made once
        if self.supports_bulk(target_object):
            rejected = self._upsert_multiple(target_object, records, paths)
            if rejected is None:
                return [WriteResult(r.source_key, True, path) for r, path in zip(records, paths, strict=True)]
        return self._batch_upsert(target_object, records, paths)

    def supports_bulk(self, target_object: str) -> bool:
        """Whether the table lists UpsertMultiple in `sdkmessagefilters`. A probe the service does not answer (the
        application user may not read that table) is not a reason to fail the load: `$batch` works on every
        table, so the table is written with it, with a warning, for the rest of this session."""
        if self.bulk_mode != "auto":
            return self.bulk_mode == "upsert_multiple"
        if target_object not in self._bulk_support:
            try:
                response = self._send(
                    "GET",
                    "sdkmessagefilters",
                    params={
                        "$select": "sdkmessagefilterid",
                        "$filter": "sdkmessageid/name eq 'UpsertMultiple' and "
                        f"primaryobjecttypecode eq '{target_object}'",
                    },
                    headers={"If-None-Match": "null"},
                )
                self._bulk_support[target_object] = bool(response.json().get("value"))
            except ApiError as unreadable:
                log.warning(
                    "%s: cannot tell whether UpsertMultiple is supported (%s); writing with $batch instead "
                    "(set bulk_mode to upsert_multiple or batch to skip the probe)",
                    target_object,
                    unreadable,
                )
                self._bulk_support[target_object] = False
        return self._bulk_support[target_object]

    def _upsert_multiple(self, target_object: str, records: Sequence[TargetRecord], paths: list[str]) -> dict | None:
        """Returns None on success, or the error body when the service rejected the batch for its content."""
        targets = [
            {"@odata.type": f"Microsoft.Dynamics.CRM.{target_object}", "@odata.id": path, **r.payload}
            for r, path in zip(records, paths, strict=True)
        ]
        response = self._send(
            "POST",
            f"{ENTITY_SETS[target_object]}/Microsoft.Dynamics.CRM.UpsertMultiple",
            json={"Targets": targets},
            record_errors=True,
        )
        if response.status_code in (200, 204):
            return None
        return response.json() if response.content else {}

    def _batch_upsert(self, target_object: str, records: Sequence[TargetRecord], paths: list[str]) -> list[WriteResult]:
        root = str(self.http.base_url).rstrip("/")
        operations = [
            batch.Operation("PATCH", f"{root}/{path}", r.payload) for r, path in zip(records, paths, strict=True)
        ]
        parts = self._send_batch(operations)
        results = []
        for record, path, part in zip(records, paths, parts, strict=True):
            if part.status < 300:
                results.append(WriteResult(record.source_key, True, path, created=True if part.status == 201 else None))
            else:
                code, message = error_of(part.body)
                results.append(
                    WriteResult(
                        record.source_key,
                        False,
                        error_class=classify(part.status, code),
                        error_code=code,
                        error_message=message,
                    )
                )
        return results

    def set_external_ids(self, target_object: str, values: Mapping[str, str]) -> dict[str, str | None]:
        """Writes these external ids onto the rows with these primary ids (`If-Match: *`: a row gone meanwhile is
        not created again), in `$batch`es of at most 1,000; primary id → None where written, else the reason."""
        root, ids = str(self.http.base_url).rstrip("/"), list(values)
        answers: dict[str, str | None] = {}
        for start in range(0, len(ids), MAX_BATCH):
            chunk = ids[start : start + MAX_BATCH]
            operations = [
                batch.Operation(
                    "PATCH",
                    f"{root}/{ENTITY_SETS[target_object]}({row_id})",
                    {self.external_id_column: values[row_id]},
                    {"If-Match": "*"},
                )
                for row_id in chunk
            ]
            for row_id, part in zip(chunk, self._send_batch(operations), strict=True):
                answers[row_id] = None if part.status < 300 else " ".join(filter(None, error_of(part.body)))
        return answers

    def delete(self, target_object: str, source_keys: Sequence[str]) -> list[WriteResult]:
        """Deletes by alternate key in one `$batch` with continue-on-error; a row already gone (404) is deleted."""
        if not source_keys:
            return []
        root = str(self.http.base_url).rstrip("/")
        operations = [batch.Operation("DELETE", f"{root}/{self.key_path(target_object, key)}") for key in source_keys]
        parts = self._send_batch(operations)
        results = []
        for key, part in zip(source_keys, parts, strict=True):
            if part.status < 300 or part.status == 404:
                results.append(WriteResult(key, True))
            else:
                code, message = error_of(part.body)
                results.append(
                    WriteResult(
                        key, False, error_class=classify(part.status, code), error_code=code, error_message=message
                    )
                )
        return results

    def _send_batch(self, operations: list[batch.Operation]) -> list[batch.PartResponse]:
        content_type, body = batch.compose(operations)
        response = self._send(
            "POST", "$batch", content=body, headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"}
        )
        parts = batch.parse(response.headers["content-type"], response.content)
        if len(parts) != len(operations):
            raise ApiError("dynamics_sales", f"$batch answered {len(parts)} parts for {len(operations)} requests")
        return parts

    # reads -----------------------------------------------------------------------------------------------------
    def rows(self, target_object: str, select: Sequence[str], filter: str | None = None) -> Iterator[dict]:
        """All rows of a table (or those matching `filter`), following @odata.nextLink verbatim."""
        params = {"$select": ",".join(select)}
        if filter:
            params["$filter"] = filter
        headers = {"Prefer": f"odata.maxpagesize={self.page_size}", "If-None-Match": "null"}
        yield from paginate(
            lambda page: self._send("GET", page.url, params=page.params, headers=headers).json(),
            PageRequest(ENTITY_SETS[target_object], params),
            NextLinkPaginator(),
            lambda body: body.get("value", []),
        )

    def existing_keys(self, target_object: str, known: Mapping[str, str | None], chunk: int = 100) -> set[str]:
        """Which of these external ids exist in the target (reads only the key column, 100 ids per request)."""
        external_ids = sorted(known)
        column, found = self.external_id_column, set()
        for start in range(0, len(external_ids), chunk):
            ids = external_ids[start : start + chunk]
            condition = " or ".join(f"{column} eq {literal(key)}" for key in ids)
            found.update(row[column] for row in self.rows(target_object, [column], condition))
        return found

    def snapshot(self, target_object: str, columns: Sequence[str]) -> dict[str, dict]:
        """Every row with an external id, keyed by it, with `x@odata.bind` columns read back as the bound row's
        bind path (so a row compares equal to the payload that wrote it)."""
        binds = {c: LOOKUPS[c.split("@")[0]] for c in columns if c.endswith("@odata.bind")}
        plain = [c for c in columns if c not in binds]
        primary = target_object + "id"
        lookup_columns = [f"_{column}_value" for column, _ in binds.values()]
        rows = list(self.rows(target_object, [primary, self.external_id_column, *plain, *lookup_columns]))
        paths = {table: self._bind_paths(table) for table in {table for _, table in binds.values()}}
        snapshot = {}
        for row in rows:
            if not row.get(self.external_id_column):
                continue
            shaped = {column: row.get(column) for column in plain}
            for bind, (column, table) in binds.items():
                shaped[bind] = paths[table].get(row.get(f"_{column}_value"))
            snapshot[row[self.external_id_column]] = shaped
        return snapshot

    def _bind_paths(self, table: str) -> dict[str, str]:
        """Primary id → the path a payload binds that row with."""
        primary = table + "id"
        if table in BOUND_BY_ID:
            return {row[primary]: f"/{ENTITY_SETS[table]}({row[primary]})" for row in self.rows(table, [primary])}
        return {
            row[primary]: f"/{self.key_path(table, row[self.external_id_column])}"
            for row in self.rows(table, [primary, self.external_id_column])
            if row.get(self.external_id_column)
        }

    def source_key_of(self, target_object: str, row_id: str) -> str | None:
        """The external id of the table's row with this primary id (a GUID); None when the table has no such row
        (404) or the row has none (written by someone else)."""
        if not GUID.fullmatch(row_id):
            return None
        try:
            response = self._send(
                "GET", f"{ENTITY_SETS[target_object]}({row_id})", params={"$select": self.external_id_column}
            )
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        return response.json().get(self.external_id_column) or None

    def currencies(self) -> dict[str, str]:
        """ISO currency code → transactioncurrencyid of the currencies set up in the environment."""
        return {
            row["isocurrencycode"].upper(): row["transactioncurrencyid"]
            for row in self.rows("transactioncurrency", ["transactioncurrencyid", "isocurrencycode"])
            if row.get("isocurrencycode")
        }

    # transport -------------------------------------------------------------------------------------------------
    def _send(
        self, method: str, url: str, *, record_errors: bool = False, headers: dict | None = None, **kwargs
    ) -> httpx.Response:
        merged = {**ODATA_HEADERS, **(headers or {})}
        if "json" in kwargs:
            merged.setdefault("Content-Type", "application/json")
        response = self.http.request(method, url, headers=merged, **kwargs)
        if record_errors and response.status_code in RECORD_ERROR_STATUSES:
            return response
        return raise_for_vendor(ERRORS, response, f"{method} {url}")

    def application_users(self, client_id: str) -> list[dict]:
        """The systemuser rows of an app registration (application users are found by their applicationid)."""
        params = {"$select": "systemuserid,fullname,isdisabled", "$filter": f"applicationid eq {client_id}"}
        return self._send("GET", "systemusers", params=params).json().get("value", [])

    def key_columns(self, target_object: str) -> dict[str, str]:
        """The table's alternate keys as {their one column: index status}, from its EntityKeyMetadata (an index
        status other than Active means Dataverse is still building, or failed to build, the key's index); keys of
        several columns are left out: the connector addresses rows by one."""
        keys = self._send("GET", f"EntityDefinitions(LogicalName='{target_object}')/Keys").json().get("value", [])
        return {
            key["KeyAttributes"][0]: key.get("EntityKeyIndexStatus", "")
            for key in keys
            if len(key.get("KeyAttributes", [])) == 1
        }

    def close(self) -> None:
        self.http.close()
