"""Oracle EBS → Procore: vendor, cost code and purchase order contract payloads (pure mapping,
mapping/oracle_ebs_procore.py) and their loads (Procore's sync actions by origin_id).

Vendors and cost codes load before the contract payloads are made, so a contract names its vendor and its line
items' cost codes by the Procore ids the ledger just learnt. Before its first sync a project's cost codes are read
from Procore once, so those a project controller entered before go-live are linked rather than duplicated.

A day's partition is mapped a page at a time (issue #15): suppliers by pages of parties, combinations by pages of rows
(what crosses pages carried on disk: `Carried`), purchase orders by pages of headers with all their distributions.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.dynamics_sales.oracle_ebs import as_of
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped
from ml_connector_dagster.assets.oracle_ebs import extracts as oracle_ebs
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

from ml_connector_dagster import paged_sync
from ml_connector_dagster.initial_load import MasterObject, SourceRead
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.mapping import oracle_ebs_procore as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.mapping.oracle_ebs import Vendor, VendorSite
from ml_connector_dagster.mapping.oracle_ebs_procore import CodeCombination, Distribution, Linked, PurchaseOrder, Rules
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import KeyMap, KeySet, Page, Spool

GROUP = "procore"
PAIR = mapping.PAIR
VENDORS = LoadTarget(PAIR, mapping.VENDORS, GROUP)
COST_CODES = LoadTarget(PAIR, mapping.COST_CODES, GROUP)
CONTRACTS = LoadTarget(PAIR, mapping.CONTRACTS, GROUP)
VENDOR_PAYLOADS = dg.AssetKey([GROUP, "oracle_ebs_vendor_payloads"])
COST_CODE_PAYLOADS = dg.AssetKey([GROUP, "oracle_ebs_cost_code_payloads"])
CONTRACT_PAYLOADS = dg.AssetKey([GROUP, "oracle_ebs_contract_payloads"])


def linked(ledger: Ledger, target_object: str, keys: Iterable[str] | None = None) -> Linked:
    """What the ledger holds of `target_object`: every record, or only those of `keys` (a page's)."""
    held = (
        ledger.target_ids(PAIR, target_object)
        if keys is None
        else {key: target for key, (target, _) in ledger.written_by(PAIR, target_object, keys).items()}
    )
    return Linked({key: target for key, target in held.items() if target})


@dataclass
class Carried:
    """What mapping a partition's combinations a page at a time carries from page to page: the divisions an
    earlier page sent (one record however many pages have codes under it), the codes earlier pages claimed (on disk),
    and the cost codes of each project read from Procore (once, not once a page)."""

    divisions: KeySet
    claimed: KeyMap
    in_procore: dict[int, list[dict]] = field(default_factory=dict)

    def without_sent_divisions(self, result: MappingResult) -> MappingResult:
        divisions = {e.source_key for e in paged_sync.entries(result) if e.source_key.startswith("division.")}
        sent = self.divisions.among(divisions)
        self.divisions.add(divisions - sent)
        return paged_sync.without(result, sent)


def vendor_payloads(snapshot: dict[str, pd.DataFrame], rules: Rules, moment: datetime) -> MappingResult:
    rows = SourceRows()
    result = mapping.map_vendors(
        rows.models(snapshot["po_vendors"], Vendor, lambda row: row["VENDOR_ID"]),
        rows.models(snapshot["po_vendor_sites_all"], VendorSite, lambda row: row["VENDOR_ID"]),
        rules,
        as_of=moment,
    )
    return rows.reject_in(result)


def cost_code_payloads(
    combination_rows: pd.DataFrame | Iterable[dict],
    procore,
    ledger: Ledger,
    rules: Rules,
    moment: datetime,
    carried: Carried | None = None,
) -> MappingResult:
    """The payloads of these combinations; `carried` when they are one page of a partition, the earlier pages'."""
    rows = SourceRows()
    combinations = rows.models(combination_rows, CodeCombination, lambda row: row["CODE_COMBINATION_ID"])
    coa = rules.chart_of_accounts
    # what the ledger holds of these combinations and the divisions they would sit under, not of every record
    known = linked(
        ledger,
        mapping.COST_CODES,
        {
            key
            for c in combinations
            for key in (
                c.CODE_COMBINATION_ID,
                mapping.division_key(c.segment(coa.cost_center), c.segment(coa.division)),
            )
        },
    )
    projects = {
        rules.projects[center]
        for c in combinations
        if c.CODE_COMBINATION_ID not in known.ids and (center := c.segment(coa.cost_center)) in rules.projects
    }
    in_procore = {} if carried is None else carried.in_procore
    for project in sorted(projects - in_procore.keys()):
        in_procore[project] = list(procore.cost_codes(project))
    mapped = mapping.map_cost_codes(
        combinations,
        rules,
        as_of=moment,
        linked=known,
        in_procore=in_procore,
        claimed=None if carried is None else carried.claimed,
    )
    procore.known(mapping.COST_CODES, known.ids)
    procore.known(mapping.COST_CODES, mapped.links, link=True)
    result = rows.reject_in(mapped.result)
    return result if carried is None else carried.without_sent_divisions(result)


def contract_payloads(
    orders: pd.DataFrame, distributions: pd.DataFrame, procore, ledger: Ledger, rules: Rules
) -> MappingResult:
    """The payloads, and the Procore ids of the vendors and cost codes they name told to the writer's session (what
    the ledger holds is asked of the keys these orders name only)."""
    rows = SourceRows()

    def of_order(row) -> str:
        return row["PO_HEADER_ID"]

    headers = rows.models(orders, PurchaseOrder, of_order)
    lines = rows.models(distributions, Distribution, of_order)
    named = {
        mapping.VENDORS: {order.VENDOR_ID for order in headers if order.VENDOR_ID},
        mapping.COST_CODES: {line.CODE_COMBINATION_ID for line in lines},
        mapping.CONTRACTS: {order.PO_HEADER_ID for order in headers},
    }
    known = {target_object: linked(ledger, target_object, keys) for target_object, keys in named.items()}
    for target_object in (mapping.VENDORS, mapping.COST_CODES):
        procore.known(target_object, known[target_object].ids)
    result = mapping.map_purchase_orders(headers, lines, rules, contracts=known[mapping.CONTRACTS])
    return rows.reject_in(result)


def _keyset(method: str, after_param: str, key: str):
    """Every row of a service method in key order, `read.page_size` at a time from after the stored position."""

    def pages(read: SourceRead) -> Iterator[list[dict]]:
        after = read.after or "0"
        while True:
            rows, more = read.session.rows_after(method, after_param, after, read.page_size)
            if rows:
                yield rows
            if not rows or not more:
                return
            after = rows[-1][key]

    return pages


def initial_load_objects(rules: Rules) -> list[MasterObject]:
    """Every supplier (walking the parties in PARTY_ID order), every GL combination (by CODE_COMBINATION_ID) and
    every purchase order (by PO_HEADER_ID), in that order, so a contract finds its vendor and cost codes loaded."""

    def vendor_pages(read: SourceRead) -> Iterator[Page]:
        for party_ids in oracle_ebs.party_pages(read):
            snapshot = oracle_ebs.read_parties(read.session, read.resource, party_ids, oracle_ebs.SUPPLIER_TABLES)
            frames = {table: oracle_ebs.METHOD_TABLES[table].frame(rows) for table, rows in snapshot.items()}
            yield Page(frames, party_ids[-1], len(frames["po_vendors"]))

    def combination_pages(read: SourceRead) -> Iterator[Page]:
        for rows in _keyset("GET_CODE_COMBINATIONS", "P_AFTER_CCID", "CODE_COMBINATION_ID")(read):
            yield Page(rows, rows[-1]["CODE_COMBINATION_ID"], len(rows))

    def order_pages(read: SourceRead) -> Iterator[Page]:
        for rows in _keyset("GET_PURCHASE_ORDERS", "P_AFTER_PO_HEADER_ID", "PO_HEADER_ID")(read):
            distributions = oracle_ebs.read_distributions(read.session, [row["PO_HEADER_ID"] for row in rows])
            frames = (pd.DataFrame(rows, dtype=object), oracle_ebs.DISTRIBUTIONS.frame(distributions))
            yield Page(frames, rows[-1]["PO_HEADER_ID"], len(rows))

    return [
        MasterObject(
            "vendors",
            VENDORS,
            vendor_pages,
            lambda snapshot, given: vendor_payloads(snapshot, rules, as_of(given.source)),
            "Every EBS supplier of a mapped type as a Procore company vendor, whatever its change stamp.",
        ),
        MasterObject(
            "cost_codes",
            COST_CODES,
            combination_pages,
            lambda rows, given: cost_code_payloads(
                rows,
                given.target.session(),
                given.ledger,
                rules,
                as_of(given.source),
            ),
            "Every job-cost GL combination of the rules' projects as a Procore cost code under its division, linked "
            "to a cost code entered in Procore before go-live by code or name.",
        ),
        MasterObject(
            "purchase_order_contracts",
            CONTRACTS,
            order_pages,
            lambda frames, given: contract_payloads(*frames, given.target.session(), given.ledger, rules),
            "Every EBS purchase order of a mapped type as a Procore purchase order contract with its line items.",
        ),
    ]


def target_assets(partitions_def: dg.PartitionsDefinition, rules: Rules) -> TargetAssets:
    @dg.asset(
        key=VENDOR_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"snapshot": dg.AssetIn(key=["oracle_ebs", "supplier_snapshots"])},
        kinds={"python"},
        code_version="2",
        description="Procore company vendor payloads for the suppliers that changed that day, addressed at their "
        "primary pay site, active or not as of the EBS server's time; invalid ones carry the reason.",
    )
    def oracle_ebs_vendor_payloads(snapshot: Spool, oracle_ebs: OracleEbsResource) -> dg.Output[Spool]:
        moment = as_of(oracle_ebs)
        return mapped(snapshot, lambda page: vendor_payloads(page, rules, moment))

    vendors = load_asset(
        VENDORS,
        plural="vendors",
        payloads_key=VENDOR_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"procore"},
        description="EBS suppliers as Procore company vendors (vendors/sync by origin_id = VENDOR_ID).",
    )

    @dg.asset(
        key=COST_CODE_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"combinations": dg.AssetIn(key=["oracle_ebs", "gl_code_combinations"])},
        kinds={"python"},
        code_version="2",
        description="Procore cost code payloads for the job-cost GL combinations that changed that day, with "
        "their divisions, in the project of their cost centre; cost codes entered in Procore before the first "
        "sync are linked by code or name.",
        required_resource_keys={"ledger", "procore", "oracle_ebs"},
    )
    def oracle_ebs_cost_code_payloads(context: dg.AssetExecutionContext, combinations: Spool) -> dg.Output[Spool]:
        procore, ledger = context.resources.procore.session(), context.resources.ledger.ledger()
        moment = as_of(context.resources.oracle_ebs)
        with KeySet() as divisions, KeyMap() as claimed:
            carried = Carried(divisions, claimed)
            return mapped(combinations, lambda page: cost_code_payloads(page, procore, ledger, rules, moment, carried))

    cost_codes = load_asset(
        COST_CODES,
        plural="cost_codes",
        payloads_key=COST_CODE_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"procore"},
        description="Job-cost GL combinations as Procore cost codes under their divisions (cost_codes/sync by "
        "origin_id = CODE_COMBINATION_ID), divisions first.",
    )

    @dg.asset(
        key=CONTRACT_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={"orders": dg.AssetIn(key=["oracle_ebs", "po_distributions_all"])},
        deps=[vendors.key, cost_codes.key],
        kinds={"python"},
        code_version="2",
        description="Procore purchase order contract payloads with their line items (one per distribution, on "
        "its charge account's cost code), in the project the rules give each purchase order.",
        required_resource_keys={"ledger", "procore"},
    )
    def oracle_ebs_contract_payloads(context: dg.AssetExecutionContext, orders: Spool) -> dg.Output[Spool]:
        procore, ledger = context.resources.procore.session(), context.resources.ledger.ledger()
        return mapped(
            orders,
            lambda page: contract_payloads(
                page["po_headers_all"], page[oracle_ebs.DISTRIBUTIONS_PART], procore, ledger, rules
            ),
        )

    contracts = load_asset(
        CONTRACTS,
        plural="purchase_order_contracts",
        payloads_key=CONTRACT_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"procore"},
        description="EBS purchase orders as Procore purchase order contracts (purchase_order_contracts/sync by "
        "origin_id = PO_HEADER_ID, then each contract's line items/sync); a contract the rule moves is removed from "
        "its old project.",
    )
    return TargetAssets(
        [
            oracle_ebs_vendor_payloads,
            vendors,
            oracle_ebs_cost_code_payloads,
            cost_codes,
            oracle_ebs_contract_payloads,
            contracts,
        ],
        [VENDORS, COST_CODES, CONTRACTS],
    )
