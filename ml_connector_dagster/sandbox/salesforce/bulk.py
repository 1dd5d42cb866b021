"""Bulk API 2.0 ingest jobs (crm_targets.md §1.6): Open → UploadComplete → InProgress → JobComplete | Failed, or
Aborted. Processing ends `delay` seconds of the emulator's clock after the close, and happens when the job is next
looked at; each CSV row is its own transaction, so one bad row fails alone. Results are CSV with `sf__Id,sf__Created`
/ `sf__Id,sf__Error` first, then the uploaded columns."""

import csv
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ml_connector_dagster.sandbox.salesforce.auth import USER_ID
from ml_connector_dagster.sandbox.salesforce.errors import SfError, not_found
from ml_connector_dagster.sandbox.salesforce.records import Writes
from ml_connector_dagster.sandbox.salesforce.schema import SObject

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
OPERATIONS = ("insert", "update", "upsert", "delete")
_FINAL = ("JobComplete", "Failed", "Aborted")


@dataclass
class Job:
    info: dict
    sobject: SObject
    uploads: list[str] = field(default_factory=list)
    due: datetime | None = None
    columns: list[str] = field(default_factory=list)
    successes: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    unprocessed: list[dict] = field(default_factory=list)


class Jobs:
    def __init__(self, new_id: Callable[[], str]):
        self.new_id = new_id
        self._jobs: dict[str, Job] = {}
        self.lock = threading.RLock()

    def create(self, body: dict, objects: dict[str, SObject], version: str, stamp: str) -> Job:
        sobject = objects.get(body.get("object") or "")
        if sobject is None:
            raise SfError(400, "INVALIDENTITY", f"Entity '{body.get('object')}' is not supported by the Bulk API.")
        operation = body.get("operation")
        if operation not in OPERATIONS:
            # Guess: hardDelete is refused as the run-as user lacks the "Bulk API Hard Delete" permission.
            raise SfError(400, "INVALIDJOB", f"Invalid or not permitted operation: {operation}")
        external_id = body.get("externalIdFieldName")
        if operation == "upsert" and external_id not in sobject.external_ids():
            raise SfError(
                400, "INVALIDJOB", f"External ID was blank or not an External ID field for upsert: {external_id}"
            )
        if (
            body.get("contentType", "CSV") != "CSV"
            or body.get("columnDelimiter", "COMMA") not in DELIMITERS
            or body.get("lineEnding", "LF") not in ("LF", "CRLF")
        ):
            raise SfError(
                400,
                "INVALIDJOB",
                "contentType must be CSV, lineEnding LF or CRLF, columnDelimiter one of " + ", ".join(DELIMITERS),
            )
        job_id = self.new_id()
        job = Job(
            {
                "id": job_id,
                "operation": operation,
                "object": sobject.name,
                "createdById": USER_ID,
                "createdDate": stamp,
                "systemModstamp": stamp,
                "state": "Open",
                "externalIdFieldName": external_id if operation == "upsert" else None,
                "concurrencyMode": "Parallel",
                "contentType": "CSV",
                "apiVersion": float(version),
                "jobType": "V2Ingest",
                "contentUrl": f"services/data/v{version}/jobs/ingest/{job_id}/batches",
                "lineEnding": body.get("lineEnding", "LF"),
                "columnDelimiter": body.get("columnDelimiter", "COMMA"),
                "numberRecordsProcessed": 0,
                "numberRecordsFailed": 0,
                "retries": 0,
                "totalProcessingTime": 0,
                "apiActiveProcessingTime": 0,
                "apexProcessingTime": 0,
            },
            sobject,
        )
        with self.lock:
            self._jobs[job_id] = job
        return job

    def get(self, job_id: str) -> Job:
        with self.lock:
            if job_id not in self._jobs:
                raise not_found()
            return self._jobs[job_id]

    def all(self) -> list[Job]:
        with self.lock:
            return list(self._jobs.values())

    def delete(self, job: Job) -> None:
        if job.info["state"] in ("Open", "InProgress"):
            raise _state_error(job, "deleted")
        with self.lock:
            del self._jobs[job.info["id"]]

    def upload(self, job: Job, text: str) -> None:
        if job.info["state"] != "Open":
            raise _state_error(job, "given data")
        job.uploads.append(text)

    def close(self, job: Job, state: str | None, now: datetime, delay: float) -> None:
        current = job.info["state"]
        if state == "UploadComplete" and current == "Open":
            job.due = now + timedelta(seconds=delay)
        elif not (state == "Aborted" and current not in _FINAL):
            raise _state_error(job, f"moved to {state}")
        job.info["state"] = state

    def advance(self, job: Job, now: datetime, writes: Callable[[], Writes]) -> None:
        """Moves a closed job on by the clock: InProgress until it is due, then processed."""
        with self.lock:
            if job.info["state"] not in ("UploadComplete", "InProgress"):
                return
            if now < job.due:
                job.info["state"] = "InProgress"
                return
            _process(job, writes)

    @staticmethod
    def results(job: Job, kind: str) -> str:
        """successfulResults, failedResults or unprocessedrecords as CSV, in the job's own delimiter."""
        rows, first = {
            "successfulResults": (job.successes, ["sf__Id", "sf__Created"]),
            "failedResults": (job.failures, ["sf__Id", "sf__Error"]),
            "unprocessedrecords": (job.unprocessed, []),
        }[kind]
        out = io.StringIO()
        # Guess: results use the job's line ending and delimiter, as its uploads must.
        writer = csv.DictWriter(
            out,
            fieldnames=[*first, *job.columns],
            restval="",
            delimiter=DELIMITERS[job.info["columnDelimiter"]],
            lineterminator="\r\n" if job.info["lineEnding"] == "CRLF" else "\n",
        )
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()


