"""Bulk API 2.0 ingest jobs (crm_targets.md §1.6): Open → UploadComplete → InProgress → JobComplete, CSV in and
CSV results out (`sf__Id,sf__Created` / `sf__Id,sf__Error` first, then the original columns)."""

import csv
import io
from dataclasses import dataclass, field

from ml_connector_dagster.sandbox.salesforce.records import SfError, Writes
from ml_connector_dagster.sandbox.salesforce.schema import OBJECTS

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}


@dataclass
class Job:
    info: dict
    data: list[str] = field(default_factory=list)
    successes: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)


def new_job(job_id: str, body: dict, api_version: str, created: str) -> Job:
    sobject = OBJECTS.get(body.get("object", ""))
    if sobject is None:
        raise SfError(400, "INVALIDENTITY", f"Entity '{body.get('object')}' is not supported by the Bulk API.")
    operation = body.get("operation")
    if operation not in ("insert", "update", "upsert", "delete", "hardDelete"):
        raise SfError(400, "INVALIDJOB", f"Invalid operation: {operation}")
    if operation == "upsert" and not body.get("externalIdFieldName"):
        raise SfError(400, "INVALIDJOB", "External ID was blank for upsert")
    if body.get("contentType", "CSV") != "CSV" or body.get("columnDelimiter", "COMMA") not in DELIMITERS:
        raise SfError(400, "INVALIDJOB", "contentType must be CSV and columnDelimiter one of " + ", ".join(DELIMITERS))
    return Job({"id": job_id, "operation": operation, "object": sobject.name, "createdById": "005Sb0000000001AAA",
                "createdDate": created, "systemModstamp": created, "state": "Open",
                "externalIdFieldName": body.get("externalIdFieldName"), "concurrencyMode": "Parallel",
                "contentType": "CSV", "apiVersion": float(api_version),
                "contentUrl": f"services/data/v{api_version}/jobs/ingest/{job_id}/batches",
                "lineEnding": body.get("lineEnding", "LF"), "columnDelimiter": body.get("columnDelimiter", "COMMA"),
                "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "retries": 0, "totalProcessingTime": 0,
                "apiActiveProcessingTime": 0, "apexProcessingTime": 0})


def process(job: Job, writes: Writes) -> None:
    """Each row is its own transaction, as in Bulk API 2.0: one bad row fails alone."""
    info = job.info
    sobject = OBJECTS[info["object"]]
    delimiter = DELIMITERS[info["columnDelimiter"]]
    newline = "\r\n" if info["lineEnding"] == "CRLF" else "\n"
    rows = []
    for chunk in job.data:
        rows += list(csv.DictReader(io.StringIO(chunk, newline=newline), delimiter=delimiter))
    for row in rows:
        values = {k: _value(sobject, k, v) for k, v in row.items() if v != ""}
        try:
            if info["operation"] == "upsert":
                field = info["externalIdFieldName"]
                record, created = writes.upsert(sobject, field, row.get(field, ""), values)
            elif info["operation"] == "insert":
                record, created = writes.create(sobject, values), True
            else:
                raise SfError(400, "INVALIDJOB", f"{info['operation']} is not served by the sandbox")
            writes.commit()
            job.successes.append({"sf__Id": record["Id"], "sf__Created": "true" if created else "false", **row})
        except SfError as error:
            writes.staged = {}
            job.failures.append({"sf__Id": "", "sf__Error": f"{error.code}:{error.message}:"
                                                             f"{','.join(error.fields)} --", **row})
    info.update(state="JobComplete", numberRecordsProcessed=len(rows), numberRecordsFailed=len(job.failures))


def results_csv(rows: list[dict], first: tuple[str, ...], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*first, *columns], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _value(sobject, name: str, text: str):
    spec = sobject.fields.get(name)
    if text == "#N/A":
        return None
    if spec is None or spec.type in ("string", "id", "reference", "date", "datetime"):
        return text
    if spec.type == "boolean":
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        return text
