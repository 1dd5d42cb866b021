"""What the platform does with one record write: field checks in Salesforce's words, external-id matching,
system fields. Writes are staged in a dict so a request (or an allOrNone collection) commits all or nothing."""

from dataclasses import dataclass

from ml_connector_dagster.sandbox.salesforce.schema import SObject
from ml_connector_dagster.sandbox.salesforce.store import Store


@dataclass
class SfError(Exception):
    status: int
    code: str
    message: str
    fields: tuple[str, ...] = ()

    def body(self) -> list[dict]:
        return [{"message": self.message, "errorCode": self.code, "fields": list(self.fields)}]

    def result(self) -> dict:
        """The per-record form (collections, composite): `statusCode`, not `errorCode`."""
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields)}


class Writes:
    def __init__(self, store: Store, now: callable):
        self.store = store
        self.now = now
        self.staged: dict[tuple[str, str], dict | None] = {}

    def get(self, sobject: SObject, record_id: str) -> dict | None:
        key = (sobject.name, record_id)
        if key in self.staged:
            return self.staged[key]
        return self.store.rows[sobject.name].get(record_id)

    def create(self, sobject: SObject, values: dict) -> dict:
        checked = self._checked(sobject, values)
        missing = [name for name, spec in sobject.fields.items() if spec.required and checked.get(name) in (None, "")]
        if missing:
            raise SfError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                          tuple(missing))
        stamp = self.now()
        row = {name: None for name in sobject.fields} | checked | {
            "Id": self.store.new_id(sobject), "CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp,
            "IsDeleted": False, "OwnerId": "005Sb0000000001AAA"}
        self._unique(sobject, row)
        self.staged[(sobject.name, row["Id"])] = row
        return row

    def update(self, sobject: SObject, row: dict, values: dict) -> dict:
        checked = self._checked(sobject, values)
        updated = {**row, **checked}
        missing = [name for name, spec in sobject.fields.items() if spec.required and updated.get(name) in (None, "")]
        if missing:
            raise SfError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                          tuple(missing))
        if updated != row:
            updated["LastModifiedDate"] = updated["SystemModstamp"] = self.now()
        self._unique(sobject, updated)
        self.staged[(sobject.name, row["Id"])] = updated
        return updated

    def upsert(self, sobject: SObject, field: str, value: str, values: dict) -> tuple[dict, bool]:
        if field not in sobject.external_ids() and field != "Id":
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        if "Id" in values:
            raise SfError(400, "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: Id. Please check "
                          "the security settings of this field and verify that it is read/write for your profile or "
                          "permission set.", ("Id",))
        matches = self.store.by_external_id(sobject, field, value, self.staged)
        if len(matches) > 1:
            raise SfError(300, "MULTIPLE_CHOICES", f"/services/data/vXX.X/sobjects/{sobject.name}/"
                          f"{', '.join(m['Id'] for m in matches)}")
        body = {k: v for k, v in values.items() if k != field}
        if matches:
            return self.update(sobject, matches[0], body), False
        return self.create(sobject, {**body, field: value}), True

    def delete(self, sobject: SObject, row: dict) -> None:
        self.staged[(sobject.name, row["Id"])] = None

    def commit(self) -> None:
        self.store.save(self.staged)
        self.staged = {}

    def _checked(self, sobject: SObject, values: dict) -> dict:
        checked = {}
        for name, value in values.items():
            if name == "attributes":
                continue
            spec = sobject.fields.get(name)
            if spec is None:
                raise SfError(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject.name}",
                              (name,))
            if not spec.writable:
                raise SfError(400, "INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to create/update fields: {name}. "
                              "Please check the security settings of this field and verify that it is read/write for "
                              "your profile or permission set.", (name,))
            if spec.type == "string" and value is not None:
                if not isinstance(value, str):
                    value = str(value)
                if spec.length and len(value) > spec.length:
                    raise SfError(400, "STRING_TOO_LONG", f"{name}: data value too large: {value[:40]} (max "
                                  f"length={spec.length})", (name,))
            if spec.type in ("double", "currency", "int") and value is not None and \
                    (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise SfError(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {spec.type} from "
                                                        f"{type(value).__name__} value {value!r}", (name,))
            checked[name] = value
        return checked

    def _unique(self, sobject: SObject, row: dict) -> None:
        for field in sobject.external_ids():
            if row.get(field) is None:
                continue
            clash = [other for other in self.store.by_external_id(sobject, field, str(row[field]), self.staged)
                     if other["Id"] != row["Id"]]
            if clash:
                raise SfError(400, "DUPLICATE_VALUE", f"duplicate value found: {field} duplicates value on record "
                                                      f"with id: {clash[0]['Id']}", (field,))
