"""Salesforce → F&O through the Dagster job when F&O holds `$batch` calls past the client's timeout: the writes land
after the client gave up, reruns of the day send nothing while F&O may still be processing them, and once that time
has passed a rerun finds what the calls created: one sales order per deal, the one the ledger and Salesforce name."""

import time
from collections import Counter
from datetime import UTC, datetime

from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.mapping.salesforce_dynamics_fo import PAIR
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.e2e.conftest import load_metadata, partition_checks
from tests.e2e.test_salesforce_to_dynamics_fo import DAY, REVERSE, deal_references, orderable_deals, orders_for, run
from tests.e2e.test_salesforce_to_dynamics_fo import sales as sales  # the fixture: deals closed on F&O's customers

FO_LOADS = ("dynamics_fo/salesforce_customers", "dynamics_fo/salesforce_sales_orders")
# F&O goes on for 4 s after the client gave up; the settle leaves room for the rerun to start before it ends.
TIMEOUT, HOLD, SETTLE = 4, 8, 20


def test_batches_held_past_the_timeout_are_resolved_once_settled_into_exactly_one_order_per_deal(env, sales):
    fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
    impatient = env.with_resources(dynamics_fo={"timeout_seconds": TIMEOUT, "in_doubt_settle_seconds": SETTLE})
    fo.faults.add(FaultPlan(path_contains="$batch", hold_seconds=HOLD, count=2))  # the customers' call, the orders'

    first = run(impatient, REVERSE, DAY)
    assert first.success and fo.faults.injected == 2
    in_doubt = env.ledger.open_dead_letters(PAIR, error_class=ErrorClass.IN_DOUBT)
    assert {letter.target_object for letter in in_doubt} == {"CustomersV3", "SalesOrderHeadersV2"}
    logged = [entry.user_message for entry in env.instance.all_logs(first.run_id)]
    assert sum("in doubt until" in message for message in logged) == 2, "what was decided, once per call"

    rerun = load_metadata(run(impatient, REVERSE, DAY))
    assert datetime.now(UTC) < min(letter.resolve_after for letter in in_doubt), "the rerun ran before the settle"
    assert sum(rerun[key]["write_calls"] for key in FO_LOADS) == 0, "nothing re-sent while F&O may be processing"
    assert rerun["dynamics_fo/salesforce_sales_orders"]["skipped"] >= 1

    time.sleep((max(letter.resolve_after for letter in in_doubt) - datetime.now(UTC)).total_seconds())
    last = run(impatient, REVERSE, DAY)
    assert all(check.passed for check in partition_checks(last))

    deals = orderable_deals(salesforce, sales)
    assert deal_references(fo) == Counter(d["Id"] for d in deals), "exactly one order per deal"
    synced = env.ledger.synced(PAIR, "SalesOrderHeadersV2")
    for deal in deals:
        [order] = orders_for(fo, deal["Id"])
        number = f"{order['dataAreaId']}/{order['SalesOrderNumber']}"
        sobject = "Opportunity" if deal["Id"].startswith("006") else "Order"
        assert synced[deal["Id"]].target_id == number
        assert salesforce.rows(sobject, Id=deal["Id"])[0]["ERP_Sales_Order_Number__c"] == number
    assert all(env.ledger.dead_letter(letter.id).resolved_at for letter in in_doubt)
    assert not env.ledger.open_dead_letters(PAIR, error_class=ErrorClass.IN_DOUBT)
