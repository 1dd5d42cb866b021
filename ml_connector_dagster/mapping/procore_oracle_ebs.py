"""Procore → Oracle EBS: approved project costs (requisitions, i.e. subcontractor invoices, and commitment change
orders) as balanced GL journals.

A cost is matched twice before it becomes a journal: its commitment to the EBS purchase order the forward pair made
it from (the ledger's link; a commitment the connector did not make is an unknown PO), and each line's cost code to
the GL combination it was made from (the ledger's link, so a cost code a Procore user added that EBS has no
combination for is unmapped). Both are dead letters with the reason; every later run reads those costs again and
posts them once the link exists.

A journal debits each cost code's combination and credits the accrual account of the same company (mapping rules),
in the purchase order's currency, dated the requisition's billing date (a change order: the day it was approved, as
Procore's `updated_at` says). What is posted is the difference between what the cost amounts to now (nothing while
it is not approved) and what EBS already holds under the cost's references, read back before mapping: the first
approval posts the whole amount, a revision posts the adjustment, an approval withdrawn reverses it, and a cost
whose journals already say what it amounts to posts nothing, whatever the ledger knows (a crash after EBS imported
a journal but before the ledger recorded it). Each journal's reference, `procore.<kind>.<project>.<id>.<n>`, is its
idempotency key: EBS imports no second journal under a reference it holds.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping.common import Excluded, MappingResult, Rejected
from ml_connector_dagster.mapping.oracle_ebs_procore import CENT, Rules, Segments
from ml_connector_dagster.source_rows import read

PAIR = "procore__oracle_ebs"
JOURNALS = "gl_journals"
Kind = Literal["requisition", "change_order"]
POSTING_STATUSES: dict[str, frozenset[str]] = {
    "requisition": frozenset({"approved", "approved_as_noted"}),
    "change_order": frozenset({"approved"}),
}


@dataclass(frozen=True)
class CostLine:
    cost_code_id: int
    amount: Decimal
    description: str | None = None


@dataclass(frozen=True)
class Cost:
    """A requisition or commitment change order as the journal needs it (assets/oracle_ebs/procore.py reads it)."""

    kind: Kind
    id: int
    project_id: int
    number: str | None
    commitment_id: int | None
    status: str
    accounting_date: date
    lines: tuple[CostLine, ...]

    @property
    def key(self) -> str:
        return cost_key(self.kind, self.project_id, self.id)

    def posts(self) -> bool:
        return self.status in POSTING_STATUSES[self.kind]


@dataclass(frozen=True)
class Posted:
    """What EBS holds under one cost's references: the net debit per combination, how many journals, and the
    JE_HEADER_ID of the latest (None while it waits in GL_INTERFACE)."""

    net: Mapping[str, Decimal] = field(default_factory=dict)
    journals: int = 0
    latest: str | None = None


def cost_key(kind: str, project_id: int, cost_id: int) -> str:
    return f"procore.{kind}.{project_id}.{cost_id}"


def parse_key(key: str) -> tuple[str, int, int]:
    _, kind, project, cost_id = key.split(".")
    return kind, int(project), int(cost_id)


def reference_prefix(key: str) -> str:
    """What the references of a cost's journals start with (resources/oracle_ebs/journals.series)."""
    return f"{key}."


def requisition_cost(row: Mapping) -> Cost:
    """A requisition as Procore answers it, with its `items` (its detail: the schedule of values lines billed): the
    cost is the work completed this period per cost code, dated the billing date. Materials presently stored are not
    a cost yet: they become work completed when installed, and a later requisition bills them then."""
    lines = tuple(
        CostLine(_cost_code(item), _amount(item, "work_completed_this_period"), _text(item.get("description")))
        for item in row.get("items") or []
    )
    return Cost(
        "requisition",
        int(row["id"]),
        int(row["project_id"]),
        _text(row.get("number")),
        read(row, "commitment_id", _int, "an id"),
        str(row.get("status") or ""),
        _day(row, "billing_date" if row.get("billing_date") else "updated_at"),
        lines,
    )


