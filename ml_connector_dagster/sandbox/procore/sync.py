"""Procore's sync actions (the "Using Sync Actions" page, crm_targets.md §3.6): a batch of at most 1,000 entries, each
matched by `id` (an unknown id is that entry's error), else by `origin_id` (update it, or create one), else
created; answered always with HTTP 200 and `{"entities": [...], "errors": [...]}`, an error being the caller's own
attributes plus `errors: {field: [messages]}`. Entries are applied in order, so a later entry sees an earlier one."""

from typing import Protocol

from ml_connector_dagster.sandbox.procore.errors import Invalid, ProcoreError, bad_request
from ml_connector_dagster.sandbox.procore.values import Checks


class Syncable(Protocol):
    def find(self, row_id) -> dict | None: ...

    def find_origin(self, origin_id: str) -> dict | None: ...

    def create(self, values: dict) -> dict:
        """Validates and writes a new record; answers it rendered; raises Invalid."""

    def update(self, row: dict, values: dict) -> dict: ...


def updates_of(body, limit: int) -> list:
    updates = body.get("updates") if isinstance(body, dict) else None
    if not isinstance(updates, list):
        raise bad_request("updates must be an array")
    if len(updates) > limit:
        # Guess: the body of the 413 the docs list for more entries than a sync takes.
        raise ProcoreError(413, f"A maximum of {limit} updates may be sent per request")
    return updates


def run(resource: Syncable, updates: list) -> dict:
    entities, errors = [], []
    for entry in updates:
        if not isinstance(entry, dict):
            errors.append({"errors": {"base": ["is invalid"]}})
            continue
        values = {k: v for k, v in entry.items() if k != "id"}
        try:
            if entry.get("id") is not None:
                row = resource.find(entry["id"])
                if row is None:
                    # Guess: the wording of an id that names no record.
                    raise Invalid({"id": ["could not be found"]})
                entities.append(resource.update(row, values))
            elif entry.get("origin_id") not in (None, ""):
                row = resource.find_origin(str(entry["origin_id"]))
                entities.append(resource.update(row, values) if row else resource.create(values))
            else:
                entities.append(resource.create(values))
        except Invalid as invalid:
            errors.append({**entry, "errors": invalid.errors})
    return {"entities": entities, "errors": errors}


def check_unique_origin(checks: Checks, values: dict, rows: list[dict], own_id: int | None) -> None:
    origin = values.get("origin_id")
    if origin in (None, ""):
        return
    if any(r["id"] != own_id and r.get("origin_id") == origin and not r.get("deleted_at") for r in rows):
        checks.add("origin_id", "has already been taken")
