"""Purchase order contracts of a project and their schedule of values (crm_targets.md §3.7; SDK docs
PurchaseOrderContract, LineItem and their answers): list, show, create (201), update, delete, sync; line items
list, create, update, delete, sync. `vendor_id` must be a vendor of the company, `number` is unique in the project
(the next free integer when absent), `status` one of the purchase-order statuses, `origin_id` unique in the project
(line items: in the contract). A line item's `cost_code_id` must be a live cost code of the project; its amount
agrees with quantity × unit cost. The amounts of a contract (grand total, change orders, invoiced) are computed
from its line items, change orders and requisitions when it is read, as Procore does."""

from decimal import Decimal

from ml_connector_dagster.sandbox.procore.company import Actor, Company, unknown_fields
from ml_connector_dagster.sandbox.procore.cost_codes import CostCodes
from ml_connector_dagster.sandbox.procore.errors import Invalid
from ml_connector_dagster.sandbox.procore.sync import check_unique_origin
from ml_connector_dagster.sandbox.procore.values import Checks, as_ints, as_texts, decimal_of, money

KIND = "contracts"
RESOURCE = "Purchase Order Contracts"
LINE_KIND = "line_items"
LINE_RESOURCE = "Purchase Order Contract Line Items"
_TEXT = ("title", "number", "payment_terms", "bill_to_address", "ship_to_address", "ship_via", "origin_id",
         "origin_code", "approval_letter_date")  # fmt: skip
_DATES = (
    "contract_date",
    "delivery_date",
    "execution_date",
    "issued_on_date",
    "letter_of_intent_date",
    "returned_date",
)
_ID_LISTS = ("invoice_contact_user_ids", "drawing_revision_ids", "file_version_ids", "form_ids", "image_ids")
FIELDS = frozenset((*_TEXT, *_DATES, *_ID_LISTS, "description", "origin_data", "status", "executed", "private",
                    "vendor_id", "assignee_id", "accounting_method", "retainage_percent", "upload_ids"))  # fmt: skip
LINE_FIELDS = frozenset(("amount", "cost_code_id", "description", "extended_type", "quantity", "line_item_type_id",
                         "origin_data", "origin_id", "tax_code_id", "unit_cost", "uom", "wbs_code_id"))  # fmt: skip
_LINE_IDS = ("cost_code_id", "line_item_type_id", "tax_code_id", "wbs_code_id")
# Guess: statuses a contract never leaves, when the configured statuses include them (subcontract-style lists).
_FINAL = ("void", "terminated")
INVOICED = ("approved", "approved_as_noted")  # requisition statuses that count as invoiced