def change_order_cost(row: Mapping) -> Cost:
    """A commitment change order with its line items: the cost is each line's amount, dated the day it was approved
    (Procore's `reviewed_at`; else when it last changed)."""
    lines = tuple(
        CostLine(_cost_code(item), _amount(item, "amount"), _text(item.get("description")))
        for item in row.get("line_items") or []
    )
    return Cost(
        "change_order",
        int(row["id"]),
        int(row["project_id"]),
        _text(row.get("number")),
        read(row, "contract_id" if row.get("contract_id") else "commitment_id", _int, "an id"),
        str(row.get("status") or ""),
        _day(row, "reviewed_at" if row.get("reviewed_at") else "updated_at"),
        lines,
    )


def cost_owner(kind: Kind) -> Callable[[Mapping], str]:
    """The key of the cost a Procore row is, from the row as it came (for source_rows.SourceRows)."""
    return lambda row: cost_key(kind, row["project_id"], row["id"])


def posted_of(journals: list[Mapping], keys: list[str], rules: Rules) -> dict[str, Posted]:
    """What EBS holds under each cost's references (GET_JOURNALS rows): the net debit per combination of its
    job-cost lines (the accrual lines only balance them), how many journals, and where the latest is."""
    account = rules.chart_of_accounts.account
    posted: dict[str, Posted] = {}
    for journal in sorted(journals, key=_number):
        key = next((key for key in keys if journal["REFERENCE"].startswith(reference_prefix(key))), None)
        if key is None:
            continue
        before = posted.get(key, Posted())
        net = dict(before.net)
        for line in journal.get("LINES") or []:
            if line.get(account) == rules.accrual_account:
                continue
            debit = _money(line.get("ENTERED_DR")) - _money(line.get("ENTERED_CR"))
            net[line["CODE_COMBINATION_ID"]] = net.get(line["CODE_COMBINATION_ID"], Decimal(0)) + debit
        posted[key] = Posted(
            {ccid: amount for ccid, amount in net.items() if amount},
            before.journals + 1,
            _text(journal.get("JE_HEADER_ID")),
        )
    return posted


def _number(journal: Mapping) -> int:
    """The `<n>` a journal's reference ends with: the first posting 1, each adjustment the next."""
    last = str(journal["REFERENCE"]).rpartition(".")[2]
    return int(last) if last.isdigit() else 0


def map_journals(
    costs: list[Cost],
    rules: Rules,
    *,
    purchase_orders: Mapping[int, str],
    currencies: Mapping[str, str],
    cost_codes: Mapping[int, str],
    combinations: Mapping[str, Segments],
    posted: Mapping[str, Posted],
) -> MappingResult:
    """`purchase_orders`: commitment id → PO_HEADER_ID; `currencies`: PO_HEADER_ID → its currency in EBS;
    `cost_codes`: Procore cost code id → CODE_COMBINATION_ID; `combinations`: those combinations' segments;
    `posted`: cost key → what EBS holds under its references."""
    result = MappingResult()
    for cost in costs:
        key = cost.key
        done = posted.get(key, Posted())
        wanted, problem = _wanted(cost, purchase_orders, currencies, cost_codes, combinations)
        if problem:
            result.rejected.append(Rejected(key, problem, _source(cost)))
            continue
        if not wanted and not done.journals:
            result.excluded.append(Excluded(key, f"{cost.kind.replace('_', ' ')} is {cost.status}: nothing to post"))
            continue
        difference = {
            ccid: amount
            for ccid in sorted(set(wanted) | set(done.net))
            if (amount := wanted.get(ccid, Decimal(0)) - done.net.get(ccid, Decimal(0)))
        }
        summary = {"reference_prefix": reference_prefix(key), "posted": _amounts(wanted)}
        if not difference:
            # EBS already holds what the cost amounts to: the record agrees with its target as it stands (and the
            # ledger, if a crash kept it from recording the journal, learns where it is).
            result.records.append(TargetRecord(key, summary, current=summary, target_id=done.latest))
            continue
        po = purchase_orders[cost.commitment_id]
        payload = {
            **summary,
            "reference": f"{reference_prefix(key)}{done.journals + 1}",
            "category": rules.requisition_category if cost.kind == "requisition" else rules.change_order_category,
            "source": rules.journal_source,
            "accounting_date": cost.accounting_date.isoformat(),
            "currency_code": currencies[po],
            "batch_name": f"Procore {cost.kind.replace('_', ' ')}s {cost.accounting_date.isoformat()}",
            "journal_name": f"Procore {cost.kind.replace('_', ' ')} {cost.number or cost.id} (PO {po})"[:100],
            "description": f"Procore project {cost.project_id} {cost.kind.replace('_', ' ')} {cost.id}, "
            f"status {cost.status}, adjustment {done.journals + 1}",
            "lines": _lines(difference, combinations, rules, f"{cost.kind.replace('_', ' ')} {cost.number or cost.id}"),
        }
        result.records.append(TargetRecord(key, payload))
    return result


