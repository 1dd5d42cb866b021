"""What the reverse flow writes back onto the Salesforce records it started from: the F&O customer key onto a new
Account, once its customer exists (so the forward flow updates that Account rather than creating a second one), and
the F&O sales order number onto the won opportunity or activated order. Both are addressed by Salesforce record Id
and only ever update.

Both come from the ledger, not from the day's payloads: whatever F&O holds and Salesforce does not show yet goes
back with the next run of any day, so a write-back that failed once (Salesforce down, the daily limit) is not left
behind with its day."""

import dagster as dg

from ml_connector_dagster.assets.dynamics_fo.salesforce import salesforce_customers, salesforce_sales_orders
from ml_connector_dagster.assets.load import LoadTarget, load_asset, mapping_metadata
from ml_connector_dagster.mapping import salesforce_dynamics_fo as mapping
from ml_connector_dagster.mapping.common import MappingResult
from ml_connector_dagster.partitions import daily_partitions
from ml_connector_dagster.resources.ledger import LedgerResource
from ml_connector_dagster.resources.salesforce import SalesforceResource

GROUP = "salesforce"
PAIR = mapping.PAIR

LINK_PAYLOADS = dg.AssetKey([GROUP, "erp_account_link_payloads"])
NUMBER_PAYLOADS = dg.AssetKey([GROUP, "erp_order_number_payloads"])


@dg.asset(key=LINK_PAYLOADS, group_name=GROUP, partitions_def=daily_partitions, kinds={"python"},
          deps=[salesforce_customers.key], code_version="1",
          description="The F&O customer key (`<legal entity>/<account>`) for every Account F&O made a customer of and "
                      "Salesforce does not show yet, in the Account's External ID field.")
def erp_account_link_payloads(ledger: LedgerResource, salesforce: SalesforceResource) -> dg.Output[MappingResult]:
    pending = ledger.ledger().target_ids_without(PAIR, mapping.CUSTOMERS, ["Account"])
    result = mapping.map_account_links(pending, salesforce.external_id_fields["Account"])
    return dg.Output(result, metadata=mapping_metadata(result))


@dg.asset(key=NUMBER_PAYLOADS, group_name=GROUP, partitions_def=daily_partitions, kinds={"python"},
          deps=[salesforce_sales_orders.key], code_version="1",
          description="The F&O sales order number of every deal F&O holds an order for and Salesforce does not "
                      "show yet, by object (the day's deals, and any an earlier run left without its number).")
def erp_order_number_payloads(ledger: LedgerResource,
                              salesforce: SalesforceResource) -> dg.Output[dict[str, MappingResult]]:
    pending = ledger.ledger().target_ids_without(PAIR, mapping.SALES_ORDERS, mapping.WRITE_BACK_OBJECTS.values())
    result = mapping.map_order_numbers(pending, salesforce.order_number_field)
    return dg.Output(result, metadata={f"{name}_payloads": len(part.records) for name, part in result.items()})


LOAD = {"partitions_def": daily_partitions, "kinds": {"salesforce"}}


def _by_record_id(client):
    return client.by_id()

erp_account_links = load_asset(LoadTarget(PAIR, "Account", GROUP, _by_record_id), **LOAD, plural="account_links", name="erp_account_links",
                               payloads_key=LINK_PAYLOADS, deps=[salesforce_customers.key],
                               description="New Accounts given the key of the F&O customer made from them.")
PLURALS = {"Opportunity": "opportunities", "Order": "orders"}
erp_order_numbers = [
    load_asset(LoadTarget(PAIR, name, GROUP, _by_record_id), **LOAD, plural=f"{PLURALS[name]}_order_numbers",
               name=f"erp_order_numbers_on_{PLURALS[name]}", payloads_key=NUMBER_PAYLOADS, part=name,
               description=f"Won {PLURALS[name]} shown the F&O sales order made from them (the salesforce "
                           "resource's order_number_field).")
    for name in mapping.WRITE_BACK_OBJECTS.values()]

assets = [erp_account_link_payloads, erp_order_number_payloads, erp_account_links, *erp_order_numbers]
