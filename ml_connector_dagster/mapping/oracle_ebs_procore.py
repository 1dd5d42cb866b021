"""Oracle EBS → Procore: suppliers → company vendors, job-cost GL combinations → project cost codes, purchase orders
→ purchase order contracts with their line items on those cost codes.

Every record carries its EBS key as Procore's `origin_id` (the writer sets it from the source key), so a rerun
updates what it wrote and never duplicates it. Keys: a vendor is its VENDOR_ID, a cost code its
CODE_COMBINATION_ID, a cost-code division `division.<cost centre>.<division>`, a contract its PO_HEADER_ID and a
line item its PO_DISTRIBUTION_ID.

Cost codes: a combination is a project cost when its cost centre is one of the rules' projects and its natural
account is a job-cost account; it becomes the cost code `<account>` under the division `<division>` of that project
(Procore's full code `<division>-<account>`). At the first sync a cost code or division a project controller
entered in Procore before go-live is linked rather than duplicated: the one with the same code (the numeric id),
else the one with the same name; two candidates are a dead letter naming both. From then on the ledger holds the
link, and each run's agreement check finds a cost code deleted in Procore.

Purchase orders: the rules say which project a PO belongs to; a PO the rule moves from one project to another is
removed from the old project and made in the new one. Each distribution is a line item on the cost code of its charge
account, which must be a cost code of the PO's project.

Values that name another Procore record (a contract's vendor, a line item's cost code, a cost code's division) are
`{"origin_id": key}`, which the writer sends as the Procore id (the ledger's, told to it by the payload asset, or
read from Procore): a payload stays the same from the run that creates the record named to every later one, so a
rerun writes nothing. The record waits (a dependency dead letter) while the ledger has not synced what it names.
Likewise a record linked at the first sync to one a Procore user entered is not addressed by Procore id in its
payload: the mapping names the link (`CostCodes.links`) and the writer writes the record there.
"""

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.mapping import oracle_ebs
from ml_connector_dagster.mapping.common import Excluded, MappingResult, Rejected, clean, describe, load_rules
from ml_connector_dagster.mapping.oracle_ebs import Row, Vendor, VendorSite, group_by, passed, phone, primary_pay_site

PAIR = "oracle_ebs__procore"
DEFAULT_RULES_FILE = Path(__file__).with_name("oracle_ebs_procore.yaml")
VENDORS, COST_CODES, CONTRACTS = "vendors", "cost_codes", "purchase_order_contracts"
_SEGMENT = r"^SEGMENT([1-9]|[12][0-9]|30)$"
CENT = Decimal("0.01")


# --- rules (the per-deployment mapping file) ----------------------------------------------------------------------
class ChartOfAccounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company: str = Field(default="SEGMENT1", pattern=_SEGMENT, description="segment holding the company")
    cost_center: str = Field(
        default="SEGMENT2", pattern=_SEGMENT, description="segment holding the project's cost centre"
    )
    account: str = Field(default="SEGMENT3", pattern=_SEGMENT, description="segment holding the natural account")
    division: str = Field(default="SEGMENT4", pattern=_SEGMENT, description="segment holding the cost division")

    @model_validator(mode="after")
    def _distinct(self) -> "ChartOfAccounts":
        used = [self.company, self.cost_center, self.account, self.division]
        if len(set(used)) != len(used):
            raise ValueError(f"each role needs its own segment, got {used}")
        return self


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chart_of_accounts: ChartOfAccounts = ChartOfAccounts()
    projects: dict[str, int] = Field(min_length=1, description="cost centre value → Procore project id")
    job_cost_accounts: tuple[str, str] = Field(description="inclusive range of job-cost natural accounts")
    project_rule: Literal["charge_account", "attribute", "table"] = "charge_account"
    project_attribute: str = Field(default="ATTRIBUTE1", pattern=r"^ATTRIBUTE([1-9]|1[0-5])$")
    purchase_order_projects: dict[str, int] = Field(default={}, description="PO number → Procore project id")
    purchase_order_types: list[str] = ["STANDARD"]
    send_unapproved_purchase_orders: bool = False
    vendor_types: list[str] = ["VENDOR"]
    accrual_account: str
    accrual_cost_center: str | None = None
    accrual_division: str
    journal_source: str = Field(max_length=25)
    requisition_category: str = Field(max_length=25)
    change_order_category: str = Field(max_length=25)

    @field_validator("projects")
    @classmethod
    def _one_cost_centre_each(cls, projects: dict[str, int]) -> dict[str, int]:
        seen: dict[int, str] = {}
        for cost_center, project in projects.items():
            if project in seen:
                raise ValueError(f"project {project} is given to cost centres {seen[project]} and {cost_center}")
            seen[project] = cost_center
        return projects

    @model_validator(mode="after")
    def _known_projects(self) -> "Rules":
        unknown = sorted(set(self.purchase_order_projects.values()) - set(self.projects.values()))
        if unknown:
            raise ValueError(f"purchase_order_projects names projects not in projects: {unknown}")
        return self

    def is_job_cost(self, account: str | None) -> bool:
        low, high = self.job_cost_accounts
        return account is not None and low <= account <= high

    def cost_center_of(self, project_id: int) -> str:
        return next(center for center, project in self.projects.items() if project == project_id)


