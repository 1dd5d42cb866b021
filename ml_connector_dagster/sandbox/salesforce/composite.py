"""sObject Collections (crm_targets.md §1.5): create, update by Id and upsert by External ID, up to 200 records a
request, written in order, each answered in order; with allOrNone one failure rolls the whole request back."""

from collections.abc import Callable

from ml_connector_dagster.sandbox.salesforce.errors import SfError, not_found
from ml_connector_dagster.sandbox.salesforce.ids import full_id
from ml_connector_dagster.sandbox.salesforce.records import Writes
from ml_connector_dagster.sandbox.salesforce.schema import SObject

MAX_RECORDS = 200
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
    "fields": [],
}


def upsert(writes: Writes, sobject: SObject | None, field: str, body: dict) -> list[dict]:
    if sobject is None or field not in sobject.external_ids():
        raise not_found()
    records = _records(body, lambda record_type: record_type == sobject.name)
    seen: dict[str, int] = {}
    for record in records:
        key = str(record.get(field) or "").lower()
        seen[key] = seen.get(key, 0) + 1

    def write(record: dict) -> dict:
        value = str(record.get(field) or "")
        if seen[value.lower()] > 1:
            # Guess at the code: Apex reports a value repeated within one upsert as DUPLICATE_VALUE in these words.
            raise SfError(400, "DUPLICATE_VALUE", f"Duplicate external id specified: {value}", (field,))
        row, created = writes.upsert(sobject, field, value, record)
        return {"id": row["Id"], "success": True, "errors": [], "created": created}

    return _each(writes, records, bool(body.get("allOrNone")), write, {"created": False})


def create(writes: Writes, objects: dict[str, SObject], body: dict) -> list[dict]:
    return _saves(writes, objects, body, writes.create)


def update(writes: Writes, objects: dict[str, SObject], body: dict) -> list[dict]:
    """Records of any type, each naming its record by `id` (or `Id`); the other fields are what changes."""

    def save(sobject: SObject, record: dict) -> dict:
        changes = {name: value for name, value in record.items() if name.lower() != "id"}
        return writes.update(sobject, _target(writes, sobject, record), changes)

    return _saves(writes, objects, body, save, keep_ids=True)


def _saves(
    writes: Writes,
    objects: dict[str, SObject],
    body: dict,
    save: Callable[[SObject, dict], dict],
    *,
    keep_ids: bool = False,
) -> list[dict]:
    """Create and update take records of mixed types and answer each with a SaveResult."""

    def write(record: dict) -> dict:
        row = save(objects[record["attributes"]["type"]], record)
        return {"id": row["Id"], "success": True, "errors": []}

    return _each(
        writes,
        _records(body, lambda record_type: record_type in objects),
        bool(body.get("allOrNone")),
        write,
        {},
        keep_ids=keep_ids,
    )


def _target(writes: Writes, sobject: SObject, record: dict) -> dict:
    given = next((str(value) for name, value in record.items() if name.lower() == "id" and value), "")
    if not given:
        # Guess: the code and words of an update without an id (Apex reports it so).
        raise SfError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ("Id",))
    row_id = full_id(given)
    if len(row_id) != 18 or not row_id.startswith(sobject.prefix):
        # As the docs' example answers an Account id sent as a Contact.
        raise SfError(400, "MALFORMED_ID", f"{sobject.name} ID: id value of incorrect type: {given}", ("Id",))
    row = writes.get(sobject, row_id, include_deleted=True)
    if row is None:
        # Guess: a well-formed id of the right type that names no record, as Apex DML reports it.
        raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ("Id",))
    if row["IsDeleted"]:
        raise SfError(400, "ENTITY_IS_DELETED", "entity is deleted", ("Id",))
    return row


def _records(body: dict, known_type: Callable[[str], bool]) -> list[dict]:
    records = body.get("records")
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise SfError(400, "JSON_PARSER_ERROR", "records: a non-empty array of records is required")
    if len(records) > MAX_RECORDS:
        # Guess (§1.5 is unsure of the code): EXCEEDED_ID_LIMIT, as for the other collection resources.
        raise SfError(400, "EXCEEDED_ID_LIMIT", f"Record limit reached. Maximum of {MAX_RECORDS} records allowed.")
    for record in records:
        record_type = (record.get("attributes") or {}).get("type")
        if not record_type or not known_type(record_type):
            # Guess at the code and wording of a record without, or with the wrong, attributes.type.
            raise SfError(
                400,
                "INVALID_TYPE",
                f"Each record needs attributes.type naming the sObject of the request; found {record_type!r}.",
            )
    return records


def _each(
    writes: Writes,
    records: list[dict],
    all_or_none: bool,
    write: Callable[[dict], dict],
    failed_extra: dict,
    *,
    keep_ids: bool = False,
) -> list[dict]:
    results = []
    for record in records:
        savepoint = writes.savepoint()
        try:
            results.append(write(record))
        except SfError as error:
            writes.rollback(savepoint)
            results.append({"id": None, "success": False, "errors": [error.result()], **failed_extra})
    if all_or_none and not all(result["success"] for result in results):
        # A rolled-back update still names its record (as in the docs' example); a rolled-back create names nothing.
        return [
            result
            if not result["success"]
            else {"id": result["id"] if keep_ids else None, "success": False, "errors": [_ROLLED_BACK], **failed_extra}
            for result in results
        ]
    writes.commit()
    return results
