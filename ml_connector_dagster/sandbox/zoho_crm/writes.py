"""Record writes of one org (crm_targets.md §2.4): insert, update, upsert and delete, record by record in request
order (a later record sees an earlier one's values), each answered with Zoho's per-record result; every write that
lands is handed on as one change per module and operation, so a bulk write makes one notification."""

from collections.abc import Callable

from ml_connector_dagster.sandbox.zoho_crm.errors import ZohoError, invalid_data
from ml_connector_dagster.sandbox.zoho_crm.org import Org
from ml_connector_dagster.sandbox.zoho_crm.schema import Module
from ml_connector_dagster.sandbox.zoho_crm.values import clean

# (org, module, operation: insert | update | delete, ids, {id: changed field names}, {id: new values})
Changed = Callable[[Org, Module, str, list[str], dict[str, list[str]], dict[str, dict]], None]


class Writes:
    def __init__(self, org: Org, module: Module, user: str, changed: Changed):
        self.org = org
        self.module = module
        self.user = user
        self.changed = changed
        self._done: dict[str, dict] = {}  # id → the row written, for this request's notification
        self._affected: dict[str, list[str]] = {}

    def insert(self, records: list) -> list[dict]:
        return self._each(records, lambda values, i: self._insert(values, i, None))

    def update(self, records: list, path_id: str | None = None) -> list[dict]:
        def one(values: dict, index: int) -> dict:
            record_id = path_id or values.get("id")
            if record_id is None:
                raise ZohoError(
                    400,
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": "id", "json_path": f"$.data[{index}].id"},
                )
            row = self.org.records(self.module).get(str(record_id))
            if row is None:
                raise invalid_data("id", f"$.data[{index}].id", "the related id given seems to be invalid")
            return self._update(row, values, index, None)

        return self._each(records, one)

    def upsert(self, records: list, duplicate_check_fields: list[str]) -> list[dict]:
        def one(values: dict, index: int) -> dict:
            for name in duplicate_check_fields:
                value = values.get(name)
                if value in (None, ""):
                    continue
                match = self._find(name, value)
                if match is not None:
                    return self._update(match, values, index, name)
            return self._insert(values, index, None, upsert=True)

        return self._each(records, one)

    def delete(self, ids: list[str]) -> list[dict]:
        results = []
        rows = self.org.records(self.module)
        for record_id in ids:
            row = rows.get(record_id)
            if row is None:
                results.append(
                    invalid_data("id", "$.ids", "the related id given seems to be invalid", id=record_id).body()
                )
                continue
            deleted = {
                "id": record_id,
                "display_name": self.org.render(self.module, row, [self.module.name_field])[self.module.name_field],
                "type": "recycle",
                "created_by": row["Created_By"],
                "deleted_by": self.user,
                "deleted_time": self.org.now().isoformat(),
            }
            with self.org.store.lock:
                self.org.store.remove(self.module.api_name, self.org.dc, [record_id])
                self.org.store.put(f"deleted:{self.module.api_name}", self.org.dc, {record_id: deleted})
            results.append(
                {"code": "SUCCESS", "details": {"id": record_id}, "message": "record deleted", "status": "success"}
            )
        gone = [r["details"]["id"] for r in results if r["status"] == "success"]
        if gone:
            self.changed(self.org, self.module, "delete", gone, {}, {})
        return results

    # ---------------------------------------------------------------------------------------------------------------
    def _each(self, records: list, one: Callable[[dict, int], dict]) -> list[dict]:
        results = []
        for index, values in enumerate(records):
            try:
                if not isinstance(values, dict):
                    raise invalid_data("data", f"$.data[{index}]", expected_data_type="jsonobject")
                results.append(one(values, index))
            except ZohoError as error:
                results.append(error.body())
        self._announce()
        return results

    def _insert(self, values: dict, index: int, duplicate_field: str | None, *, upsert: bool = False) -> dict:
        cleaned = clean(self.module, values, index, self._exists, creating=True)
        self._check_unique(cleaned, index, None)
        now = self.org.now().isoformat()
        row = {
            "id": self.org.new_id(self.module),
            **cleaned,
            "Created_Time": now,
            "Modified_Time": now,
            "Created_By": self.user,
            "Modified_By": self.user,
            "Owner": self.user,
        }
        self._save(row, "insert", list(cleaned))
        extra = {"duplicate_field": duplicate_field, "action": "insert"} if upsert else {}
        return self._success(row, "record added", extra)

    def _update(self, row: dict, values: dict, index: int, duplicate_field: str | None) -> dict:
        cleaned = clean(self.module, values, index, self._exists, creating=False)
        self._check_unique(cleaned, index, row["id"])
        changed = [name for name, value in cleaned.items() if row.get(name) != value]
        updated = {**row, **cleaned, "Modified_Time": self.org.now().isoformat(), "Modified_By": self.user}
        self._save(updated, "update", changed)
        extra = {"duplicate_field": duplicate_field, "action": "update"} if duplicate_field else {}
        return self._success(updated, "record updated", extra)

    def _save(self, row: dict, operation: str, fields: list[str]) -> None:
        self.org.store.put(self.module.api_name, self.org.dc, {row["id"]: row})
        earlier = self._done.get(row["id"])
        op = "insert" if earlier and earlier["_operation"] == "insert" else operation
        self._done[row["id"]] = {**row, "_operation": op}
        self._affected[row["id"]] = sorted({*self._affected.get(row["id"], []), *fields})

    def _announce(self) -> None:
        for operation in ("insert", "update"):
            ids = [rid for rid, row in self._done.items() if row["_operation"] == operation]
            if ids:
                affected = {rid: self._affected[rid] for rid in ids}
                values = {rid: {k: v for k, v in self._done[rid].items() if k in self._affected[rid]} for rid in ids}
                self.changed(self.org, self.module, operation, ids, affected, values)
        self._done.clear()
        self._affected.clear()

    def _success(self, row: dict, message: str, extra: dict) -> dict:
        rendered = self.org.render(self.module, row, ["Modified_Time", "Created_Time"])
        details = {
            "Modified_Time": rendered["Modified_Time"],
            "Modified_By": self.org.user(row["Modified_By"], email=False),
            "Created_Time": rendered["Created_Time"],
            "id": row["id"],
            "Created_By": self.org.user(row["Created_By"], email=False),
        }
        return {"code": "SUCCESS", **extra, "details": details, "message": message, "status": "success"}

    def _find(self, name: str, value) -> dict | None:
        """The oldest live record whose `name` equals `value`, ignoring case as Zoho's duplicate check does (guess)."""
        wanted = str(value).lower()
        with self.org.store.lock:
            rows = list(self.org.records(self.module).values())
        matches = [row for row in rows if row.get(name) is not None and str(row[name]).lower() == wanted]
        return min(matches, key=lambda row: row["id"]) if matches else None

    def _check_unique(self, cleaned: dict, index: int, own_id: str | None) -> None:
        for name in self.module.unique_fields():
            if cleaned.get(name) is None:
                continue
            clash = self._find(name, cleaned[name])
            if clash is not None and clash["id"] != own_id:
                raise ZohoError(
                    400,
                    "DUPLICATE_DATA",
                    "duplicate data",
                    {
                        "api_name": name,
                        "json_path": f"$.data[{index}].{name}",
                        "duplicate_record": {
                            "id": clash["id"],
                            "module": {"api_name": self.module.api_name, "id": self.org.module_id(self.module)},
                            "Owner": self.org.user(clash["Owner"], email=False),
                        },
                    },
                )

    def _exists(self, module: Module, record_id: str) -> bool:
        return record_id in self.org.records(module)
