"""Salesforce REST (crm_targets.md §1.3–1.7): SOQL with nextRecordsUrl, and upserts by External ID field:
sObject Collections (200 records a call) for ordinary batches, Bulk API 2.0 ingest jobs above a size where one job
costs fewer calls than the collections would. An object with no External ID field configured is addressed by its
record Id, which only updates (what the connector writes back onto records Salesforce created). Each record's own
answer comes back as a WriteResult. No pair deletes Salesforce records, so the client is not a
DeletingTargetWriter."""

import csv
import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

import httpx
from ml_connector_dagster.resources.salesforce.errors import ERRORS, classify

from ml_connector_dagster.http import ApiError, CallCounter, raise_for_vendor
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.paging import NextRecordsUrlPaginator, PageRequest, paginate

COLLECTION_SIZE = 200


class SalesforceClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        counter: CallCounter,
        api_version: str,
        external_id_fields: dict[str, str],
        bulk_threshold: int,
        poll_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        parallelism: int = 1,
    ):
        self.http = http
        # Load batches the load loop may send at once (loading.parallelism); every method is safe to call from
        # several threads, as httpx's client is.
        self.parallelism = parallelism
        self.counter = counter
        self.root = f"/services/data/v{api_version}"
        self.external_id_fields = external_id_fields
        self.bulk_threshold = bulk_threshold
        self.poll_seconds = poll_seconds
        self.sleep = sleep

    # reads -----------------------------------------------------------------------------------------------------
    def query(self, soql: str) -> Iterator[dict]:
        """Every record the query selects, following nextRecordsUrl; `attributes` removed."""
        yield from paginate(
            lambda page: self._send("GET", page.url, params=page.params).json(),
            PageRequest(f"{self.root}/query", {"q": soql}),
            NextRecordsUrlPaginator(),
            lambda body: [
                {key: value for key, value in record.items() if key != "attributes"}
                for record in body.get("records", [])
            ],
        )

    def limits(self) -> dict:
        """The org's limits by name, each `{"Max": ..., "Remaining": ...}` (crm_targets.md §1.9)."""
        return self._send("GET", f"{self.root}/limits").json()

    def describe(self, sobject: str) -> dict:
        return self._send("GET", f"{self.root}/sobjects/{sobject}/describe").json()

    def change_data_capture_entities(self) -> set[str]:
        """The change events selected on the standard channel (`AccountChangeEvent`, ...), from the Tooling API's
        PlatformEventChannelMember."""
        soql = "SELECT SelectedEntity, EventChannel FROM PlatformEventChannelMember"
        body = self._send("GET", f"{self.root}/tooling/query", params={"q": soql}).json()
        # Guess: the standard channel's members name it ChangeEvents (sandbox/salesforce/tooling.py).
        return {row["SelectedEntity"] for row in body.get("records", []) if row.get("EventChannel") == "ChangeEvents"}

    def key_field(self, target_object: str) -> str:
        return self.external_id_fields.get(target_object, "Id")

    def by_id(self) -> "SalesforceClient":
        """The same connection addressing every object by record Id (updates of records Salesforce created)."""
        return SalesforceClient(
            self.http,
            counter=self.counter,
            api_version=self.root.rsplit("v", 1)[1],
            external_id_fields={},
            bulk_threshold=self.bulk_threshold,
            poll_seconds=self.poll_seconds,
            sleep=self.sleep,
            parallelism=self.parallelism,
        )

    def existing_keys(self, target_object: str, known: Mapping[str, str | None], chunk: int = 200) -> set[str]:
        """Which of these keys exist in the target (one SOQL query per 200 values)."""
        external_ids = sorted(known)
        field, found = self.key_field(target_object), set()
        for start in range(0, len(external_ids), chunk):
            values = ", ".join(soql_literal(key) for key in external_ids[start : start + chunk])
            found.update(
                row[field] for row in self.query(f"SELECT {field} FROM {target_object} WHERE {field} IN ({values})")
            )
        return found

    def snapshot(self, target_object: str, columns: Sequence[str]) -> dict[str, dict]:
        """Every record with an External ID value, keyed by it, with these columns (the demo's agreement check)."""
        field = self.key_field(target_object)
        rows = self.query(f"SELECT {', '.join([field, *columns])} FROM {target_object} WHERE {field} != null")
        return {row[field]: {column: row.get(column) for column in columns} for row in rows}

    # writes ----------------------------------------------------------------------------------------------------
    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        by_id = self.key_field(target_object) == "Id"
        if len(records) >= self.bulk_threshold and not by_id:
            return self._bulk_upsert(target_object, records)
        write = self._collection_update if by_id else self._collection_upsert
        results: list[WriteResult] = []
        for start in range(0, len(records), COLLECTION_SIZE):
            results += write(target_object, records[start : start + COLLECTION_SIZE])
        return results

    def _collection_upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        field = self.external_id_fields[target_object]
        return self._collection(
            f"{self.root}/composite/sobjects/{target_object}/{field}",
            [{"attributes": {"type": target_object}, **r.payload, field: r.source_key} for r in records],
            records,
        )

    def _collection_update(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        return self._collection(
            f"{self.root}/composite/sobjects",
            [{"attributes": {"type": target_object}, "id": r.source_key, **r.payload} for r in records],
            records,
        )

    def _collection(self, url: str, rows: list[dict], records: Sequence[TargetRecord]) -> list[WriteResult]:
        answers = self._send("PATCH", url, json={"allOrNone": False, "records": rows}).json()
        if len(answers) != len(records):
            raise ApiError("salesforce", f"collections answered {len(answers)} results for {len(records)} records")
        results = []
        for record, answer in zip(records, answers, strict=True):
            if answer.get("success"):
                results.append(
                    WriteResult(record.source_key, True, answer.get("id"), created=bool(answer.get("created")))
                )
            else:
                error = (answer.get("errors") or [{}])[0]
                code = error.get("statusCode")
                results.append(
                    WriteResult(
                        record.source_key,
                        False,
                        error_class=classify(None, code),
                        error_code=code,
                        error_message=error.get("message") or "rejected",
                    )
                )
        return results

    def _bulk_upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        """One ingest job: create, upload the CSV, close, poll, read both result files (5 calls + polls)."""
        field = self.external_id_fields[target_object]
        job = self._send(
            "POST",
            f"{self.root}/jobs/ingest",
            json={
                "object": target_object,
                "externalIdFieldName": field,
                "operation": "upsert",
                "contentType": "CSV",
                "lineEnding": "LF",
            },
        ).json()
        url = f"{self.root}/jobs/ingest/{job['id']}"
        self._send("PUT", f"{url}/batches", content=_csv(records, field).encode(), headers={"Content-Type": "text/csv"})
        self._send("PATCH", url, json={"state": "UploadComplete"})
        while (state := self._send("GET", url).json())["state"] not in ("JobComplete", "Failed", "Aborted"):
            self.sleep(self.poll_seconds)
        if state["state"] != "JobComplete":
            raise ApiError(
                "salesforce",
                f"bulk job {job['id']} ended {state['state']}: {state.get('errorMessage') or 'no message'}",
            )
        results = {}
        for row in _rows(self._send("GET", f"{url}/successfulResults/").text):
            results[row[field]] = WriteResult(row[field], True, row["sf__Id"], created=row["sf__Created"] == "true")
        for row in _rows(self._send("GET", f"{url}/failedResults/").text):
            code, _, message = row["sf__Error"].partition(":")
            results[row[field]] = WriteResult(
                row[field],
                False,
                error_class=classify(None, code),
                error_code=code,
                error_message=message.rstrip(" -") or "rejected",
            )
        return [results[r.source_key] for r in records if r.source_key in results]

    # transport -------------------------------------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        response = self.http.request(method, url, **kwargs)
        return raise_for_vendor(ERRORS, response, f"{method} {url.split('?')[0]}")

    def close(self) -> None:
        self.http.close()


def soql_literal(text: str) -> str:
    """A quoted SOQL string literal: backslash and quote escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _csv(records: Sequence[TargetRecord], field: str) -> str:
    columns = sorted({name for r in records for name in r.payload} - {field})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([field, *columns])
    for record in records:
        # Bulk API 2.0 reads an empty cell as "leave as is"; #N/A clears a field.
        writer.writerow(
            [
                record.source_key,
                *("#N/A" if record.payload.get(c) is None else _cell(record.payload[c]) for c in columns),
            ]
        )
    return out.getvalue()


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))
