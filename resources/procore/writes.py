"""Procore's sync actions (crm_targets.md §3.6–3.8) as the core's TargetWriter, for `vendors` (one company) and
`cost_codes` and `purchase_order_contracts` (per project, the payload's `project_id`). A sync takes up to 1,000
entries and matches each on its `origin_id`, the record's source key: it updates the record holding that origin_id
or creates one, so the http layer may retry it. It answers 200 whatever becomes of the entries: the written ones
come back in `entities`, the refused ones in `errors` with their reasons, and each becomes the record's WriteResult.

A payload value `{"origin_id": "<key>"}` in `vendor_id`, `parent_id` or a line item's `cost_code_id` names another
record by its source key: it is sent as that record's Procore id, known from this session's earlier writes and
reads or read by `filters[origin_id]`; a record whose reference Procore lacks is a DEPENDENCY result and is not
sent. Cost codes whose parent is written in the same call are sent after it. A contract's `line_items` are synced
after its header, one call per contract whose lines differ from Procore's (Procore's sync never deletes: a line
gone at the source stays, and the mapping sends a cancelled one at zero). An approved or closed commitment's schedule
of values is locked, so such a contract is written as a draft, its lines synced, and its status set after them. A
contract's `moved_from: "<project_id>:<contract_id>"` deletes the contract it replaces in its old project first.
Neither is a field of the contract. Target ids are `"<id>"` for vendors and `"<project_id>:<id>"` for the others."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import httpx
from ml_connector_dagster.resources.procore.errors import ERRORS, entry_error
from ml_connector_dagster.resources.procore.rate import RateLimitReached

from ml_connector_dagster.http import ApiError, AuthError, vendor_error
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.loading import TargetRecord, WriteResult, not_sent
from ml_connector_dagster.side_by_side import side_by_side
from ml_connector_dagster.spool import IdMap

WRITE_SIZE = 1000  # entries per sync call: Procore answers 413 past it
TARGETS = frozenset({"vendors", "cost_codes", "purchase_order_contracts"})
COMPANY_WIDE = frozenset({"vendors"})
REFERENCES = {"vendor_id": "vendors", "parent_id": "cost_codes"}  # payload fields that may name a record by key
NOT_SENT = frozenset({"project_id", "line_items", "moved_from"})  # instructions to the writer, not contract fields
# Guess (Procore's UI: an approved commitment changes through change orders): statuses that lock the line items.
LOCKED = frozenset({"approved", "closed"})
LINE_FIELDS = ("description", "quantity", "unit_cost", "uom", "amount", "cost_code_id")


@dataclass(frozen=True)
class SyncAnswer:
    entities: list[dict]
    errors: list[dict]
    refused: ApiError | None = None  # the call refused as a whole (a 4xx other than auth)


class ProcoreWrites:
    """Mixed into the client, which provides the http client, the company and `_read` (client.py)."""

    http: httpx.Client
    company_id: int
    parallelism: int
    _origin_ids: IdMap  # (object, project, origin_id) → Procore id
    _links: IdMap  # (object, origin_id) → the Procore record it is written to

    def _read(self, path: str, project_id: int | None, filters: Mapping[str, Any]) -> Iterator[dict]:
        raise NotImplementedError

    def known(self, target_object: str, target_ids: Mapping[str, str], *, link: bool = False) -> None:
        """Procore ids of records by source key (target ids as the ledger holds them), so references to them are
        sent without reading Procore. With `link`, the records themselves are written to those ids: records a
        Procore user entered before the first sync, which the sync then gives their origin_id."""
        ids, links = [], []
        for key, target in target_ids.items():
            project, _, procore_id = str(target).rpartition(":")
            if not procore_id.isdigit():
                continue
            scope = None if target_object in COMPANY_WIDE else int(project) if project.isdigit() else None
            ids.append(((target_object, scope, key), int(procore_id)))
            if link:
                links.append(((target_object, key), int(procore_id)))
        self._origin_ids.update(ids)
        self._links.update(links)

    def upsert(self, target_object: str, records: Sequence[TargetRecord]) -> list[WriteResult]:
        """The projects' records are written side by side (each project's calls in their order: references, header
        sync, line syncs, status), so one project's few calls between its line syncs do not leave the others idle."""
        _check(target_object)
        groups, results = _scopes(target_object, records)
        done = {result.source_key: result for result in results}
        stops = []
        for written, stopped in side_by_side(
            lambda group: self._write_project(target_object, *group), list(groups.items()), self.parallelism
        ):
            done.update((result.source_key, result) for result in written)
            stops.append(stopped)
        stopped = next((stop for stop in stops if stop is not None), None)
        if stopped is not None:
            return [
                *done.values(),
                *(not_sent(record, stopped) for record in records if record.source_key not in done),
            ]
        return list(done.values())

    def _write_project(
        self, target_object: str, project_id: int | None, group: list[TargetRecord]
    ) -> tuple[list[WriteResult], RateLimitReached | None]:
        """One project's records (the company's, for vendors), and the stop of the hourly limit if it came: what was
        written before it stands, the rest is not sent."""
        written: list[WriteResult] = []
        try:
            for wave in _parents_first(group) if target_object == "cost_codes" else [group]:
                for start in range(0, len(wave), WRITE_SIZE):
                    written += self._write(target_object, project_id, wave[start : start + WRITE_SIZE])
        except RateLimitReached as stopped:
            return written, stopped
        return written, None

    def existing_keys(self, target_object: str, known: Mapping[str, str | None]) -> set[str]:
        """Which records the ledger says were written are still in Procore, read by their ids (per project for the
        project-scoped objects); a deleted cost code is not. Once the hourly limit stopped the run nothing more is
        asked: the ledger's word stands for it until the next run."""
        _check(target_object)
        wanted: dict[int | None, dict[str, str]] = {}
        for source, target in known.items():
            project, _, id = (target or "").rpartition(":")
            if id.isdigit() and (target_object in COMPANY_WIDE or project.isdigit()):
                scope = None if target_object in COMPANY_WIDE else int(project)
                wanted.setdefault(scope, {})[id] = source
        found: set[str] = set()
        try:
            for project_id, ids in wanted.items():
                for item in self._read(target_object, project_id, {"id": sorted(ids, key=int)}):
                    if str(item.get("id")) in ids and not item.get("deleted_at"):
                        found.add(ids[str(item["id"])])
        except RateLimitReached:
            return {source for source, target in known.items() if target}
        return found

    def _write(self, target_object: str, project_id: int | None, records: list[TargetRecord]) -> list[WriteResult]:
        ids = self._resolve(project_id, records)
        results, ready = [], []
        for record in records:
            missing = [
                f"{field}: Procore has no {obj} with origin_id {key}"
                + ("" if obj in COMPANY_WIDE else " in the project")
                for field, obj, key in _references(record)
                if ids[obj, key] is None
            ]
            if missing:
                results.append(_failed(record, ErrorClass.DEPENDENCY, "procore:reference", "; ".join(missing)))
            else:
                ready.append(record)
        lines_due: set[str] = set()
        if target_object == "purchase_order_contracts":
            ready, refused = self._remove_moved(project_id, ready)
            results += refused
            lines_due = self._lines_differ(project_id, ready, ids)
        if not ready:
            return results
        scope = {"company_id": self.company_id} if project_id is None else {"project_id": project_id}
        # The cost code sync takes project_id as a query parameter in Procore's reference; it is sent in the body too,
        # where the vendor and contract syncs take their scope.
        params = {"project_id": str(project_id)} if target_object == "cost_codes" else None
        staged = {r.source_key for r in ready if r.source_key in lines_due and r.payload.get("status") in LOCKED}
        linked = self._links.found((target_object, record.source_key) for record in ready)
        entries = [
            {
                **_entry(record, ids),
                **(
                    {"id": linked[target_object, record.source_key]}
                    if (target_object, record.source_key) in linked
                    else {}
                ),
                **({"status": "draft", "executed": False} if record.source_key in staged else {}),
            }
            for record in ready
        ]
        answer = self._sync(target_object, {**scope, "updates": entries}, params)
        written = self._results(target_object, project_id, ready, answer)
        if target_object == "purchase_order_contracts":
            by_key = {record.source_key: record for record in ready}
            written = side_by_side(
                lambda result: (
                    self._sync_lines(project_id, by_key[result.source_key], result, ids)
                    if result.source_key in lines_due
                    else result
                ),
                written,
                self.parallelism,
            )
            written = self._set_status(project_id, [r for r in written if r.ok and r.source_key in staged], by_key) + [
                r for r in written if not (r.ok and r.source_key in staged)
            ]
        return results + written

    def _lines_differ(
        self, project_id: int, records: list[TargetRecord], ids: Mapping[tuple[str, str], int | None]
    ) -> set[str]:
        """The contracts whose lines Procore does not hold as the payload has them: new ones, and those whose
        schedule of values (read once per contract the project already has) differs."""
        wanted = {r.source_key: r for r in records if r.payload.get("line_items")}
        if not wanted:
            return set()
        held = {
            str(c.get("origin_id")): c["id"]
            for c in self._read("purchase_order_contracts", project_id, {})
            if str(c.get("origin_id")) in wanted
        }

        def differs(key: str) -> bool:
            if key not in held:
                return True
            current = {
                str(line.get("origin_id")): _as_written(line)
                for line in self.contract_line_items(project_id, held[key])
            }
            for line in wanted[key].payload["line_items"]:
                sent = _line(line, ids)
                have = current.get(str(line["origin_id"]))
                if have is None or any(_same(have.get(f)) != _same(sent.get(f)) for f in LINE_FIELDS):
                    return True
            return False

        keys = list(wanted)
        return {key for key, differ in zip(keys, side_by_side(differs, keys, self.parallelism), strict=True) if differ}

    def _set_status(
        self, project_id: int, written: list[WriteResult], by_key: Mapping[str, TargetRecord]
    ) -> list[WriteResult]:
        """The status of contracts written as drafts for their lines, once the lines are in."""
        if not written:
            return []
        updates = [
            {
                "id": int(result.target_id.rpartition(":")[2]),
                "status": by_key[result.source_key].payload["status"],
                "executed": by_key[result.source_key].payload.get("executed", False),
            }
            for result in written
        ]
        answer = self._sync("purchase_order_contracts", {"project_id": project_id, "updates": updates}, None)
        if answer.refused is not None:
            return [replace(_refused(by_key[r.source_key], answer.refused), target_id=r.target_id) for r in written]
        errors = {str(entry.get("id")): entry for entry in answer.errors}
        results = []
        for result in written:
            error = errors.get(result.target_id.rpartition(":")[2])
            if error is None:
                results.append(result)
            else:
                error_class, code, message = entry_error(error)
                results.append(
                    WriteResult(
                        result.source_key,
                        False,
                        result.target_id,
                        error_class=error_class,
                        error_code=code,
                        error_message=f"status: {message}",
                    )
                )
        return results

    def _resolve(self, project_id: int | None, records: list[TargetRecord]) -> dict[tuple[str, str], int | None]:
        """The Procore id of every record these records name, None where Procore has none."""
        ids: dict[tuple[str, str], int | None] = {}
        named = sorted({(obj, key) for record in records for _, obj, key in _references(record)})
        scoped = {(obj, key): (obj, None if obj in COMPANY_WIDE else project_id, key) for obj, key in named}
        known = self._origin_ids.found(scoped.values())
        for (obj, key), where in scoped.items():
            ids[obj, key] = known.get(where)
            if ids[obj, key] is None:
                match = next(
                    (
                        item
                        for item in self._read(obj, where[1], {"origin_id": key})
                        if str(item.get("origin_id")) == key and not item.get("deleted_at")
                    ),
                    None,
                )
                if match is not None:
                    ids[obj, key] = self._origin_ids[where] = int(match["id"])
        return ids

    def _results(
        self, target_object: str, project_id: int | None, records: list[TargetRecord], answer: SyncAnswer
    ) -> list[WriteResult]:
        if answer.refused is not None:
            return [_refused(record, answer.refused) for record in records]
        entities = {str(entity.get("origin_id")): entity for entity in answer.entities}
        errors = {str(entry.get("origin_id")): entry for entry in answer.errors}
        scope = None if target_object in COMPANY_WIDE else project_id
        self._origin_ids.update(
            ((target_object, scope, record.source_key), int(entities[record.source_key]["id"]))
            for record in records
            if record.source_key in entities and record.source_key not in errors
        )
        results = []
        for record in records:
            key = record.source_key
            if key in errors:
                results.append(_failed(record, *entry_error(errors[key])))
            elif key in entities:
                target_id = str(entities[key]["id"]) if project_id is None else f"{project_id}:{entities[key]['id']}"
                results.append(WriteResult(key, True, target_id))
            else:
                results.append(
                    _failed(record, ErrorClass.TRANSIENT, "procore:no_answer", "the sync answered nothing for it")
                )
        return results

    def _sync_lines(
        self, project_id: int, record: TargetRecord, result: WriteResult, ids: dict[tuple[str, str], int | None]
    ) -> WriteResult:
        """The contract's schedule of values, once its header is written; a refused line fails the record, which
        the next run sends again whole (both syncs are idempotent)."""
        lines = record.payload.get("line_items")
        if not result.ok or not lines:
            return result
        contract_id = result.target_id.rpartition(":")[2]
        answer = self._sync(
            f"purchase_order_contracts/{contract_id}/line_items",
            {"updates": [_line(line, ids) for line in lines]},
            {"project_id": str(project_id)},
        )
        if answer.refused is not None:
            return replace(_refused(record, answer.refused), target_id=result.target_id)
        if not answer.errors:
            return result
        refusals = [(entry.get("origin_id"), *entry_error(entry)) for entry in answer.errors]
        conflict = any(error_class == ErrorClass.CONFLICT for _, error_class, _, _ in refusals)
        return WriteResult(
            record.source_key,
            False,
            result.target_id,
            error_class=ErrorClass.CONFLICT if conflict else ErrorClass.VALIDATION,
            error_code=refusals[0][2].replace("procore:", "procore:line_items.", 1),
            error_message="; ".join(f"line {origin}: {message}" for origin, _, _, message in refusals),
        )

    def _remove_moved(
        self, project_id: int | None, records: list[TargetRecord]
    ) -> tuple[list[TargetRecord], list[WriteResult]]:
        """Deletes the contracts these records replace in other projects; a record whose old contract could not be
        deleted (Procore keeps a commitment that has requisitions or change orders) is not written: two live
        commitments for one PO would double its costs. An old contract Procore no longer knows counts as gone."""
        ready, refused = [], []
        for record in records:
            origin = record.payload.get("moved_from")
            old_project, _, old_id = str(origin or "").partition(":")
            if not origin or old_project == str(project_id):
                ready.append(record)
            elif not (old_project.isdigit() and old_id.isdigit()):
                message = f"moved_from: {origin!r} is not <project_id>:<contract_id>"
                refused.append(_failed(record, ErrorClass.VALIDATION, "procore:moved_from", message))
            else:
                response = self.http.delete(f"purchase_order_contracts/{old_id}", params={"project_id": old_project})
                if response.status_code < 300 or response.status_code == 404:
                    ready.append(record)
                    continue
                why = vendor_error(ERRORS, response, f"DELETE purchase_order_contracts/{old_id}")
                if isinstance(why, AuthError) or response.status_code == 429 or response.status_code >= 500:
                    raise why
                message = (
                    f"moved_from: contract {old_project}:{old_id} could not be removed from its old project: {why}"
                )
                refused.append(_failed(record, ErrorClass.VALIDATION, "procore:moved_from", message))
        return ready, refused

    def _sync(self, path: str, body: dict, params: dict | None) -> SyncAnswer:
        response = self.http.patch(f"{path}/sync", json=body, params=params)
        if response.status_code == 200:
            answer = response.json()
            return SyncAnswer(answer.get("entities") or [], answer.get("errors") or [])
        refused = vendor_error(ERRORS, response, f"PATCH {path}/sync")
        # A refused credential, a limit the retries outlasted, a failing server: the run cannot go on.
        if isinstance(refused, AuthError) or response.status_code == 429 or response.status_code >= 500:
            raise refused
        return SyncAnswer([], [], refused)


