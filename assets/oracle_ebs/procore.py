"""Procore → Oracle EBS: journal payloads for the day's approved project costs (pure mapping,
mapping/procore_oracle_ebs.py) and their load (the EBS service's POST_JOURNALS into GL_INTERFACE and Journal Import).

Before mapping, the asset reads what the match needs: from the ledger, the purchase order each commitment was made
from and the GL combination each cost code was made from (the forward pair's links); from EBS, those purchase orders
(their currency, and that they exist), those combinations (their segments) and the journals already imported under
each cost's references, so what is posted is always what EBS lacks.

The costs are mapped a page at a time, requisitions then change orders (issue #15): a cost is one row with its lines,
so each page's journals are whole and balanced, and what the match reads is read for the page's costs only.
"""

from collections.abc import Iterable
from itertools import chain

import dagster as dg
import pandas as pd
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped
from ml_connector_dagster.assets.oracle_ebs.extracts import MAX_KEYS_PER_CALL
from ml_connector_dagster.resources.oracle_ebs.journals import JournalWriter
from ml_connector_dagster.resources.oracle_ebs.service import refused

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.mapping import oracle_ebs_procore as forward
from ml_connector_dagster.mapping import procore_oracle_ebs as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.mapping.oracle_ebs_procore import Rules, Segments
from ml_connector_dagster.source_rows import SourceRows
from ml_connector_dagster.spool import Spool, pages_of

GROUP = "oracle_ebs"
PAIR = mapping.PAIR
JOURNALS = LoadTarget(PAIR, mapping.JOURNALS, GROUP, writer=JournalWriter)
JOURNAL_PAYLOADS = dg.AssetKey([GROUP, "procore_journal_payloads"])


def _chunks(values: Iterable[str], size: int) -> Iterable[str]:
    """Comma-separated lists of at most `size` of the values."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ",".join(ordered[start : start + size])


def links(ledger: Ledger, target_object: str, costs: list[mapping.Cost], ids_of) -> dict[int, str]:
    """Procore id → EBS key of the forward pair's records these costs name (`<project>:<id>` target ids)."""
    wanted = {
        forward.target_id(cost.project_id, procore_id): procore_id for cost in costs for procore_id in ids_of(cost)
    }
    found = ledger.keys_of_targets(forward.PAIR, target_object, wanted)
    return {wanted[target]: key for target, key in found.items() if not key.startswith("division.")}


def journal_payloads(costs: list[mapping.Cost], service, ledger: Ledger, rules: Rules) -> MappingResult:
    purchase_orders = links(
        ledger, forward.CONTRACTS, costs, lambda cost: [cost.commitment_id] if cost.commitment_id else []
    )
    cost_codes = links(ledger, forward.COST_CODES, costs, lambda cost: [line.cost_code_id for line in cost.lines])
    currencies = {
        row["PO_HEADER_ID"]: row["CURRENCY_CODE"]
        for chunk in _chunks(purchase_orders.values(), MAX_KEYS_PER_CALL)
        for row in service.read_keys("GET_PURCHASE_ORDERS", chunk, ids_param="P_PO_HEADER_IDS")
    }
    combinations = {
        row["CODE_COMBINATION_ID"]: Segments.model_validate(row)
        for chunk in _chunks(cost_codes.values(), MAX_KEYS_PER_CALL)
        for row in service.read_keys("GET_CODE_COMBINATIONS", chunk, ids_param="P_CCIDS")
    }
    posted = posted_journals(service, [cost.key for cost in costs], rules)
    return mapping.map_journals(
        costs,
        rules,
        purchase_orders=purchase_orders,
        currencies=currencies,
        cost_codes=cost_codes,
        combinations=combinations,
        posted=posted,
    )


# How each kind of cost is read from its extract's rows: converter, owner and what a rejection calls it.
_COSTS = {
    "requisition": (mapping.requisition_cost, mapping.cost_owner("requisition"), "requisition"),
    "change_order": (mapping.change_order_cost, mapping.cost_owner("change_order"), "change order"),
}


def page_journal_payloads(kind: str, page: pd.DataFrame, service, ledger: Ledger, rules: Rules) -> MappingResult:
    """The journals of one page of costs of one kind."""
    rows = SourceRows()
    return rows.reject_in(journal_payloads(rows.converted(page, *_COSTS[kind]), service, ledger, rules))


def posted_journals(service, keys: list[str], rules: Rules) -> dict[str, mapping.Posted]:
    """What EBS holds under each cost's references, imported or waiting in the interface (refused ones hold
    nothing: their reference is posted again)."""
    found = service.read_journals([mapping.reference_prefix(key) for key in keys], prefixes=True)
    return mapping.posted_of([j for j in found.values() if not refused(j)], keys, rules)


def target_assets(partitions_def: dg.PartitionsDefinition, rules: Rules) -> TargetAssets:
    @dg.asset(
        key=JOURNAL_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        ins={
            "requisitions": dg.AssetIn(key=["procore", "requisitions"]),
            "change_orders": dg.AssetIn(key=["procore", "commitment_change_orders"]),
        },
        kinds={"python"},
        code_version="2",
        description="One balanced GL journal per approved Procore requisition or commitment change order (or its "
        "adjustment), matched to its EBS purchase order and, through the cost codes, to GL combinations; what cannot "
        "be matched carries the reason.",
        required_resource_keys={"ledger", "oracle_ebs"},
    )
    def procore_journal_payloads(
        context: dg.AssetExecutionContext, requisitions: Spool, change_orders: Spool
    ) -> dg.Output[Spool]:
        service, ledger = context.resources.oracle_ebs.session(), context.resources.ledger.ledger()
        pages = chain(
            (("requisition", page) for page in pages_of(requisitions)),
            (("change_order", page) for page in pages_of(change_orders)),
        )
        return mapped(pages, lambda kind_page: page_journal_payloads(*kind_page, service, ledger, rules))

    journals = load_asset(
        JOURNALS,
        plural="journals",
        payloads_key=JOURNAL_PAYLOADS,
        partitions_def=partitions_def,
        kinds={"oracle"},
        name="procore_gl_journals",
        description="Approved Procore costs posted as GL journals through GL_INTERFACE and Journal Import, each "
        "under its idempotency reference: EBS never imports a reference twice.",
    )
    return TargetAssets([procore_journal_payloads, journals], [JOURNALS])