class Contracts:
    def __init__(self, company: Company, project: dict, actor: Actor):
        self.company = company
        self.project = project
        self.actor = actor

    def find(self, row_id) -> dict | None:
        row = self.company.store.get(KIND, row_id)
        if row is None or row["project_id"] != self.project["id"] or row.get("deleted_at"):
            return None
        return row

    def find_origin(self, origin_id: str) -> dict | None:
        return next((r for r in self._live() if r.get("origin_id") == origin_id), None)

    def create(self, values: dict) -> dict:
        values = self._checked(values, None)
        row = {
            "id": self.company.store.new_id(KIND),
            "project_id": self.project["id"],
            "status": "draft",
            "executed": False,
            "private": False,
            "accounting_method": "amount",
            "deleted_at": None,
            "created_by_id": self.actor.user_id,
            **values,
        }
        row.setdefault("number", self._next_number())
        return self.render(self.company.save(KIND, RESOURCE, row, None, self.actor))

    def update(self, row: dict, values: dict) -> dict:
        changed = {**row, **self._checked(values, row)}
        return self.render(self.company.save(KIND, RESOURCE, changed, row, self.actor))

    def delete(self, row: dict) -> None:
        if self._requisitions(row) or self._change_orders(row):
            # Guess: a commitment with invoices or change orders cannot be deleted.
            raise Invalid({"base": ["cannot be deleted while it has requisitions or change orders"]})
        self.company.delete(KIND, RESOURCE, row, self.actor, soft=True)

    def _live(self) -> list[dict]:
        return [r for r in self.company.rows(KIND, self.project["id"]) if not r.get("deleted_at")]

    def _next_number(self) -> str:
        # Guess: Procore numbers a project's commitments 1, 2, 3... when the caller sends no number.
        taken = {r.get("number") for r in self._live()}
        n = 1
        while str(n) in taken:
            n += 1
        return str(n)

    def _checked(self, values: dict, old: dict | None) -> dict:
        settings = self.company.settings()
        if settings.refuse_unknown_fields and (unknown := unknown_fields(values, FIELDS)):
            raise Invalid(unknown, 406)
        values = as_texts({k: v for k, v in values.items() if k in FIELDS}, (*_TEXT, "description", "origin_data"))
        checks = Checks()
        for name in _TEXT:
            checks.text(values, name)
        checks.text(values, "description", maximum=10**6)
        checks.text(values, "origin_data", maximum=10**6)
        for name in _DATES:
            checks.day(values, name)
        for name in ("executed", "private"):
            checks.boolean(values, name)
        for name in ("vendor_id", "assignee_id"):
            checks.integer(values, name)
        checks.choice(values, "accounting_method", ("amount", "unit"))
        checks.number(values, "retainage_percent")
        percent = decimal_of(values.get("retainage_percent"))
        if percent is not None and not Decimal(0) <= percent <= Decimal(100):
            checks.add("retainage_percent", "must be between 0 and 100")
        if values.get("vendor_id") is not None and "vendor_id" not in checks.errors:
            vendor = self.company.store.get("vendors", values["vendor_id"])
            if vendor is None or vendor["company_id"] != self.company.id:
                checks.add("vendor_id", "must be a vendor in the company directory")
        if "number" in values and values["number"] in (None, ""):
            checks.add("number", "can't be blank")
        elif values.get("number") and any(
            r.get("number") == values["number"] and r["id"] != (old or {}).get("id") for r in self._live()
        ):
            checks.add("number", "has already been taken")
        if "status" in values:
            self._check_status(checks, values["status"], old, settings.purchase_order_statuses)
        if old and "accounting_method" in values and values["accounting_method"] != old["accounting_method"]:
            if self.lines(old):
                checks.add("accounting_method", "cannot change once the contract has line items")
        check_unique_origin(checks, values, self._live(), old["id"] if old else None)
        if checks.errors:
            raise Invalid(checks.errors)
        return as_ints(values, ("vendor_id", "assignee_id"))

    def _check_status(self, checks: Checks, status, old: dict | None, statuses: list[str]) -> None:
        if status not in statuses:
            checks.add("status", "is not included in the list")
            return
        if old is None or old["status"] == status:
            return
        # Guesses, marked: the transitions Procore refuses with 422.
        if old["status"] in _FINAL:
            checks.add("status", f"cannot change once the contract is {old['status']}")
        elif status == "draft" and (self._requisitions(old) or approved_only(self._change_orders(old))):
            checks.add("status", "cannot return to draft once the contract has requisitions or approved change orders")
        elif old["status"] == "closed" and status != "approved":
            checks.add("status", "a closed contract can only be reopened as approved")

    def lines(self, contract: dict) -> list[dict]:
        return sorted(
            (r for r in self.company.rows(LINE_KIND, self.project["id"]) if r["contract_id"] == contract["id"]),
            key=lambda r: r["position"],
        )

    def _requisitions(self, contract: dict) -> list[dict]:
        return [
            r for r in self.company.rows("requisitions", self.project["id"]) if r["commitment_id"] == contract["id"]
        ]

    def _change_orders(self, contract: dict) -> list[dict]:
        rows = self.company.rows("change_orders", self.project["id"])
        return [r for r in rows if r["contract_id"] == contract["id"]]

    def render(self, row: dict, *, with_lines: bool = True) -> dict:
        lines = self.lines(row)
        grand_total = sum((Decimal(r["amount"]) for r in lines), Decimal(0))
        change_orders = self._change_orders(row)
        approved = change_order_total(approved_only(change_orders))
        pending = change_order_total(c for c in change_orders if c["status"] == "pending")
        drafts = change_order_total(c for c in change_orders if c["status"] == "draft")
        invoiced = sum(
            (Decimal(i["work_completed_this_period"]) for r in self._requisitions(row) if r["status"] in INVOICED
             for i in r["items"]),
            Decimal(0),
        )  # fmt: skip
        vendor = self.company.store.get("vendors", row["vendor_id"]) if row.get("vendor_id") else None
        rendered = {
            "id": row["id"],
            "accounting_method": row["accounting_method"],
            "approval_letter_date": row.get("approval_letter_date"),
            "approved_change_orders": money(approved),
            "assignee": {"id": row["assignee_id"]} if row.get("assignee_id") else None,
            "bill_to_address": row.get("bill_to_address"),
            "billing_schedule_of_values_status": "draft",
            "contract_date": row.get("contract_date"),
            "created_at": row["created_at"],
            "created_by_id": row["created_by_id"],
            "deleted_at": row.get("deleted_at"),
            "delivery_date": row.get("delivery_date"),
            "description": row.get("description"),
            "draft_change_orders_amount": money(drafts),
            "executed": row["executed"],
            "execution_date": row.get("execution_date"),
            "grand_total": money(grand_total),
            "issued_on_date": row.get("issued_on_date"),
            "letter_of_intent_date": row.get("letter_of_intent_date"),
            "number": row["number"],
            "origin_code": row.get("origin_code"),
            "origin_data": row.get("origin_data"),
            "origin_id": row.get("origin_id"),
            "payment_terms": row.get("payment_terms"),
            "pending_change_orders": money(pending),
            "pending_revised_contract": money(grand_total + approved + pending),
            "percentage_paid": "0.0",
            "private": row["private"],
            "project": {"id": self.project["id"], "name": self.project["name"]},
            "remaining_balance_outstanding": money(grand_total + approved - invoiced),
            "requisitions_are_enabled": True,
            "retainage_percent": row.get("retainage_percent"),
            "returned_date": row.get("returned_date"),
            "revised_contract": money(grand_total + approved),
            "ship_to_address": row.get("ship_to_address"),
            "ship_via": row.get("ship_via"),
            "show_line_items_to_non_admins": False,
            "signed_contract_received_date": None,
            "status": row["status"],
            "title": row.get("title"),
            "total_draw_requests_amount": "0.0",
            "total_payments": "0.0",
            "total_requisitions_amount": money(invoiced),
            "updated_at": row["updated_at"],
            "vendor": {"id": vendor["id"], "company": vendor.get("name")} if vendor else None,
            "currency_configuration": {"currency_iso_code": "USD"},
        }
        if with_lines:
            items = LineItems(self.company, self.project, row, self.actor)
            rendered |= {"line_items": [items.render(r) for r in lines], "change_order_packages": [], "attachments": []}
        return rendered