def _check(target_object: str) -> None:
    if target_object not in TARGETS:
        raise ValueError(f"procore: no writer for {target_object!r}; known: {sorted(TARGETS)}")


def _scopes(
    target_object: str, records: Sequence[TargetRecord]
) -> tuple[dict[int | None, list[TargetRecord]], list[WriteResult]]:
    """The records by the project they are written to (one group, None, for the company's vendors), and the
    results of those without a project."""
    if target_object in COMPANY_WIDE:
        return {None: list(records)}, []
    groups: dict[int | None, list[TargetRecord]] = {}
    refused = []
    for record in records:
        project_id = record.payload.get("project_id")
        if isinstance(project_id, int) and not isinstance(project_id, bool):
            groups.setdefault(project_id, []).append(record)
        else:
            message = f"project_id: {target_object} are written to a project, and {project_id!r} is not its id"
            refused.append(_failed(record, ErrorClass.VALIDATION, "procore:project_id", message))
    return groups, refused


def _parents_first(records: list[TargetRecord]) -> list[list[TargetRecord]]:
    """Waves of cost codes: a code whose parent is in this call goes in a wave after its parent's."""
    by_key = {record.source_key: record for record in records}
    depth: dict[str, int] = {}

    def level(key: str, seen: frozenset[str]) -> int:
        if key not in depth:
            parent = _origin(by_key[key].payload.get("parent_id"))
            depth[key] = 0 if parent not in by_key or parent in seen else 1 + level(parent, seen | {key})
        return depth[key]

    waves: dict[int, list[TargetRecord]] = {}
    for record in records:
        waves.setdefault(level(record.source_key, frozenset({record.source_key})), []).append(record)
    return [waves[n] for n in sorted(waves)]


