"""Requisitions (subcontractor invoices) against a purchase order contract (crm_targets.md §3.9; SDK docs
RestV10RequisitionsGet200ResponseInner and RestV10RequisitionsRequisitionIdDetailGet200ResponseInner). The API reads
them (`GET /requisitions`, `/requisitions/{id}`, `/requisitions/{id}/detail`); a Procore user enters and approves
them (the admin surface). A requisition has one item per line of the contract's schedule of values, carrying the
line's cost code and the work completed this period; the header's `summary` and each detail line's totals are
computed from the contract, its approved change orders and the earlier requisitions, as on the G702/G703 forms."""

import calendar
from datetime import date
from decimal import Decimal

from ml_connector_dagster.sandbox.procore.company import Actor, Company, unknown_fields
from ml_connector_dagster.sandbox.procore.contracts import Contracts, approved_only, change_order_total
from ml_connector_dagster.sandbox.procore.errors import Invalid
from ml_connector_dagster.sandbox.procore.values import Checks, decimal_of, money

KIND = "requisitions"
RESOURCE = "Requisitions"
STATUSES = ("draft", "under_review", "revise_and_resubmit", "approved", "approved_as_noted", "pending_owner_approval")
# Guess: the contract statuses under which a subcontractor can invoice (an approved commitment onwards).
INVOICEABLE = ("approved", "partially_received", "received", "closed")
_EDITABLE = frozenset(("status", "invoice_number", "billing_date", "comment", "final", "origin_id", "origin_data",
                       "payment_date", "items"))  # fmt: skip
_ZERO = Decimal(0)