class LineItems:
    """The schedule of values of one contract."""

    def __init__(self, company: Company, project: dict, contract: dict, actor: Actor):
        self.company = company
        self.project = project
        self.contract = contract
        self.actor = actor
        self.cost_codes = CostCodes(company, project, actor)

    def find(self, row_id) -> dict | None:
        row = self.company.store.get(LINE_KIND, row_id)
        return row if row and row["contract_id"] == self.contract["id"] else None

    def find_origin(self, origin_id: str) -> dict | None:
        return next((r for r in self._rows() if r.get("origin_id") == origin_id), None)

    def create(self, values: dict) -> dict:
        values = self._checked(values, None)
        position = max((r["position"] for r in self._rows()), default=0) + 1
        row = {
            "id": self.company.store.new_id(LINE_KIND),
            "project_id": self.project["id"],
            "contract_id": self.contract["id"],
            "position": position,
            "extended_type": "manual",
            **values,
        }
        return self.render(self.company.save(LINE_KIND, LINE_RESOURCE, row, None, self.actor, self._related()))

    def update(self, row: dict, values: dict) -> dict:
        changed = {**row, **self._checked(values, row)}
        return self.render(self.company.save(LINE_KIND, LINE_RESOURCE, changed, row, self.actor, self._related()))

    def delete(self, row: dict) -> None:
        self._check_open()
        self.company.delete(LINE_KIND, LINE_RESOURCE, row, self.actor, soft=False, related=self._related())

    def _rows(self) -> list[dict]:
        return [r for r in self.company.rows(LINE_KIND, self.project["id"]) if r["contract_id"] == self.contract["id"]]

    def _related(self) -> tuple:
        return (("Purchase Order Contracts", self.contract["id"]),)

    def _check_open(self) -> None:
        if self.contract["status"] in self.company.settings().line_items_locked_statuses:
            # Guess: the wording; an approved commitment changes through change orders.
            raise Invalid({"base": [f"Line items cannot be changed while the contract is {self.contract['status']}"]})

    def _checked(self, values: dict, old: dict | None) -> dict:
        if self.company.settings().refuse_unknown_fields and (unknown := unknown_fields(values, LINE_FIELDS)):
            raise Invalid(unknown, 406)
        self._check_open()
        values = as_texts(
            {k: v for k, v in values.items() if k in LINE_FIELDS}, ("uom", "origin_id", "description", "origin_data")
        )
        checks = Checks()
        for name in _LINE_IDS:
            checks.integer(values, name)
        for name in ("amount", "quantity", "unit_cost"):
            checks.number(values, name)
        checks.text(values, "uom")
        checks.text(values, "origin_id")
        checks.text(values, "description", maximum=10**6)
        checks.text(values, "origin_data", maximum=10**6)
        checks.choice(values, "extended_type", ("manual", "calculated"))
        if old is None and values.get("cost_code_id") is None:
            # Guess: a schedule-of-values line needs a cost code (the project's budget is kept by cost code).
            checks.add("cost_code_id", "can't be blank")
        elif values.get("cost_code_id") is not None and "cost_code_id" not in checks.errors:
            if self.cost_codes.find(values["cost_code_id"]) is None:
                checks.add("cost_code_id", "must be a cost code of the project")
        if not checks.errors:
            self._check_amounts(checks, values, old)
        check_unique_origin(checks, values, self._rows(), old["id"] if old else None)
        if checks.errors:
            raise Invalid(checks.errors)
        values = as_ints(values, _LINE_IDS)
        return {k: money(decimal_of(v)) if k in ("amount", "quantity", "unit_cost") else v for k, v in values.items()}

    def _check_amounts(self, checks: Checks, values: dict, old: dict | None) -> None:
        """Amount-based contracts need an amount; unit-based ones a quantity and unit cost, the amount following.
        Given all three, they must agree to the cent (guess: Procore's rounding)."""
        merged = {**(old or {}), **values}
        amount, quantity, unit_cost = (decimal_of(merged.get(n)) for n in ("amount", "quantity", "unit_cost"))
        if self.contract["accounting_method"] == "unit":
            for name, value in (("quantity", quantity), ("unit_cost", unit_cost)):
                if value is None:
                    checks.add(name, "can't be blank")
            if quantity is not None and unit_cost is not None and "amount" not in values:
                values["amount"] = quantity * unit_cost
                amount = values["amount"]
        elif amount is None:
            checks.add("amount", "can't be blank")
        if None not in (amount, quantity, unit_cost) and abs(quantity * unit_cost - amount) >= Decimal("0.01"):
            checks.add("amount", "must equal quantity multiplied by unit cost")

    def render(self, row: dict) -> dict:
        cost_code = self.cost_codes.find(row["cost_code_id"], deleted=True) if row.get("cost_code_id") else None
        return {
            "id": row["id"],
            "amount": row.get("amount"),
            "company": {"id": self.company.id, "name": self.company.name},
            "cost_code": self.cost_codes.compact(cost_code) if cost_code else None,
            "created_at": row["created_at"],
            "description": row.get("description"),
            "extended_type": row.get("extended_type"),
            "holder": {"id": self.contract["id"], "holder_type": "PurchaseOrderContract"},
            "line_item_type": None,
            "origin_data": row.get("origin_data"),
            "origin_id": row.get("origin_id"),
            "position": row["position"],
            "project": {"id": self.project["id"], "name": self.project["name"]},
            "quantity": row.get("quantity"),
            "tax_code_id": row.get("tax_code_id"),
            "total_amount": row.get("amount"),
            "extended_amount": row.get("amount"),
            "unit_cost": row.get("unit_cost"),
            "uom": row.get("uom"),
            "wbs_code": None,
            "updated_at": row["updated_at"],
            "change_event_line_item": None,
            "currency_configuration": {"currency_iso_code": "USD"},
        }


def approved_only(change_orders) -> list[dict]:
    return [c for c in change_orders if c["status"] == "approved"]


def change_order_total(change_orders) -> Decimal:
    return sum((Decimal(i["amount"]) for c in change_orders for i in c["line_items"]), Decimal(0))