def load_pair_rules(path: Path | None = None) -> Rules:
    return load_rules(Rules, path or DEFAULT_RULES_FILE)


# --- source rows --------------------------------------------------------------------------------------------------
class Segments(Row):
    """A GL combination's segment values and their descriptions (SEGMENTn_DESC): all a journal line needs of it, so a
    value of another column (an end date) never stops a journal."""

    model_config = ConfigDict(extra="allow")

    CODE_COMBINATION_ID: str
    CONCATENATED_SEGMENTS: str | None = None

    def segment(self, name: str) -> str | None:
        return clean((self.model_extra or {}).get(name))

    def description(self, name: str) -> str | None:
        return clean((self.model_extra or {}).get(f"{name}_DESC"))


class CodeCombination(Segments):
    """GL_CODE_COMBINATIONS with its segment values and their descriptions (SEGMENTn_DESC), and what says whether
    it may be charged."""

    ENABLED_FLAG: str | None = "Y"
    DETAIL_POSTING_ALLOWED_FLAG: str | None = "Y"
    SUMMARY_FLAG: str | None = "N"
    START_DATE_ACTIVE: oracle_ebs.EbsDate | None = None
    END_DATE_ACTIVE: oracle_ebs.EbsDate | None = None

    def usable_at(self, moment: datetime) -> str | None:
        """Why nothing may be charged to it at `moment`, or None."""
        if self.ENABLED_FLAG != "Y":
            return "disabled in EBS"
        if self.SUMMARY_FLAG == "Y" or self.DETAIL_POSTING_ALLOWED_FLAG == "N":
            return "detail posting not allowed"
        if self.START_DATE_ACTIVE and not passed(self.START_DATE_ACTIVE, moment):
            return f"not active before {self.START_DATE_ACTIVE[:10]}"
        if passed(self.END_DATE_ACTIVE, moment):
            return f"ended {self.END_DATE_ACTIVE[:10]}"
        return None


class PurchaseOrder(Row):
    model_config = ConfigDict(extra="allow")

    PO_HEADER_ID: str
    SEGMENT1: str
    TYPE_LOOKUP_CODE: str | None = None
    VENDOR_ID: str | None = None
    CURRENCY_CODE: str | None = None
    AUTHORIZATION_STATUS: str | None = None
    CLOSED_CODE: str | None = None
    CANCEL_FLAG: str | None = None
    COMMENTS: str | None = None
    APPROVED_DATE: oracle_ebs.EbsDate | None = None
    CREATION_DATE: oracle_ebs.EbsDate | None = None

    def attribute(self, name: str) -> str | None:
        return clean((self.model_extra or {}).get(name))


class Distribution(Row):
    model_config = ConfigDict(extra="allow")

    PO_HEADER_ID: str
    PO_LINE_ID: str
    LINE_NUM: oracle_ebs.EbsWholeNumber
    ITEM_DESCRIPTION: str | None = None
    UNIT_MEAS_LOOKUP_CODE: str | None = None
    UNIT_PRICE: oracle_ebs.EbsNumber
    LINE_CANCEL_FLAG: str | None = None
    PO_DISTRIBUTION_ID: str
    DISTRIBUTION_NUM: oracle_ebs.EbsWholeNumber
    QUANTITY_ORDERED: oracle_ebs.EbsNumber
    QUANTITY_CANCELLED: oracle_ebs.EbsNumber | None = None
    CODE_COMBINATION_ID: str

    def segment(self, name: str) -> str | None:
        return clean((self.model_extra or {}).get(name))


