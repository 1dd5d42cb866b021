"""What the reverse flow writes back onto the Salesforce records it started from: the F&O customer key onto a new
Account, once its customer exists (so the forward flow updates that Account rather than creating a second one), and
the F&O sales order number onto the won opportunity or activated order. Both are addressed by Salesforce record Id
and only ever update.

Both come from the ledger, not from the day's payloads: whatever F&O holds and Salesforce does not show yet goes
back with the next run of any day, so a write-back that failed once (Salesforce down, the daily limit) is not left
behind with its day."""

import dagster as dg
from ml_connector_dagster.assets.dynamics_fo.salesforce import CUSTOMERS_KEY, SALES_ORDERS_KEY
from ml_connector_dagster.assets.load import LoadTarget, TargetAssets, load_asset, mapping_metadata
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.salesforce import SalesforceResource

from ml_connector_dagster.mapping import salesforce_dynamics_fo as mapping
from ml_connector_dagster.mapping.common import MappingResult

GROUP = "salesforce"
PAIR = mapping.PAIR

LINK_PAYLOADS = dg.AssetKey([GROUP, "erp_account_link_payloads"])
NUMBER_PAYLOADS = dg.AssetKey([GROUP, "erp_order_number_payloads"])
PLURALS = {"Opportunity": "opportunities", "Order": "orders"}


def by_record_id(client):
    return client.by_id()


def target_assets(partitions_def: dg.PartitionsDefinition) -> TargetAssets:
    @dg.asset(
        key=LINK_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        deps=[CUSTOMERS_KEY],
        code_version="1",
        description="The F&O customer key (`<legal entity>/<account>`) for every Account F&O made a customer "
        "of and Salesforce does not show yet, in the Account's External ID field.",
    )
    def erp_account_link_payloads(ledger: LedgerResource, salesforce: SalesforceResource) -> dg.Output[MappingResult]:
        pending = ledger.ledger().target_ids_without(PAIR, mapping.CUSTOMERS, ["Account"])
        result = mapping.map_account_links(pending, salesforce.external_id_fields["Account"])
        return dg.Output(result, metadata=mapping_metadata(result))

    @dg.asset(
        key=NUMBER_PAYLOADS,
        group_name=GROUP,
        partitions_def=partitions_def,
        kinds={"python"},
        deps=[SALES_ORDERS_KEY],
        code_version="1",
        description="The F&O sales order number of every deal F&O holds an order for and Salesforce does not "
        "show yet, by object (the day's deals, and any an earlier run left without its number).",
    )
    def erp_order_number_payloads(
        ledger: LedgerResource, salesforce: SalesforceResource
    ) -> dg.Output[dict[str, MappingResult]]:
        pending = ledger.ledger().target_ids_without(PAIR, mapping.SALES_ORDERS, mapping.WRITE_BACK_OBJECTS.values())
        result = mapping.map_order_numbers(pending, salesforce.order_number_field)
        return dg.Output(result, metadata={f"{name}_payloads": len(part.records) for name, part in result.items()})

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
