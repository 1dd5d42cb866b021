"""The sandbox's project team in Procore, for the demo and the tests of the Oracle EBS ↔ Procore pair. Everything
goes through the emulator's validated admin path as a Procore user would (webhooks fire):

- `bill_and_change`: on the first approved purchase order contract the connector made in each of two projects, a
  subcontractor bills this period's work on every line (a requisition, submitted then approved), and a commitment
  change order adds work on the contract's first cost code (approved).

Done once per project: called again, it changes nothing and answers the same summary."""

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml_connector_dagster.sandbox.procore.emulator import ProcoreEmulator

TITLE = "Added scope (sandbox project team)"


def bill_and_change(emulator: "ProcoreEmulator", *, projects: int = 2) -> dict:
    """The requisitions and change orders entered: {"requisitions": [(project, id)], "change_orders": [...]}."""
    done: dict[str, list[tuple[int, int]]] = {"requisitions": [], "change_orders": []}
    contracts = [
        c for c in emulator.state("purchase_order_contracts") if c["status"] == "approved" and c.get("origin_id")
    ]
    by_project: dict[int, dict] = {}
    for contract in sorted(contracts, key=lambda c: c["id"]):
        by_project.setdefault(contract["project"]["id"] if "project" in contract else contract["project_id"], contract)
    for project, contract in sorted(by_project.items())[:projects]:
        lines = [line for line in emulator.state("line_items", project) if line["holder"]["id"] == contract["id"]]
        lines = [line for line in lines if Decimal(str(line["amount"])) > 0]
        if not lines:
            continue
        requisitions = [r for r in emulator.state("requisitions", project) if r["commitment_id"] == contract["id"]]
        if requisitions:
            done["requisitions"].append((project, requisitions[0]["id"]))
        else:
            items = [
                {
                    "line_item_id": line["id"],
                    "work_completed_this_period": str(
                        (Decimal(str(line["amount"])) * Decimal("0.4")).quantize(Decimal("0.01"))
                    ),
                }
                for line in lines
            ]
            made = emulator.create_requisition(
                project, contract["id"], items=items, invoice_number=f"INV-{contract['id']}"
            )
            emulator.edit_requisition(project, made["id"], {"status": "under_review"})
            emulator.edit_requisition(project, made["id"], {"status": "approved"})
            done["requisitions"].append((project, made["id"]))
        orders = [o for o in emulator.state("commitment_change_orders", project) if o["title"] == TITLE]
        if orders:
            done["change_orders"].append((project, orders[0]["id"]))
        else:
            order = emulator.create_change_order(
                project,
                contract["id"],
                TITLE,
                line_items=[{"cost_code_id": lines[0]["cost_code"]["id"], "amount": "2500.00", "description": TITLE}],
            )
            emulator.edit_change_order(project, order["id"], {"status": "approved"})
            done["change_orders"].append((project, order["id"]))
    return done