def _wanted(
    cost: Cost,
    purchase_orders: Mapping[int, str],
    currencies: Mapping[str, str],
    cost_codes: Mapping[int, str],
    combinations: Mapping[str, Segments],
) -> tuple[dict[str, Decimal], str | None]:
    """The net debit per combination the cost amounts to now, or why it cannot be matched."""
    if cost.commitment_id not in purchase_orders:
        return {}, f"commitment {cost.commitment_id} is not a purchase order the connector synced from EBS"
    po = purchase_orders[cost.commitment_id]
    if po not in currencies:
        return {}, f"purchase order {po} (commitment {cost.commitment_id}) is not in EBS"
    if not cost.posts():
        return {}, None
    wanted: dict[str, Decimal] = defaultdict(Decimal)
    unmapped = sorted({str(line.cost_code_id) for line in cost.lines if line.cost_code_id not in cost_codes})
    if unmapped:
        return {}, f"cost code {', '.join(unmapped)} of project {cost.project_id} has no GL combination mapping"
    for line in cost.lines:
        ccid = cost_codes[line.cost_code_id]
        if ccid not in combinations:
            return {}, f"GL combination {ccid} (cost code {line.cost_code_id}) is not in EBS"
        wanted[ccid] += line.amount
    return {ccid: amount for ccid, amount in wanted.items() if amount}, None


def _lines(difference: dict[str, Decimal], combinations: Mapping[str, Segments], rules: Rules, what: str):
    """Debits (credits, for a reduction) of the cost codes' combinations, balanced per company on the accrual
    account (in the rules' cost centre, else the project's)."""
    coa = rules.chart_of_accounts
    lines, accruals = [], defaultdict(Decimal)
    for ccid, amount in difference.items():
        combination = combinations[ccid]
        lines.append(_line({"code_combination_id": ccid}, amount, f"{what}: {combination.CONCATENATED_SEGMENTS}"))
        center = rules.accrual_cost_center or combination.segment(coa.cost_center)
        accruals[(combination.segment(coa.company), center)] += amount
    for (company, center), amount in sorted(accruals.items()):
        if amount:
            segments = {
                coa.company: company,
                coa.cost_center: center,
                coa.account: rules.accrual_account,
                coa.division: rules.accrual_division,
            }
            lines.append(_line({"segments": segments}, -amount, f"{what}: accrued job cost"))
    return lines


def _line(account: dict, debit: Decimal, description: str) -> dict:
    amount = str(abs(debit).quantize(CENT))
    return {
        **account,
        "dr": amount if debit > 0 else None,
        "cr": amount if debit < 0 else None,
        "description": description[:240],
    }


def _amounts(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    return {ccid: str(amount.quantize(CENT)) for ccid, amount in sorted(amounts.items())}


def _cost_code(item: Mapping) -> int:
    code = item.get("cost_code")
    if isinstance(code, Mapping):
        return read(code, "id", int, "a cost code id")
    return read(item, "cost_code_id", int, "a cost code id")


def _amount(item: Mapping, field: str) -> Decimal:
    return read(item, field, _money, "an amount")


def _day(row: Mapping, field: str) -> date:
    """The day of a Procore date or timestamp (`2026-10-03`, `2026-10-03T14:00:00Z`)."""
    return read(row, field, lambda value: date.fromisoformat(str(value)[:10]), "a date")


def _money(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None


def _text(value) -> str | None:
    return str(value) if value not in (None, "") else None


def _source(cost: Cost) -> dict:
    return {
        "kind": cost.kind,
        "id": cost.id,
        "project_id": cost.project_id,
        "commitment_id": cost.commitment_id,
        "status": cost.status,
        "cost_code_ids": sorted({line.cost_code_id for line in cost.lines}),
    }
