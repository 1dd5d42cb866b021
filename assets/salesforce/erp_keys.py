"""What the reverse flow writes back onto the Salesforce records it started from: the F&O customer key onto a new
Account, once its customer exists (so the forward flow updates that Account rather than creating a second one), and
the F&O sales order number onto the won opportunity or activated order. Both are addressed by Salesforce record Id
and only ever update.

Both come from the ledger, not from the day's payloads: whatever F&O holds and Salesforce does not show yet goes
back with the next run of any day, so a write-back that failed once (Salesforce down, the daily limit) is not left
behind with its day. What is pending is mapped and handed to the loads PAGE_ROWS records a page (issue #15), in key
order; the keys and ids the ledger answers are held while they are paged."""

from collections import Counter
from collections.abc import Iterator

import dagster as dg
from ml_connector_dagster.assets.dynamics_fo.salesforce import CUSTOMERS_KEY, SALES_ORDERS_KEY
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapped
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.salesforce import SalesforceResource

from ml_connector_dagster import spool
from ml_connector_dagster.mapping import salesforce_dynamics_fo as mapping
from ml_connector_dagster.mapping.common import MappingResult

GROUP = "salesforce"
PAIR = mapping.PAIR

LINK_PAYLOADS = dg.AssetKey([GROUP, "erp_account_link_payloads"])
NUMBER_PAYLOADS = dg.AssetKey([GROUP, "erp_order_number_payloads"])
PLURALS = {"Opportunity": "opportunities", "Order": "orders"}


def by_record_id(client):
    return client.by_id()


def _pages(pending: dict[str, str]) -> Iterator[dict[str, str]]:
    """The pending write-backs in key order, PAGE_ROWS a page; nothing pending is one empty page, as an empty
    extract is."""
    for page in spool.batched(sorted(pending.items()), spool.PAGE_ROWS):
        yield dict(page)
    if not pending:
        yield {}


def _order_numbers(pending: dict[str, str], number_field: str) -> dg.Output[spool.Spool]:
    counts: Counter = Counter()

    def pages() -> Iterator[dict[str, MappingResult]]:
        for page in _pages(pending):
            result = mapping.map_order_numbers(page, number_field)
            counts.update({f"{name}_payloads": len(part.records) for name, part in result.items()})
            yield result

    value = spool.spooled(pages())
    return dg.Output(
        value, metadata={f"{name}_payloads": counts[f"{name}_payloads"] for name in mapping.WRITE_BACK_OBJECTS.values()}
    )


def target_assets(partitions_def: dg.PartitionsDefinition) -> TargetAssets:
    @dg.asset(
        key=LINK_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        deps=[CUSTOMERS_KEY],
        code_version="2",
        description="The F&O customer key (`<legal entity>/<account>`) for every Account F&O made a customer "
        "of and Salesforce does not show yet, in the Account's External ID field.",
    )
    def erp_account_link_payloads(ledger: LedgerResource, salesforce: SalesforceResource) -> dg.Output[spool.Spool]:
        pending = ledger.ledger().target_ids_without(PAIR, mapping.CUSTOMERS, ["Account"])
        field = salesforce.external_id_fields["Account"]
        return mapped(_pages(pending), lambda page: mapping.map_account_links(page, field))

    @dg.asset(
        key=NUMBER_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        deps=[SALES_ORDERS_KEY],
        code_version="2",
        description="The F&O sales order number of every deal F&O holds an order for and Salesforce does not "
        "show yet, by object (the day's deals, and any an earlier run left without its number).",
    )
    def erp_order_number_payloads(ledger: LedgerResource, salesforce: SalesforceResource) -> dg.Output[spool.Spool]:
        pending = ledger.ledger().target_ids_without(PAIR, mapping.SALES_ORDERS, mapping.WRITE_BACK_OBJECTS.values())
        return _order_numbers(pending, salesforce.order_number_field)

    load = {"partitions_def": partitions_def, "kinds": {"salesforce"}}
    links_target = LoadTarget(PAIR, "Account", GROUP, by_record_id)
    links = load_asset(
        links_target,
        **load,
        plural="account_links",
        name="erp_account_links",
        payloads_key=LINK_PAYLOADS,
        deps=[CUSTOMERS_KEY],
        description="New Accounts given the key of the F&O customer made from them.",
    )
    number_targets = [LoadTarget(PAIR, name, GROUP, by_record_id) for name in mapping.WRITE_BACK_OBJECTS.values()]
    numbers = [
        load_asset(
            target,
            **load,
            plural=f"{PLURALS[target.target_object]}_order_numbers",
            name=f"erp_order_numbers_on_{PLURALS[target.target_object]}",
            payloads_key=NUMBER_PAYLOADS,
            part=target.target_object,
            description=f"Won {PLURALS[target.target_object]} shown the F&O sales order made from "
            "them (the salesforce resource's order_number_field).",
        )
        for target in number_targets
    ]
    return TargetAssets(
        [erp_account_link_payloads, erp_order_number_payloads, links, *numbers], [links_target, *number_targets]
    )
