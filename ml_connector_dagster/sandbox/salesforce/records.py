"""What the platform does with one record write: field checks in Salesforce's words, lookups (also by a parent's
External ID), external-id matching, system fields. Writes are staged so a request, an allOrNone collection or one
bulk row commits all or nothing."""

from collections.abc import Callable
from datetime import date

from ml_connector_dagster.sandbox.salesforce import rules
from ml_connector_dagster.sandbox.salesforce.auth import USER_ID
from ml_connector_dagster.sandbox.salesforce.errors import MultipleMatches, SfError, not_found
from ml_connector_dagster.sandbox.salesforce.ids import full_id, record_id
from ml_connector_dagster.sandbox.salesforce.schema import NUMERIC, Field, SObject
from ml_connector_dagster.sandbox.salesforce.store import Store


class Writes:
    def __init__(
        self,
        store: Store,
        objects: dict[str, SObject],
        now: Callable[[], str],
        row_locked: Callable[[], bool] = lambda: False,
        committed: Callable[[list[tuple[SObject, dict | None, dict]]], None] = lambda saved: None,
    ):
        self.store = store
        self.objects = objects
        self.now = now
        self.row_locked = row_locked
        self.committed = committed  # told (object, row before or None, row after) of each record a commit saved
        self.staged: dict[tuple[str, str], dict] = {}

    # reads through the staged changes --------------------------------------------------------------------------
    def get(self, sobject: SObject, row_id: str, *, include_deleted: bool = False) -> dict | None:
        key = (sobject.name, full_id(row_id))
        row = self.staged.get(key) or self.store.rows[sobject.name].get(key[1])
        return row if row is not None and (include_deleted or not row.get("IsDeleted")) else None

    def find(self, sobject: SObject, field: str, value: str) -> list[dict]:
        """Live records whose External ID `field` equals `value`, ignoring case."""
        wanted = value.lower()
        ids = self.store.matching(sobject.name, field, value) | {
            rid
            for (name, rid), row in self.staged.items()
            if name == sobject.name and str(row.get(field) or "").lower() == wanted
        }
        rows = (self.get(sobject, rid) for rid in sorted(ids))
        return [row for row in rows if row is not None and str(row.get(field) or "").lower() == wanted]

    # writes ----------------------------------------------------------------------------------------------------
    def create(self, sobject: SObject, values: dict) -> dict:
        checked = self._checked(sobject, values)
        stamp = self.now()
        new_id = record_id(sobject.prefix, self.store.next_number(sobject.name))
        row = (
            {name: None for name in sobject.fields}
            | checked
            | {
                "Id": new_id,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": False,
            }
        )
        if "OwnerId" in sobject.fields:
            row["OwnerId"] = USER_ID
        rules.check_new(sobject, row, self)
        return self._stage(sobject, row | rules.auto_numbers(sobject, self.store.next_number))

    def update(self, sobject: SObject, row: dict, values: dict) -> dict:
        if self.row_locked():
            raise SfError(
                400, "UNABLE_TO_LOCK_ROW", f"unable to obtain exclusive access to this record or 1 records: {row['Id']}"
            )
        # Guess: a save stamps the record even when no value changed, as the platform does; a sync that rewrites
        # unchanged records makes them look modified to every incremental reader.
        stamp = self.now()
        return self._stage(
            sobject, row | self._checked(sobject, values) | {"LastModifiedDate": stamp, "SystemModstamp": stamp}
        )

    def upsert(self, sobject: SObject, field: str, value: str, values: dict) -> tuple[dict, bool]:
        if field not in sobject.external_ids():
            raise not_found()
        if not value:
            raise SfError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{field}]", (field,))
        matches = self.find(sobject, field, value)
        if len(matches) > 1:
            raise MultipleMatches(field, [m["Id"] for m in matches])
        # Guess: the External ID in the body is ignored in favour of the one in the URL (§1.4 says to leave it out).
        body = {name: v for name, v in values.items() if name.lower() != field.lower()}
        if matches:
            return self.update(sobject, matches[0], body), False
        return self.create(sobject, {**body, field: value}), True

    def delete(self, sobject: SObject, row: dict) -> None:
        stamp = self.now()
        self.staged[(sobject.name, row["Id"])] = row | {
            "IsDeleted": True,
            "SystemModstamp": stamp,
            "LastModifiedDate": stamp,
        }

    def savepoint(self) -> dict:
        return dict(self.staged)

    def rollback(self, savepoint: dict) -> None:
        self.staged = savepoint

    def commit(self) -> None:
        # Under the store's lock, so whoever is told of commits hears of them in the order the store made them.
        with self.store.lock:
            saved = self.store.save(self.staged)
            self.committed([(self.objects[name], old, new) for name, old, new in saved])
        self.staged = {}

    # checks ----------------------------------------------------------------------------------------------------
    def _stage(self, sobject: SObject, row: dict) -> dict:
        row = row | rules.derived(sobject, row, self)
        missing = [name for name, spec in sobject.fields.items() if spec.required and row.get(name) in (None, "")]
        if missing:
            raise SfError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", tuple(missing)
            )
        for field in sobject.external_ids():
            if not sobject.fields[field].unique or row.get(field) is None:
                continue
            clash = [other for other in self.find(sobject, field, str(row[field])) if other["Id"] != row["Id"]]
            if clash:
                raise SfError(
                    400,
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {field} duplicates value on record with id: {clash[0]['Id']}",
                    (field,),
                )
        self.staged[(sobject.name, row["Id"])] = row
        return row

    def _checked(self, sobject: SObject, values: dict) -> dict:
        checked = {}
        for name, value in values.items():
            if name == "attributes":
                continue
            canonical = sobject.field_named(name)
            lookup = sobject.relationship(name)
            if canonical is None and lookup and isinstance(value, dict):
                checked[lookup] = self._parent_by_external_id(sobject.fields[lookup], value)
                continue
            if canonical is None:
                raise SfError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject.name}", (name,)
                )
            spec = sobject.fields[canonical]
            if not spec.writable:
                raise SfError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {canonical}. "
                    "Please check the security settings of this field and verify that it is read/write for "
                    "your profile or permission set.",
                    (canonical,),
                )
            checked[canonical] = None if value in (None, "") else self._value(canonical, spec, value)
        return checked

    def _value(self, name: str, spec: Field, value):
        if spec.type == "string":
            text = value if isinstance(value, str) else str(value)
            if spec.length and len(text) > spec.length:
                raise SfError(
                    400,
                    "STRING_TOO_LONG",
                    f"{name}: data value too large: {text[:40]} (max length={spec.length})",
                    (name,),
                )
            return text
        if spec.type == "reference":
            return self._parent(name, spec, value)
        try:
            if spec.type in NUMERIC and not isinstance(value, bool):
                return int(value) if spec.type == "int" else float(value)
            if spec.type == "boolean" and (isinstance(value, bool) or str(value).lower() in ("true", "false")):
                return value if isinstance(value, bool) else value.lower() == "true"
            if spec.type == "date" and isinstance(value, str):
                return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
        raise SfError(
            400,
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {spec.type} from value {value!r} "
            "or request may be missing a required field",
            (name,),
        )

    def _parent(self, name: str, spec: Field, value) -> str:
        parent = self.objects[spec.reference_to]
        parent_id = full_id(str(value))
        if not parent_id.startswith(parent.prefix) or len(parent_id) != 18:
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", f"{name}: id value of incorrect type: {value}", (name,))
        row = self.get(parent, parent_id, include_deleted=True)
        if row is None:
            # Guess: a well-formed id of the right object that names no record.
            raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", (name,))
        if row["IsDeleted"]:
            raise SfError(400, "ENTITY_IS_DELETED", "entity is deleted", (name,))
        return parent_id

    def _parent_by_external_id(self, spec: Field, reference: dict) -> str:
        """`"Account": {"ERP_Account_Number__c": "A-1"}` sets AccountId to the Account holding that value."""
        parent = self.objects[spec.reference_to]
        keys = [key for key in reference if key != "attributes"]
        field = parent.field_named(keys[0]) if len(keys) == 1 else None
        if field is None or field not in parent.external_ids():
            raise SfError(
                400,
                "INVALID_FIELD",
                f"More than 1 field provided in an external foreign key reference in entity: {parent.name}"
                if len(keys) > 1
                else f"Invalid field for upsert, must be an External Id custom or standard indexed field: "
                f"{keys[0] if keys else ''}",
            )
        matches = self.find(parent, field, str(reference[keys[0]]))
        if len(matches) != 1:
            # Guess: the wording of the no-match / several-matches errors for a foreign key external id.
            problem = "not found" if not matches else "matched more than one record"
            raise SfError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID: {reference[keys[0]]} {problem} for field {field} in entity {parent.name}",
            )
        return matches[0]["Id"]