class Requisitions:
    def __init__(self, company: Company, project: dict, actor: Actor):
        self.company = company
        self.project = project
        self.actor = actor
        self.contracts = Contracts(company, project, actor)

    def find(self, row_id) -> dict | None:
        row = self.company.store.get(KIND, row_id)
        return row if row and row["project_id"] == self.project["id"] else None

    def create(self, commitment_id, values: dict) -> dict:
        contract = self.contracts.find(commitment_id)
        if contract is None:
            raise Invalid({"commitment_id": ["must be a purchase order contract of the project"]})
        if contract["status"] not in INVOICEABLE:
            raise Invalid({"commitment_id": [f"cannot be invoiced while the contract is {contract['status']}"]})
        lines = self.contracts.lines(contract)
        if not lines:
            raise Invalid({"commitment_id": ["has no schedule of values to invoice"]})
        values = {"status": "draft", "billing_date": self.company.clock.now().date().isoformat(), **values}
        self._check(values)
        changes = values.pop("items", [])
        billing = date.fromisoformat(values["billing_date"])
        if any(_month(r["billing_date"]) == (billing.year, billing.month) for r in self._of(contract)):
            # Guess: one invoice per contract and billing period (Procore's periods are monthly here).
            raise Invalid({"billing_date": ["a requisition already exists for this contract and billing period"]})
        items = [
            {
                "id": self.company.store.new_id("requisition_items"),
                "line_item_id": line["id"],
                "cost_code_id": line.get("cost_code_id"),
                "description": line.get("description"),
                "scheduled_value": line["amount"],
                "work_completed_this_period": "0.0",
                "materials_presently_stored": "0.0",
            }
            for line in lines
        ]
        row = {
            "id": self.company.store.new_id(KIND),
            "project_id": self.project["id"],
            "commitment_id": contract["id"],
            "number": len(self._of(contract)) + 1,
            "created_by": self.actor.user_id,
            "submitted_at": None,
            "final": False,
            "items": _apply_items(items, changes),
            **values,
        }
        return self.render(self.company.save(KIND, RESOURCE, _stamped(row, None, self.company), None, self.actor))

    def update(self, row: dict, values: dict) -> dict:
        self._check(values)
        changed = {**row, **{k: v for k, v in values.items() if k != "items"}}
        if "items" in values:
            changed["items"] = _apply_items(row["items"], values["items"])
        changed = _stamped(changed, row, self.company)
        return self.render(self.company.save(KIND, RESOURCE, changed, row, self.actor))

    def delete(self, row: dict) -> None:
        contract = self.contracts.find(row["commitment_id"])
        if contract and self._of(contract)[-1]["id"] != row["id"]:
            # Guess: only the latest requisition of a contract can go, as later ones build on it.
            raise Invalid({"base": ["only the most recent requisition of a contract can be deleted"]})
        self.company.delete(KIND, RESOURCE, row, self.actor, soft=False)

    def _check(self, values: dict) -> None:
        if unknown := unknown_fields(values, _EDITABLE):
            raise Invalid(unknown)
        checks = Checks()
        checks.choice(values, "status", STATUSES)
        checks.text(values, "invoice_number")
        checks.text(values, "origin_id")
        checks.text(values, "comment", maximum=10**6)
        checks.day(values, "billing_date")
        checks.day(values, "payment_date")
        checks.boolean(values, "final")
        for n, item in enumerate(values.get("items") or []):
            if not isinstance(item, dict) or not (item.get("line_item_id") or item.get("cost_code_id")):
                checks.add(f"items[{n}]", "needs a line_item_id or a cost_code_id")
            for name in ("work_completed_this_period", "materials_presently_stored"):
                if isinstance(item, dict) and item.get(name) is not None and decimal_of(item[name]) is None:
                    checks.add(f"items[{n}].{name}", "is not a number")
        if checks.errors:
            raise Invalid(checks.errors)

    def _of(self, contract: dict) -> list[dict]:
        rows = self.company.rows(KIND, self.project["id"])
        return sorted((r for r in rows if r["commitment_id"] == contract["id"]), key=lambda r: r["number"])

    def _previous(self, row: dict) -> list[dict]:
        contract = self.company.store.get("contracts", row["commitment_id"])
        return [r for r in self._of(contract) if r["number"] < row["number"]] if contract else []

    def render(self, row: dict) -> dict:
        contract = self.company.store.get("contracts", row["commitment_id"])
        vendor = self.company.store.get("vendors", contract.get("vendor_id")) if contract else None
        lines = self.detail(row)
        this_period = sum((Decimal(i["work_completed_this_period"]) for i in row["items"]), _ZERO)
        stored = sum((Decimal(i["materials_presently_stored"]) for i in row["items"]), _ZERO)
        completed = sum((Decimal(d["total_completed_and_stored_to_date"]) for d in lines), _ZERO)
        percent = Decimal(contract.get("retainage_percent") or 0) if contract else _ZERO
        original = sum((Decimal(d["scheduled_value"]) for d in lines), _ZERO)
        change_orders = [r for r in self.company.rows("change_orders") if r["contract_id"] == row["commitment_id"]]
        net_change = change_order_total(approved_only(change_orders))
        retainage = _cents(completed * percent / 100)
        earned = completed - retainage
        previous = sum((_cents(self._earned(r, percent)) for r in self._previous(row)), _ZERO)
        start, end = _period(row["billing_date"])
        return {
            "id": row["id"],
            "project_id": row["project_id"],
            "electronic_signature_id": None,
            "billing_date": row["billing_date"],
            "commitment_id": row["commitment_id"],
            "commitment_type": "PurchaseOrderContract",
            "contract_name": (contract.get("title") or contract["number"]) if contract else None,
            "created_at": row["created_at"],
            "created_by": self._user(row["created_by"]),
            "updated_at": row["updated_at"],
            "invoice_number": row.get("invoice_number"),
            "origin_data": row.get("origin_data"),
            "origin_id": row.get("origin_id"),
            "payment_date": row.get("payment_date"),
            "period_id": _period_id(self.project["id"], row["billing_date"]),
            "requisition_start": start.isoformat(),
            "requisition_end": end.isoformat(),
            "status": row["status"],
            "erp_status": None,
            "submitted_at": row.get("submitted_at"),
            "comment": row.get("comment"),
            "final": row.get("final", False),
            "number": row["number"],
            "percent_complete": _percent(completed, original + net_change),
            "vendor_name": vendor.get("name") if vendor else None,
            "vendor_id": vendor["id"] if vendor else None,
            "total_claimed_amount": money(this_period + stored),
            "deletable": self._of(contract)[-1]["id"] == row["id"] if contract else True,
            "attachments": [],
            "summary": {
                "balance_to_finish_including_retainage": money(original + net_change - earned),
                "completed_work_retainage_percent": money(percent),
                "completed_work_retainage_amount": money(retainage),
                "contract_sum_to_date": money(original + net_change),
                "current_payment_due": money(earned - previous),
                "formatted_period": f"{start:%d/%m/%y} - {end:%d/%m/%y}",
                "less_previous_certificates_for_payment": money(previous),
                "net_change_by_change_orders": money(net_change),
                "original_contract_sum": money(original),
                "stored_materials_retainage_amount": "0.0",
                "stored_materials_retainage_percent": money(percent),
                "tax_applicable_to_this_payment": "0.0",
                "total_completed_and_stored_to_date": money(completed),
                "total_earned_less_retainage": money(earned),
                "total_retainage": money(retainage),
            },
        }

    def _earned(self, row: dict, percent: Decimal) -> Decimal:
        completed = sum((Decimal(d["total_completed_and_stored_to_date"]) for d in self.detail(row)), _ZERO)
        return completed - _cents(completed * percent / 100)

    def detail(self, row: dict) -> list[dict]:
        """The G703 lines of a requisition: one per schedule-of-values line, with this period's work."""
        contract = self.company.store.get("contracts", row["commitment_id"])
        percent = Decimal(contract.get("retainage_percent") or 0) if contract else _ZERO
        earlier = [i for r in self._previous(row) for i in r["items"]]
        lines = []
        for position, item in enumerate(row["items"], start=1):
            same_line = (i for i in earlier if i["line_item_id"] == item["line_item_id"])
            before = sum((Decimal(i["work_completed_this_period"]) for i in same_line), _ZERO)
            now, stored = Decimal(item["work_completed_this_period"]), Decimal(item["materials_presently_stored"])
            scheduled = Decimal(item["scheduled_value"])
            to_date = before + now + stored
            lines.append(
                {
                    "id": item["id"],
                    "item_type": "contract_item",
                    "item_number": position,
                    "description_of_work": item.get("description"),
                    "cost_code_id": item.get("cost_code_id"),
                    "scheduled_value": money(scheduled),
                    "work_completed_from_previous_application": money(before),
                    "work_completed_this_period": money(now),
                    "materials_presently_stored": money(stored),
                    "total_completed_and_stored_to_date": money(to_date),
                    "total_completed_and_stored_to_date_percent": _percent(to_date, scheduled),
                    "balance_to_finish": money(scheduled - to_date),
                    "scheduled_quantity": None,
                    "scheduled_unit_price": None,
                    "work_completed_this_period_quantity": None,
                    "work_completed_retainage_percent_this_period": money(percent),
                    "work_completed_retainage_retained_this_period": money(_cents(now * percent / 100)),
                    "work_completed_retainage_from_previous_application": money(_cents(before * percent / 100)),
                    "work_completed_retainage_released_this_period": "0.0",
                    "work_completed_retainage_currently_retained": money(_cents((before + now) * percent / 100)),
                    "materials_stored_retainage_currently_retained": "0.0",
                    "total_retainage_currently_retained": money(_cents((before + now) * percent / 100)),
                }
            )
        return lines

    def _user(self, user_id: int) -> dict:
        actor = self.company.actors().get(user_id)
        return actor.rendered(self.company.name) if actor else {"id": user_id}


