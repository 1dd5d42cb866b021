"""Project cost codes (crm_targets.md §3.8; SDK docs CostCode1 for the body, Extended for the answer): divisions have
no parent, codes sit under a division (or under another code), `full_code` joins the codes of the path with `-`
(`01-5100`), `code` is unique among its siblings, `origin_id` unique in the project. Deleting sets `deleted_at`;
a deleted code is listed only with `filters[include_deleted]`. List, show, create (201), update, sync."""

from ml_connector_dagster.sandbox.procore.company import Actor, Company, unknown_fields
from ml_connector_dagster.sandbox.procore.errors import Invalid
from ml_connector_dagster.sandbox.procore.sync import check_unique_origin
from ml_connector_dagster.sandbox.procore.values import Checks, as_ints, as_texts

KIND = "cost_codes"
RESOURCE = "Cost Codes"
FIELDS = frozenset(("position", "code", "name", "origin_data", "origin_id", "parent_id", "standard_cost_code_id"))
_CODE_LENGTH = 50  # Guess: the longest segment code.


class CostCodes:
    def __init__(self, company: Company, project: dict, actor: Actor):
        self.company = company
        self.project = project
        self.actor = actor

    def find(self, row_id, *, deleted: bool = False) -> dict | None:
        row = self.company.store.get(KIND, row_id)
        if row is None or row["project_id"] != self.project["id"] or (row.get("deleted_at") and not deleted):
            return None
        return row

    def find_origin(self, origin_id: str) -> dict | None:
        return next((r for r in self._live() if r.get("origin_id") == origin_id), None)

    def create(self, values: dict) -> dict:
        values = self._checked(values, None)
        row = {"id": self.company.store.new_id(KIND), "project_id": self.project["id"], "deleted_at": None, **values}
        return self.render(self.company.save(KIND, RESOURCE, row, None, self.actor))

    def update(self, row: dict, values: dict) -> dict:
        changed = {**row, **self._checked(values, row)}
        return self.render(self.company.save(KIND, RESOURCE, changed, row, self.actor))

    def delete(self, row: dict) -> None:
        if any(r.get("parent_id") == row["id"] for r in self._live()):
            # Guess: a code with codes under it cannot go.
            raise Invalid({"base": ["cannot be deleted while it has child cost codes"]})
        self.company.delete(KIND, RESOURCE, row, self.actor, soft=True)

    def _live(self) -> list[dict]:
        return [r for r in self.company.rows(KIND, self.project["id"]) if not r.get("deleted_at")]

    def _checked(self, values: dict, old: dict | None) -> dict:
        if self.company.settings().refuse_unknown_fields and (unknown := unknown_fields(values, FIELDS)):
            raise Invalid(unknown, 406)
        values = as_texts(
            {k: v for k, v in values.items() if k in FIELDS}, ("code", "name", "origin_id", "origin_data")
        )
        creating = old is None
        checks = Checks()
        checks.text(values, "code", _CODE_LENGTH, required=creating or "code" in values)
        checks.text(values, "name", required=creating or "name" in values)
        checks.text(values, "origin_id")
        checks.text(values, "origin_data", maximum=10**6)
        for name in ("position", "parent_id", "standard_cost_code_id"):
            checks.integer(values, name)
        if checks.errors:
            raise Invalid(checks.errors)
        values = as_ints(values, ("position", "parent_id", "standard_cost_code_id"))
        merged = {**(old or {}), **values}
        if values.get("parent_id") is not None:
            self._check_parent(checks, values["parent_id"], old)
        if "code" not in checks.errors and merged.get("code"):
            own_id = old["id"] if old else None
            siblings = [r for r in self._live() if r.get("parent_id") == merged.get("parent_id") and r["id"] != own_id]
            if any(r["code"] == merged["code"] for r in siblings):
                checks.add("code", "has already been taken")
        check_unique_origin(checks, values, self._live(), old["id"] if old else None)
        if checks.errors:
            raise Invalid(checks.errors)
        return values

    def _check_parent(self, checks: Checks, parent_id: int, old: dict | None) -> None:
        parent = self.find(parent_id)
        if parent is None:
            checks.add("parent_id", "is invalid")
            return
        # A code cannot sit under itself or under one of its own descendants.
        ancestor = parent
        while ancestor is not None:
            if old is not None and ancestor["id"] == old["id"]:
                checks.add("parent_id", "is invalid")
                return
            ancestor = self.find(ancestor["parent_id"]) if ancestor.get("parent_id") else None

    def full_code(self, row: dict) -> str:
        codes = [row["code"]]
        parent = row
        while parent.get("parent_id"):
            parent = self.find(parent["parent_id"], deleted=True)
            if parent is None:
                break
            codes.insert(0, parent["code"])
        return "-".join(codes)

    def render(self, row: dict) -> dict:
        full_code = self.full_code(row)
        return {
            "id": row["id"],
            "biller": self.project["name"],
            "biller_id": self.project["id"],
            "biller_type": "Project",
            "biller_origin_id": self.project.get("origin_id"),
            "budgeted": False,
            "code": row["code"],
            "created_at": row["created_at"],
            "deleted_at": row.get("deleted_at"),
            "full_code": full_code,
            "name": row["name"],
            "origin_data": row.get("origin_data"),
            "origin_id": row.get("origin_id"),
            "parent": {"id": row["parent_id"]} if row.get("parent_id") else None,
            "position": row.get("position"),
            "sortable_code": full_code,
            "standard_cost_code_id": row.get("standard_cost_code_id"),
            "updated_at": row["updated_at"],
            "line_item_types": [],
        }

    def compact(self, row: dict) -> dict:
        """A cost code as a line item carries it."""
        return {
            "id": row["id"],
            "full_code": self.full_code(row),
            "name": row["name"],
            "origin_id": row.get("origin_id"),
        }