# --- target payloads ----------------------------------------------------------------------------------------------
class VendorPayload(BaseModel):
    """The company vendor fields the connector owns (crm_targets.md §3.6); the rest are Procore's users'. Procore's
    vendor create and update take no taxpayer id (`business_id` is answered, not written: SDK docs of the vendor
    body), so EBS's stays in EBS."""

    name: str = Field(min_length=1, max_length=255)
    origin_code: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=255)
    city: str | None = Field(default=None, max_length=255)
    state_code: str | None = Field(default=None, max_length=3)
    zip: str | None = Field(default=None, max_length=255)
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    business_phone: str | None = Field(default=None, max_length=255)
    email_address: str | None = Field(default=None, max_length=255)
    is_active: bool


@dataclass(frozen=True)
class Linked:
    """What the ledger holds of a forward object: source key → Procore target id (`<id>` or `<project>:<id>`)."""

    ids: Mapping[str, str]

    def procore_id(self, key: str) -> int | None:
        target = self.ids.get(key)
        return int(target.rsplit(":", 1)[-1]) if target else None

    def project_of(self, key: str) -> int | None:
        target = self.ids.get(key)
        return int(target.split(":", 1)[0]) if target and ":" in target else None


def division_key(cost_center: str, division: str) -> str:
    return f"division.{cost_center}.{division}"


def target_id(project_id: int, procore_id: int) -> str:
    return f"{project_id}:{procore_id}"


# --- vendors ------------------------------------------------------------------------------------------------------
def map_vendors(vendors: list[Vendor], sites: list[VendorSite], rules: Rules, *, as_of: datetime) -> MappingResult:
    """One company vendor per supplier of a mapped type, addressed at its primary pay site; a supplier disabled or
    past its END_DATE_ACTIVE (as of the EBS server's time) is an inactive vendor, and only ever an update."""
    sites_of = group_by(sites, "VENDOR_ID")
    result = MappingResult()
    for vendor in vendors:
        key = vendor.VENDOR_ID
        if vendor.VENDOR_TYPE_LOOKUP_CODE not in rules.vendor_types:
            result.excluded.append(Excluded(key, f"supplier type {vendor.VENDOR_TYPE_LOOKUP_CODE} is not sent"))
            continue
        active = vendor.active_at(as_of)
        live_sites = [s for s in sites_of.get(key, []) if not passed(s.INACTIVE_DATE, as_of)]
        site = primary_pay_site(live_sites)
        street = (
            ", ".join(part for part in (clean(site.ADDRESS_LINE1), clean(site.ADDRESS_LINE2)) if part) if site else None
        )
        fields = {
            "name": clean(vendor.VENDOR_NAME),
            "origin_code": clean(vendor.SEGMENT1),
            "address": street or None,
            "city": clean(site.CITY) if site else None,
            "state_code": clean(site.STATE) if site else None,
            "zip": clean(site.ZIP) if site else None,
            "country_code": clean(site.COUNTRY) if site else None,
            "business_phone": phone(None, site.AREA_CODE, site.PHONE) if site else None,
            "email_address": clean(site.EMAIL_ADDRESS) if site else None,
            "is_active": active,
        }
        try:
            payload = VendorPayload(**fields).model_dump()
        except ValidationError as exc:
            result.rejected.append(Rejected(key, describe(exc), vendor.model_dump()))
            continue
        inactive = None if active else "inactive in EBS and never synced: not created inactive"
        result.records.append(TargetRecord(key, payload, update_only=inactive))
    return result


# --- cost codes ---------------------------------------------------------------------------------------------------
@dataclass
class CostCodes:
    result: MappingResult
    links: dict[str, str]  # source key → target id of a cost code entered in Procore before the first sync


def reference(key: str) -> dict:
    return {"origin_id": key}


