"""Oracle EBS ↔ Procore end to end, both directions against the emulators: a go-live where a project controller had
entered cost codes in Procore before the first sync, every supplier, job-cost combination and purchase order in
Procore once; a project team's requisition and change order back in EBS as exactly one balanced journal each; a
revision posted as its adjustment; reruns writing nothing; both sides agreeing whole."""

from decimal import Decimal

import dagster as dg
import pytest

from ml_connector_dagster import agreement
from ml_connector_dagster.initial_load import job_name, run_config
from ml_connector_dagster.sandbox.procore import activity
from tests.e2e.conftest import NOW, SMALL, Env, load_metadata, sandbox_env

FORWARD, REVERSE = "oracle_ebs__procore", "procore__oracle_ebs"
DAY = NOW.date().isoformat()


@pytest.fixture
def env(tmp_path):
    with sandbox_env(tmp_path, SMALL) as made:
        yield made.with_resources()


def write_calls(result: dg.ExecuteInProcessResult) -> int:
    return sum(md["write_calls"] for md in load_metadata(result).values() if "write_calls" in md)


def go_live(env: Env) -> None:
    """The initial load, then every seeded day of EBS changes."""
    job = env.defs.resolve_job_def(job_name(FORWARD))
    job.execute_in_process(instance=env.instance, run_config=run_config(job))
    for day in env.size.partition_keys():
        env.run(day, job=FORWARD)


def journals(env: Env) -> list[dict]:
    return env.ebs.rows("GL_JE_HEADERS")


def lines_of(env: Env, header: dict) -> list[dict]:
    return env.ebs.rows("GL_JE_LINES", JE_HEADER_ID=header["JE_HEADER_ID"])


def requisition_items(env: Env, project: int, requisition_id: int) -> list[dict]:
    """The requisition's detail lines as the API answers them."""
    with env.resources["procore"].open() as client:
        return client.requisition_items(project, requisition_id)


def agrees(env: Env) -> list[agreement.Agreement]:
    verdicts = agreement.oracle_ebs_and_procore(env.config, env.resources, env.ledger)
    assert all(v.agrees for v in verdicts), verdicts
    return verdicts


def test_go_live_then_costs_back_as_one_balanced_journal_each_and_reruns_write_nothing(env):
    procore = env.sandbox["procore"]
    go_live(env)

    # the cost codes a project controller entered before go-live are linked, not duplicated
    codes = procore.state("cost_codes", 101)
    assert [c["full_code"] for c in codes if c["full_code"] == "01-5100" and not c.get("deleted_at")] == ["01-5100"]
    [labor] = [c for c in codes if c["full_code"] == "01-5100"]
    [combination] = [
        row for row in env.ebs.rows("GL_CODE_COMBINATIONS", SEGMENT2="1100", SEGMENT3="5100", SEGMENT4="01")
    ]
    assert labor["origin_id"] == str(combination["CODE_COMBINATION_ID"])
    # contracts carry their lines on the project's cost codes, and name their vendor by the EBS key
    contracts = [c for c in procore.state("purchase_order_contracts") if c.get("origin_id")]
    assert len(contracts) >= 20 and all(c["vendor"] for c in contracts)
    # a purchase order split across two projects is a dead letter with the reason, not a guess
    assert any(
        "several projects" in x.error_message for x in env.ledger.open_dead_letters(FORWARD, "purchase_order_contracts")
    )

    done = activity.bill_and_change(procore)
    assert len(done["requisitions"]) == len(done["change_orders"]) == 2
    first = env.run(DAY, job=REVERSE)
    assert write_calls(first) == 1, "four journals in one POST_JOURNALS call"
    posted = journals(env)
    assert len(posted) == 4
    for header in posted:
        lines = lines_of(env, header)
        debit = sum(Decimal(str(line["ENTERED_DR"] or 0)) for line in lines)
        credit = sum(Decimal(str(line["ENTERED_CR"] or 0)) for line in lines)
        assert debit == credit > 0, f"journal {header['EXTERNAL_REFERENCE']} is balanced"
        assert header["PERIOD_NAME"] == "OCT-26" and header["CURRENCY_CODE"] == "USD"
    # what the requisition billed is what EBS debited to the cost codes' combinations
    project, requisition_id = done["requisitions"][0]
    billed = sum(
        Decimal(str(item["work_completed_this_period"])) for item in requisition_items(env, project, requisition_id)
    )
    [requisition] = [
        h for h in posted if h["EXTERNAL_REFERENCE"] == f"procore.requisition.{project}.{requisition_id}.1"
    ]
    assert Decimal(str(requisition["RUNNING_TOTAL_DR"])) == billed

    quiet = [env.run(DAY, job=job) for job in (REVERSE, FORWARD, REVERSE)]
    assert [write_calls(result) for result in quiet] == [0, 0, 0]
    assert len(journals(env)) == 4
    verdicts = agrees(env)
    assert [v.in_target > 0 for v in verdicts] == [True, True, True, True]


def test_a_revised_requisition_posts_its_adjustment_and_a_withdrawn_change_order_its_reversal(env):
    procore = env.sandbox["procore"]
    go_live(env)
    done = activity.bill_and_change(procore)
    env.run(DAY, job=REVERSE)
    project, requisition_id = done["requisitions"][0]
    items = requisition_items(env, project, requisition_id)
    procore.edit_requisition(project, requisition_id, {"status": "under_review"})
    procore.edit_requisition(
        project,
        requisition_id,
        {
            "items": [
                {
                    "cost_code_id": items[0]["cost_code_id"],
                    "work_completed_this_period": str(
                        Decimal(str(items[0]["work_completed_this_period"])) + Decimal("100.00")
                    ),
                }
            ],
        },
    )
    procore.edit_requisition(project, requisition_id, {"status": "approved_as_noted"})
    change_project, change_id = done["change_orders"][0]
    procore.edit_change_order(change_project, change_id, {"status": "void"})
    env.run(DAY, job=REVERSE)

    by_reference = {h["EXTERNAL_REFERENCE"]: h for h in journals(env)}
    adjustment = by_reference[f"procore.requisition.{project}.{requisition_id}.2"]
    assert Decimal(str(adjustment["RUNNING_TOTAL_DR"])) == Decimal("100.00")
    reversal = by_reference[f"procore.change_order.{change_project}.{change_id}.2"]
    reversed_lines = lines_of(env, reversal)
    assert [Decimal(str(line["ENTERED_CR"] or 0)) for line in reversed_lines if line["ENTERED_CR"]][0] == Decimal(
        "2500.00"
    ), "the change order's debit is credited back"
    assert write_calls(env.run(DAY, job=REVERSE)) == 0
    agrees(env)


def test_the_agreement_check_sees_what_a_procore_user_changed_and_what_ebs_lacks(env):
    procore = env.sandbox["procore"]
    go_live(env)
    vendor = next(v for v in procore.state("vendors") if v.get("origin_id"))
    with env.resources["procore"].open() as client:  # a Procore user renames it (vendors are not sent back to EBS)
        renamed = client.http.patch(
            f"vendors/{vendor['id']}", json={"company_id": client.company_id, "vendor": {"name": "Renamed in Procore"}}
        )
    assert renamed.status_code == 200
    activity.bill_and_change(procore)
    verdicts = {v.object: v for v in agreement.oracle_ebs_and_procore(env.config, env.resources, env.ledger)}
    assert verdicts["oracle_ebs → procore vendors"].different == [vendor["origin_id"]]
    assert len(verdicts["procore → oracle_ebs gl_journals"].missing) == 4, "nothing posted yet"
