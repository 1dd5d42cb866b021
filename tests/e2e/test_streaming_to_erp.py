"""The two directions into an ERP stream too (issue #15): Salesforce's deals become F&O sales orders a page of whole
deals at a time (each with every line, wherever the lines extract paged it), Procore's costs become EBS journals a
page of costs at a time; each load is given at most a batch at a time, first sync and rerun alike; the runs agree and
a rerun writes nothing."""

from collections import Counter
from decimal import Decimal

import pytest

from ml_connector_dagster import spool
from ml_connector_dagster.mapping import procore_oracle_ebs as journal_mapping
from ml_connector_dagster.mapping import salesforce_dynamics_fo as order_mapping
from tests.e2e.conftest import SMALL, load_metadata, partition_checks, sandbox_env
from tests.e2e.test_oracle_ebs_procore import DAY as COST_DAY
from tests.e2e.test_oracle_ebs_procore import REVERSE as PROCORE_TO_EBS
from tests.e2e.test_oracle_ebs_procore import agrees, go_live, journals
from tests.e2e.test_salesforce_to_dynamics_fo import DAY as DEAL_DAY
from tests.e2e.test_salesforce_to_dynamics_fo import (
    FORWARD,
    REVERSE,
    WRITE_LOADS,
    lines_of,
    orderable_deals,
    orders_for,
    run,
)
from tests.e2e.test_streaming import BATCH, PAGE, held, mapped_sizes  # noqa: F401 (a fixture)

LINES = {"006": ("OpportunityLineItem", "OpportunityId"), "801": ("OrderItem", "OrderId")}  # by a deal id's prefix


def test_salesforce_to_fo_maps_whole_deals_a_page_at_a_time_and_a_rerun_writes_nothing(env, held, monkeypatch):  # noqa: F811
    for entity in ("usmf", "demf"):
        run(env, FORWARD, entity)
    sales = env.sandbox["salesforce"].simulate_sales(deals=40, orders=10, new_accounts=12)
    monkeypatch.setattr(spool, "PAGE_ROWS", PAGE)  # the write-backs the ledger holds pending, PAGE a page
    deals = mapped_sizes(monkeypatch, order_mapping, "map_sales_orders")
    accounts = mapped_sizes(monkeypatch, order_mapping, "map_customers")
    small = env.with_resources(
        dynamics_fo={"batch_size": BATCH, "max_parallel_batches": 1},
        salesforce={"batch_size": BATCH, "max_parallel_batches": 1},
    )
    held.clear()
    first = run(small, REVERSE, DEAL_DAY)
    checks = partition_checks(first)
    assert checks and all(e.passed for e in checks), [e.check_name for e in checks if not e.passed]
    fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
    wanted = orderable_deals(salesforce, sales)
    # the deals whose customer the seed left without a currency are dead letters
    refused = env.ledger.dead_letter_keys(REVERSE, order_mapping.SALES_ORDERS)
    made = [deal for deal in wanted if deal["Id"] not in refused]
    assert len(made) > 2 * BATCH
    for deal in made:  # one order each, with every line, though the lines were read and spooled PAGE at a time
        [order] = orders_for(fo, deal["Id"])
        sobject, parent = LINES[deal["Id"][:3]]
        assert len(lines_of(fo, order)) == len(salesforce.rows(sobject, **{parent: deal["Id"]})) > 0
    assert len(deals) > 2 and max(deals) <= PAGE, deals
    assert accounts and max(accounts) <= PAGE, accounts
    assert max(held) <= BATCH and len(held) > len(wanted) / BATCH, held

    deals.clear()
    held.clear()
    rerun = load_metadata(run(small, REVERSE, DEAL_DAY))
    assert Counter(rerun[load]["write_calls"] for load in WRITE_LOADS) == Counter({0: len(WRITE_LOADS)})
    assert rerun["dynamics_fo/salesforce_sales_orders"]["unchanged"] == len(made)
    assert max(deals) <= PAGE and max(held) <= BATCH, (deals, held)


def bill_every_contract(procore) -> int:
    """A requisition approved on every approved contract the connector made: this period's work on each line."""
    billed = 0
    for contract in procore.state("purchase_order_contracts"):
        if contract["status"] != "approved" or not contract.get("origin_id"):
            continue
        project = contract["project"]["id"] if "project" in contract else contract["project_id"]
        lines = [
            line
            for line in procore.state("line_items", project)
            if line["holder"]["id"] == contract["id"] and Decimal(str(line["amount"])) > 0
        ]
        if not lines:
            continue
        items = [{"line_item_id": line["id"], "work_completed_this_period": "10.00"} for line in lines]
        made = procore.create_requisition(project, contract["id"], items=items, invoice_number=f"INV-{contract['id']}")
        for status in ("under_review", "approved"):
            procore.edit_requisition(project, made["id"], {"status": status})
        billed += 1
    return billed


@pytest.fixture
def procore_env(tmp_path):
    with sandbox_env(tmp_path, SMALL) as made:
        yield made.with_resources()


def test_procore_to_ebs_maps_costs_a_page_at_a_time_and_a_rerun_posts_nothing(procore_env, held, monkeypatch):  # noqa: F811
    go_live(procore_env)
    billed = bill_every_contract(procore_env.sandbox["procore"])
    costs = mapped_sizes(monkeypatch, journal_mapping, "map_journals")
    small = procore_env.with_resources(oracle_ebs={"batch_size": BATCH})
    held.clear()
    first = small.run(COST_DAY, job=PROCORE_TO_EBS)
    checks = partition_checks(first)
    assert checks and all(e.passed for e in checks), [e.check_name for e in checks if not e.passed]
    posted = journals(procore_env)
    assert billed > BATCH and len(posted) >= billed
    for header in posted:  # every journal whole: balanced, in one piece
        lines = procore_env.ebs.rows("GL_JE_LINES", JE_HEADER_ID=header["JE_HEADER_ID"])
        assert sum(Decimal(str(line["ENTERED_DR"] or 0)) - Decimal(str(line["ENTERED_CR"] or 0)) for line in lines) == 0
    assert len(costs) > 2 and max(costs) <= PAGE, costs
    assert max(held) <= BATCH and len(held) > billed / BATCH, held

    costs.clear()
    held.clear()
    rerun = load_metadata(small.run(COST_DAY, job=PROCORE_TO_EBS))
    assert rerun["oracle_ebs/procore_gl_journals"]["write_calls"] == 0
    assert len(journals(procore_env)) == len(posted)
    assert max(costs) <= PAGE and max(held) <= BATCH, (costs, held)
    agrees(procore_env)
