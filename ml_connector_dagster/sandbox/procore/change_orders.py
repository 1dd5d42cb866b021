"""Commitment change orders on a purchase order contract (crm_targets.md §3.9; SDK docs
RestV10ProjectsProjectIdCommitmentChangeOrdersPost201Response). The API reads them; a Procore user creates, edits,
approves or voids them (the admin surface). Each carries its line items `{id, cost_code_id, amount, description}`
(the contract's shape; Procore's v1.0 answer leaves them to the v2.0 line-items endpoint), `grand_total` their sum.
Approving one stamps `reviewed_at` and its reviewer."""

from decimal import Decimal

from ml_connector_dagster.sandbox.procore.company import Actor, Company, unknown_fields
from ml_connector_dagster.sandbox.procore.contracts import Contracts
from ml_connector_dagster.sandbox.procore.cost_codes import CostCodes
from ml_connector_dagster.sandbox.procore.errors import Invalid
from ml_connector_dagster.sandbox.procore.values import Checks, decimal_of, money

KIND = "change_orders"
RESOURCE = "Commitment Change Orders"
# The statuses of Procore's filters[status] enum for commitment change orders.
STATUSES = ("draft", "pricing", "not_pricing", "pending", "revised", "proceeding", "not_proceeding", "pending_billable",
            "no_charge", "approved", "rejected", "void")  # fmt: skip
_EDITABLE = frozenset(("title", "description", "status", "due_date", "executed", "private", "origin_id", "line_items"))
_CLOSED_CONTRACT = ("draft", "void", "terminated")  # Guess: a contract that cannot take change orders.


class ChangeOrders:
    def __init__(self, company: Company, project: dict, actor: Actor):
        self.company = company
        self.project = project
        self.actor = actor
        self.cost_codes = CostCodes(company, project, actor)

    def find(self, row_id) -> dict | None:
        row = self.company.store.get(KIND, row_id)
        return row if row and row["project_id"] == self.project["id"] else None

    def create(self, contract_id, values: dict) -> dict:
        contract = Contracts(self.company, self.project, self.actor).find(contract_id)
        if contract is None:
            raise Invalid({"contract_id": ["must be a purchase order contract of the project"]})
        if contract["status"] in _CLOSED_CONTRACT:
            raise Invalid({"contract_id": [f"cannot take change orders while the contract is {contract['status']}"]})
        values = {"status": "draft", "executed": False, "private": False, "line_items": [], **values}
        if not values.get("title"):
            raise Invalid({"title": ["can't be blank"]})
        taken = [r for r in self.company.rows(KIND, self.project["id"]) if r["contract_id"] == contract["id"]]
        row = {
            "id": self.company.store.new_id(KIND),
            "project_id": self.project["id"],
            "contract_id": contract["id"],
            "number": f"{len(taken) + 1:03d}",
            "revision": 0,
            "created_by": self.actor.user_id,
            "reviewed_at": None,
            "reviewed_by": None,
            **self._checked(values, []),
        }
        return self.render(self.company.save(KIND, RESOURCE, self._reviewed(row, None), None, self.actor))

    def update(self, row: dict, values: dict) -> dict:
        changed = self._reviewed({**row, **self._checked(values, row["line_items"])}, row)
        return self.render(self.company.save(KIND, RESOURCE, changed, row, self.actor))

    def delete(self, row: dict) -> None:
        if row["status"] == "approved":
            # Guess: an approved change order is voided, not deleted.
            raise Invalid({"base": ["an approved change order cannot be deleted"]})
        self.company.delete(KIND, RESOURCE, row, self.actor, soft=False)

    def _checked(self, values: dict, old_items: list[dict]) -> dict:
        if unknown := unknown_fields(values, _EDITABLE):
            raise Invalid(unknown)
        checks = Checks()
        checks.text(values, "title", required="title" in values)
        checks.text(values, "description", maximum=10**6)
        checks.text(values, "origin_id")
        checks.choice(values, "status", STATUSES)
        checks.day(values, "due_date")
        checks.boolean(values, "executed")
        checks.boolean(values, "private")
        items = values.get("line_items")
        if items is not None and not isinstance(items, list):
            checks.add("line_items", "is invalid")
        for n, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                checks.add(f"line_items[{n}]", "is invalid")
                continue
            if item.get("cost_code_id") is None or self.cost_codes.find(item["cost_code_id"]) is None:
                checks.add(f"line_items[{n}].cost_code_id", "must be a cost code of the project")
            if decimal_of(item.get("amount")) is None:
                checks.add(f"line_items[{n}].amount", "is not a number")
        if checks.errors:
            raise Invalid(checks.errors)
        if items is not None:
            values = {**values, "line_items": [self._item(item, old_items) for item in items]}
        return values

    def _item(self, item: dict, old_items: list[dict]) -> dict:
        """A line as given; one naming the `id` of an existing line keeps that id."""
        kept = next((old["id"] for old in old_items if item.get("id") is not None and old["id"] == item["id"]), None)
        return {
            "id": kept or self.company.store.new_id("change_order_items"),
            "cost_code_id": int(item["cost_code_id"]),
            "amount": money(decimal_of(item["amount"])),
            "description": item.get("description"),
        }

    def _reviewed(self, row: dict, old: dict | None) -> dict:
        if row["status"] == "approved" and (old is None or old["status"] != "approved"):
            return {**row, "reviewed_at": self.company.now(), "reviewed_by": self.actor.user_id}
        return row

    def render(self, row: dict) -> dict:
        users = self.company.actors()
        creator, reviewer = users.get(row["created_by"]), users.get(row.get("reviewed_by"))
        return {
            "attachments": [],
            "id": row["id"],
            "batch_id": None,
            "contract_id": row["contract_id"],
            "legacy_package_id": None,
            "legacy_request_id": None,
            "location_id": None,
            "description": row.get("description"),
            "title": row["title"],
            "invoiced_date": None,
            "due_date": row.get("due_date"),
            "revised_substantial_completion_date": None,
            "signed_change_order_received_date": None,
            "updated_at": row["updated_at"],
            "created_at": row["created_at"],
            "reviewed_at": row.get("reviewed_at"),
            "executed": row["executed"],
            "paid": False,
            "signature_required": False,
            "private": row["private"],
            "field_change": False,
            "grand_total": money(sum((Decimal(i["amount"]) for i in row["line_items"]), Decimal(0))),
            "schedule_impact_amount": None,
            "number": row["number"],
            "type": "PurchaseOrderContract",
            "revision": row["revision"],
            "status": row["status"],
            "reference": None,
            "origin_id": row.get("origin_id"),
            "created_by": _person(creator),
            "designated_reviewer": None,
            "received_from": None,
            "reviewed_by": _person(reviewer),
            "change_order_change_reason": None,
            "currency_configuration": {"currency_iso_code": "USD"},
            "line_items": [dict(item) for item in row["line_items"]],
        }


def _person(actor: Actor | None) -> dict | None:
    return {"id": actor.user_id, "login": actor.login, "name": actor.name} if actor else None