def _references(record: TargetRecord) -> Iterator[tuple[str, str, str]]:
    """(field, object, source key) of every record this one names."""
    for field, obj in REFERENCES.items():
        key = _origin(record.payload.get(field))
        if key is not None:
            yield field, obj, key
    for number, line in enumerate(record.payload.get("line_items") or []):
        key = _origin(line.get("cost_code_id"))
        if key is not None:
            yield f"line_items[{number}].cost_code_id", "cost_codes", key


def _origin(value: object) -> str | None:
    return str(value["origin_id"]) if isinstance(value, dict) and value.get("origin_id") is not None else None


def _entry(record: TargetRecord, ids: Mapping[tuple[str, str], int | None]) -> dict:
    entry = {name: value for name, value in record.payload.items() if name not in NOT_SENT}
    for field, obj in REFERENCES.items():
        key = _origin(entry.get(field))
        if key is not None:
            entry[field] = ids[obj, key]
    return {**entry, "origin_id": record.source_key}


def _line(line: dict, ids: Mapping[tuple[str, str], int | None]) -> dict:
    key = _origin(line.get("cost_code_id"))
    return line if key is None else {**line, "cost_code_id": ids["cost_codes", key]}


def _as_written(line: dict) -> dict:
    """A line item as Procore answers it, with its cost code's id where a line item is written with it (the answer
    nests `cost_code {id, ...}`)."""
    code = line.get("cost_code")
    return {**line, "cost_code_id": code.get("id") if isinstance(code, dict) else line.get("cost_code_id")}


def _same(value: object) -> str:
    """A line value as Procore's answer and the payload both can say it: `"10.0"` and `"10"` are one quantity."""
    if value is None or value == "":
        return ""
    text = str(value)
    try:
        return format(Decimal(text).normalize(), "f")
    except ArithmeticError:
        return text


def _failed(record: TargetRecord, error_class: ErrorClass, code: str, message: str) -> WriteResult:
    return WriteResult(record.source_key, False, error_class=error_class, error_code=code, error_message=message)


def _refused(record: TargetRecord, refused: ApiError) -> WriteResult:
    return WriteResult(
        record.source_key,
        False,
        error_class=ERRORS.classify(refused.status, refused.code),
        error_code=refused.code or f"procore:http_{refused.status}",
        error_message=str(refused),
    )
