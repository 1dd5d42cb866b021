"""Procore extract assets: the requisitions (subcontractor invoices) and commitment change orders of the rules'
projects that a day of `updated_at` changed, each with its line items. Webhooks only say which day to run
(sensors/procore.py); this poll is what reads, so a delivery Procore lost is read by the day's scheduled run.
Those whose journal is an open dead letter (an unknown purchase order, a cost code without a GL combination) are
read again by id in every run, so they post once whatever was missing exists."""

from collections.abc import Callable, Iterable, Iterator

import dagster as dg
from ml_connector_dagster.assets.extract import Extract, Read, Table, extract_asset

from ml_connector_dagster.mapping import procore_oracle_ebs as journals
from ml_connector_dagster.mapping.oracle_ebs_procore import Rules

SYSTEM = "procore"
KINDS = frozenset({"procore"})
COSTS = Table(("project_id", "id"))


def _costs(
    kind: str,
    window: Callable[..., Iterable[dict]],
    by_ids: Callable[..., Iterable[dict]],
    lines: Callable[..., dict],
    rules: Rules,
) -> Callable[[Read], Iterator[dict]]:
    """Each cost with its lines as Procore pages the window (the extract spools them a page at a time and keeps a
    cost read twice once), then those waiting as dead letters that the window did not hold."""

    def read(read: Read) -> Iterator[dict]:
        waiting: dict[int, list[int]] = {}
        for letter in read.ledger.open_dead_letters(journals.PAIR, journals.JOURNALS):
            letter_kind, project, cost_id = journals.parse_key(letter.source_key)
            if letter_kind == kind:
                waiting.setdefault(project, []).append(cost_id)
        read.metadata["read_again_for_open_dead_letters"] = sum(len(ids) for ids in waiting.values())
        for project in sorted(rules.projects.values()):
            wanted, found = set(waiting.get(project, ())), set()  # the window's other ids are not kept
            for row in window(read.session, project, (read.start, read.end)):
                if row["id"] in wanted:
                    found.add(row["id"])
                yield {**lines(read.session, project, row), "project_id": project}
            again = [cost_id for cost_id in waiting.get(project, []) if cost_id not in found]
            for row in by_ids(read.session, project, again) if again else ():
                yield {**lines(read.session, project, row), "project_id": project}

    return read


def _requisitions(session, project: int, window) -> Iterator[dict]:
    return session.requisitions(project, updated=window)


def _requisitions_by_id(session, project: int, ids: list[int]) -> Iterator[dict]:
    return session.requisitions(project, ids=ids)


def requisition_with_items(session, project: int, row: dict) -> dict:
    return {**row, "items": list(session.requisition_items(project, row["id"]))}


def _change_orders(session, project: int, window) -> Iterator[dict]:
    return session.change_orders(project, updated=window)


def _change_orders_by_id(session, project: int, ids: list[int]) -> Iterator[dict]:
    return session.change_orders(project, ids=ids)


def change_order_with_lines(session, project: int, row: dict) -> dict:
    return row if "line_items" in row else session.change_order(project, row["id"])


def extract_assets(partitions_def: dg.PartitionsDefinition, rules: Rules) -> list[dg.AssetsDefinition]:
    extracts = (
        Extract(
            SYSTEM,
            "requisitions",
            _costs("requisition", _requisitions, _requisitions_by_id, requisition_with_items, rules),
            kinds=KINDS,
            table=COSTS,
            overlap=True,
            uses_ledger=True,
            description="Requisitions (subcontractor invoices) of the rules' projects that a day of updated_at "
            "changed, with their line items; with those whose journal waits as a dead letter.",
        ),
        Extract(
            SYSTEM,
            "commitment_change_orders",
            _costs("change_order", _change_orders, _change_orders_by_id, change_order_with_lines, rules),
            kinds=KINDS,
            table=COSTS,
            overlap=True,
            uses_ledger=True,
            description="Commitment change orders of the rules' projects that a day of updated_at changed, with "
            "their line items; with those whose journal waits as a dead letter.",
        ),
    )
    return [extract_asset(extract, partitions_def) for extract in extracts]