def _apply_items(items: list[dict], changes: list[dict]) -> list[dict]:
    """The items with this period's amounts set, each change naming its line by line_item_id or cost_code_id."""
    items = [dict(i) for i in items]
    for change in changes:
        key = "line_item_id" if change.get("line_item_id") else "cost_code_id"
        target = next((i for i in items if str(i[key]) == str(change[key])), None)
        if target is None:
            raise Invalid({"items": [f"no line of the contract matches {change}"]})
        for name in ("work_completed_this_period", "materials_presently_stored"):
            if change.get(name) is not None:
                target[name] = money(decimal_of(change[name]))
    return items


def _stamped(row: dict, old: dict | None, company: Company) -> dict:
    """Submitting for review stamps `submitted_at`, as the UI's Submit does."""
    if row["status"] != "draft" and (old is None or old["status"] == "draft") and not row.get("submitted_at"):
        return {**row, "submitted_at": company.clock.now().date().isoformat()}
    return row


def _month(day: str) -> tuple[int, int]:
    parsed = date.fromisoformat(day)
    return parsed.year, parsed.month


def _period(day: str) -> tuple[date, date]:
    year, month = _month(day)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _period_id(project_id: int, day: str) -> int:
    # Guess: one billing period per project and month, numbered so the same month always has the same id.
    year, month = _month(day)
    return project_id * 1_000_000 + year * 100 + month


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _percent(part: Decimal, whole: Decimal) -> str:
    return money(_cents(part * 100 / whole)) if whole else "0.0"