def map_cost_codes(
    combinations: list[CodeCombination],
    rules: Rules,
    *,
    as_of: datetime,
    linked: Linked,
    in_procore: Mapping[int, list[dict]],
    claimed: MutableMapping[tuple[int, str], str] | None = None,
) -> CostCodes:
    """Each job-cost combination of a project's cost centre as a cost code, with the divisions they sit under.
    `in_procore` holds the cost codes each project has (only read for projects with records the ledger has not
    linked), to link those entered before the first sync. `claimed` (project, code) → the combination making that
    cost code, when combinations mapped before these may have claimed codes too (the earlier pages of a partition)."""
    coa = rules.chart_of_accounts
    result, links = MappingResult(), {}
    divisions: dict[str, tuple[int, str, str | None]] = {}
    codes: list[tuple[CodeCombination, int, str, str]] = []
    claimed = {} if claimed is None else claimed
    for combination in combinations:
        key = combination.CODE_COMBINATION_ID
        center, account = combination.segment(coa.cost_center), combination.segment(coa.account)
        division = combination.segment(coa.division)
        project = rules.projects.get(center or "")
        if project is None or not rules.is_job_cost(account):
            result.excluded.append(Excluded(key, f"{combination.CONCATENATED_SEGMENTS}: not a job cost of a project"))
            continue
        unusable = combination.usable_at(as_of)
        if unusable:
            result.excluded.append(Excluded(key, f"{combination.CONCATENATED_SEGMENTS}: {unusable}"))
            continue
        if not division:
            result.rejected.append(Rejected(key, f"{coa.division} (division) is empty", combination.model_dump()))
            continue
        full_code = f"{division}-{account}"
        other = claimed.setdefault((project, full_code), key)
        if other != key:
            reason = f"combinations {other} and {key} both make cost code {full_code} of project {project}"
            result.rejected.append(Rejected(key, reason, combination.model_dump()))
            continue
        parent = division_key(center, division)
        divisions.setdefault(parent, (project, division, combination.description(coa.division)))
        codes.append((combination, project, parent, full_code))
    division_ids: dict[str, int | None] = {}
    for key, (project, division, description) in divisions.items():
        payload = {"project_id": project, "code": division, "name": description or division, "parent_id": None}
        match = _match(key, payload, linked, in_procore.get(project, []), code=division, parent=None)
        division_ids[key] = linked.procore_id(key) or (match if isinstance(match, int) else None)
        _add(result, links, key, payload, match, refs=(), source={"division": division, "project_id": project})
    for combination, project, parent, full_code in codes:
        key = combination.CODE_COMBINATION_ID
        payload = {
            "project_id": project,
            "code": combination.segment(coa.account),
            "name": combination.description(coa.account) or full_code,
            "parent_id": reference(parent),
        }
        existing = in_procore.get(project, []) if division_ids[parent] else []
        match = _match(key, payload, linked, existing, code=full_code, parent=division_ids[parent])
        _add(result, links, key, payload, match, refs=((COST_CODES, parent),), source=combination.model_dump())
    return CostCodes(result, links)


def _match(key: str, payload: dict, linked: Linked, existing: list[dict], *, code: str, parent: int | None):
    """For a record the ledger has not linked: the id of the one unlinked cost code of the project with the same
    code (the numeric id), else the same name, under the same parent; a reason when there are several; else None."""
    if linked.procore_id(key):
        return None
    siblings = [c for c in existing if not c.get("deleted_at") and not c.get("origin_id") and _parent_id(c) == parent]
    by_code = [c for c in siblings if (c.get("full_code") or c.get("code")) == code]
    by_name = [c for c in siblings if (c.get("name") or "").casefold() == payload["name"].casefold()]
    candidates = by_code or by_name
    if len(candidates) > 1:
        listed = ", ".join(f"{c['id']} ({c.get('full_code') or c.get('code')} {c.get('name')})" for c in candidates)
        return f"project {payload['project_id']} has several cost codes this could be: {listed}"
    return int(candidates[0]["id"]) if candidates else None


def _parent_id(cost_code: dict) -> int | None:
    parent = cost_code.get("parent")
    return parent.get("id") if isinstance(parent, dict) else cost_code.get("parent_id")


def _add(result: MappingResult, links: dict, key: str, payload: dict, match, *, refs: tuple, source: dict) -> None:
    if isinstance(match, str):
        result.rejected.append(Rejected(key, match, source))
        return
    if match is not None:
        links[key] = target_id(payload["project_id"], match)
    result.records.append(TargetRecord(key, payload, refs))