def _state_error(job: Job, what: str) -> SfError:
    # Guess at the status: 400 with INVALIDJOBSTATE, as other Bulk API 2.0 request errors.
    return SfError(400, "INVALIDJOBSTATE", f"Job {job.info['id']} is {job.info['state']} and cannot be {what}")


def _process(job: Job, new_writes: Callable[[], Writes]) -> None:
    info = job.info
    rows, problem = _read(job)
    if problem:
        job.unprocessed = rows
        info.update(state="Failed", errorMessage=problem)
        return
    for row in rows:
        writes = new_writes()
        try:
            record, created = _write(job, writes, row)
            writes.commit()
            job.successes.append({"sf__Id": record["Id"], "sf__Created": "true" if created else "false", **row})
        except SfError as error:
            job.failures.append(
                {"sf__Id": "", "sf__Error": f"{error.code}:{error.message}:{','.join(error.fields)} --", **row}
            )
    info.update(state="JobComplete", numberRecordsProcessed=len(rows), numberRecordsFailed=len(job.failures))


def _read(job: Job) -> tuple[list[dict], str | None]:
    """The uploaded rows, or why the job fails as a whole (a wrong line ending, a column that is no field)."""
    info, rows = job.info, []
    for text in job.uploads:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=DELIMITERS[info["columnDelimiter"]])
        rows += list(reader)
        job.columns += [column for column in reader.fieldnames or () if column not in job.columns]
    crlf = any("\r\n" in text for text in job.uploads)
    bare_lf = any("\n" in text.replace("\r\n", "") for text in job.uploads)
    if (info["lineEnding"] == "LF" and crlf) or (info["lineEnding"] == "CRLF" and bare_lf):
        return (
            rows,
            f"ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is "
            f"{info['lineEnding']}",
        )
    unknown = [column for column in job.columns if not _known_column(job.sobject, column)]
    if unknown:
        return rows, f"InvalidBatch : Field name not found : {unknown[0]}"
    needed = (
        info["externalIdFieldName"]
        if info["operation"] == "upsert"
        else "Id"
        if info["operation"] in ("update", "delete")
        else None
    )
    if needed and needed not in job.columns:
        return rows, f"InvalidBatch : Field name not found : {needed}"
    return rows, None


def _known_column(sobject: SObject, column: str) -> bool:
    relationship, _, field = column.partition(".")
    return bool(sobject.field_named(column) or (field and sobject.relationship(relationship)))


def _write(job: Job, writes: Writes, row: dict) -> tuple[dict, bool]:
    sobject, operation = job.sobject, job.info["operation"]
    values: dict = {}
    for column, cell in row.items():
        if cell == "":
            continue  # an empty cell leaves the field as it is; #N/A clears it
        value = None if cell == "#N/A" else cell
        relationship, _, field = column.partition(".")
        if field:
            values[relationship] = {field: value}
        elif column != "Id":
            values[column] = value
    if operation == "upsert":
        field = job.info["externalIdFieldName"]
        return writes.upsert(sobject, field, row.get(field, ""), values)
    if operation == "insert":
        return writes.create(sobject, values), True
    existing = writes.get(sobject, row.get("Id") or "", include_deleted=True)
    if existing is None:
        raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ("Id",))
    if existing["IsDeleted"]:
        raise SfError(400, "ENTITY_IS_DELETED", "entity is deleted", ("Id",))
    if operation == "update":
        return writes.update(sobject, existing, values), False
    writes.delete(sobject, existing)
    return existing, False