# --- purchase orders ----------------------------------------------------------------------------------------------
def map_purchase_orders(
    orders: list[PurchaseOrder],
    distributions: list[Distribution],
    rules: Rules,
    *,
    contracts: Linked,
) -> MappingResult:
    """A contract per purchase order of a mapped type, in the project the rule gives it, with one line item per
    distribution on its charge account's cost code. Approved: approved and executed; closed: closed; cancelled:
    closed, its lines at zero (Procore's purchase orders have no cancelled status, and its sync deletes no line), and
    never created; anything else a draft, sent only when the rules say so."""
    lines_of = group_by(distributions, "PO_HEADER_ID")
    result = MappingResult()
    for order in orders:
        key = order.PO_HEADER_ID
        if order.TYPE_LOOKUP_CODE not in rules.purchase_order_types:
            result.excluded.append(Excluded(key, f"purchase order type {order.TYPE_LOOKUP_CODE} is not sent"))
            continue
        status = _status(order)
        if status == "draft" and not rules.send_unapproved_purchase_orders and not contracts.procore_id(key):
            result.excluded.append(Excluded(key, f"not approved ({order.AUTHORIZATION_STATUS})"))
            continue
        lines = sorted(lines_of.get(key, []), key=lambda d: (int(d.LINE_NUM), int(d.DISTRIBUTION_NUM)))
        project = _project(order, lines, rules)
        if isinstance(project, str):
            result.rejected.append(Rejected(key, project, order.model_dump()))
            continue
        if project is None:
            result.excluded.append(Excluded(key, "charges no project cost centre of the rules"))
            continue
        items, refs, problems = [], [(VENDORS, order.VENDOR_ID)], []
        cancelled = order.CANCEL_FLAG == "Y"
        for line in lines:
            problem = _off_project(line, project, rules)
            if problem:
                problems.append(problem)
                continue
            quantity = Decimal(line.QUANTITY_ORDERED) - Decimal(line.QUANTITY_CANCELLED or "0")
            if cancelled or line.LINE_CANCEL_FLAG == "Y" or quantity < 0:
                quantity = Decimal(0)
            price = Decimal(line.UNIT_PRICE)
            items.append(
                {
                    "origin_id": line.PO_DISTRIBUTION_ID,
                    "description": clean(line.ITEM_DESCRIPTION) or f"Line {line.LINE_NUM}",
                    "quantity": format(quantity.normalize(), "f"),
                    "unit_cost": str(price),
                    "uom": clean(line.UNIT_MEAS_LOOKUP_CODE),
                    "amount": str((quantity * price).quantize(CENT, ROUND_HALF_UP)),
                    "cost_code_id": reference(line.CODE_COMBINATION_ID),
                }
            )
            refs.append((COST_CODES, line.CODE_COMBINATION_ID))
        if problems:
            result.rejected.append(Rejected(key, "; ".join(problems), order.model_dump()))
            continue
        if not order.VENDOR_ID:
            result.rejected.append(Rejected(key, "has no supplier (VENDOR_ID)", order.model_dump()))
            continue
        payload = {
            "project_id": project,
            "number": order.SEGMENT1,
            "title": (clean(order.COMMENTS) or f"PO {order.SEGMENT1}")[:255],
            "vendor_id": reference(order.VENDOR_ID),
            "status": status,
            "executed": status in ("approved", "closed"),
            "contract_date": (order.APPROVED_DATE or order.CREATION_DATE or "")[:10] or None,
            "line_items": items,
        }
        moved_from = contracts.project_of(key)
        if moved_from is not None and moved_from != project:
            payload["moved_from"] = contracts.ids[key]
        never = "cancelled in EBS and never synced: not created" if cancelled else None
        result.records.append(TargetRecord(key, payload, tuple(dict.fromkeys(refs)), update_only=never))
    return result


def _status(order: PurchaseOrder) -> str:
    if order.CANCEL_FLAG == "Y" or order.CLOSED_CODE in ("CLOSED", "FINALLY CLOSED"):
        return "closed"
    if order.AUTHORIZATION_STATUS == "APPROVED":
        return "approved"
    return "draft"


def _project(order: PurchaseOrder, lines: list[Distribution], rules: Rules) -> int | str | None:
    """The project the rule gives the PO; a reason when the rule cannot decide; None when it is no project's."""
    if rules.project_rule == "attribute":
        value = order.attribute(rules.project_attribute)
        if value:
            if not value.isdigit() or int(value) not in rules.projects.values():
                return f"{rules.project_attribute} {value!r} is not a Procore project of the rules"
            return int(value)
    if rules.project_rule == "table" and order.SEGMENT1 in rules.purchase_order_projects:
        return rules.purchase_order_projects[order.SEGMENT1]
    centers = {line.segment(rules.chart_of_accounts.cost_center) for line in lines}
    projects = {rules.projects[c] for c in centers if c in rules.projects}
    if len(projects) > 1:
        return f"its distributions charge several projects ({sorted(projects)}); split the purchase order"
    return projects.pop() if projects else None


def _off_project(line: Distribution, project: int, rules: Rules) -> str | None:
    coa = rules.chart_of_accounts
    center, account = line.segment(coa.cost_center), line.segment(coa.account)
    if rules.projects.get(center or "") != project or not rules.is_job_cost(account):
        return (
            f"line {line.LINE_NUM} distribution {line.DISTRIBUTION_NUM} charges {center}/{account}, "
            f"not a job cost of project {project}"
        )
    return None
