"""The Oracle EBS ↔ Procore pair under the faults of issue #13, against the real jobs and emulators over HTTP: an EBS
session and a Procore token dying mid-run, Procore's rate limits, duplicated, reordered and lost webhook deliveries, a
crash between posting a journal and recording it, a cost code EBS does not have yet, a closed period and a purchase
order moved to another project."""

import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import dagster as dg
import pytest

from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.faults import FaultPlan
from ml_connector_dagster.sandbox.oracle_ebs import chart
from ml_connector_dagster.sandbox.procore import activity
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.webhooks import SourceAuth, build_app
from tests.e2e.conftest import JDE_ZOHO, NOW, Env, load_metadata, sandbox_env
from tests.e2e.test_dynamics_fo_events import Receiver
from tests.e2e.test_oracle_ebs_procore import (
    DAY,
    FORWARD,
    REVERSE,
    agrees,
    go_live,
    journals,
    lines_of,
    write_calls,
)

# One seeded day, the sandbox clock's: every purchase order EBS changed that day, so a go-live is one initial load and
# one daily run, and whatever a Procore user does now falls in that day too.
TINY = replace(JDE_ZOHO, vendors=20, start_date=date(2026, 10, 3), days=1)
# The shared sandbox clock moved at an exact request: past EBS's idle session timeout (ICX, 30 min) but inside
# Procore's token lifetime (90 min), and past Procore's token lifetime (and so EBS's timeout too).
PAST_EBS_IDLE = 31 * 60
PAST_PROCORE_TOKEN = 5401
EBS_SERVICE = "/webservices/rest/xxmlc_sync/"


@pytest.fixture
def env(tmp_path):
    with sandbox_env(tmp_path, TINY) as made:
        yield made.with_resources()


def tokens_issued(procore) -> int:
    return sum(1 for r in procore.requests if r["path"] == "/oauth/token" and r["status"] == 200)


def api_statuses(procore, since: int = 0) -> list[int]:
    """The statuses of the API calls (not the token requests) from request number `since` on."""
    return [r["status"] for r in list(procore.requests)[since:] if r["path"].startswith("/rest/")]


def test_an_ebs_session_and_a_procore_token_dying_mid_run_are_renewed_once_each_and_nothing_is_lost_or_posted_twice(
    env,
):
    ebs, procore = env.ebs, env.sandbox["procore"]
    # Forward: EBS's session dies at the go-live's second service call, Procore's token at its fourth contract sync,
    # once EBS has answered everything the run reads from it.
    ebs.faults.add(FaultPlan(advance_clock_seconds=PAST_EBS_IDLE, skip=1, path_contains=EBS_SERVICE))
    procore.faults.add(
        FaultPlan(advance_clock_seconds=PAST_PROCORE_TOKEN, skip=3, method="PATCH", path_contains="contracts/sync")
    )
    go_live(env)  # two runs: the initial load and the day's
    assert ebs.faults.injected == 1 and procore.faults.injected == 1
    assert ebs.sessions_opened == 2 + 1, "one run, one session; the expired one was replaced by one new login"
    # Every call in flight when the token died (the projects' syncs go side by side) heard 401 and was repeated once
    # with the one token renewed for them all.
    refused = api_statuses(procore).count(401)
    assert 1 <= refused <= env.resources["procore"].max_parallel_batches and tokens_issued(procore) == 2 + 1
    assert not [d for d in env.ledger.open_dead_letters(FORWARD) if "several projects" not in d.error_message]
    agrees(env)

    # Reverse: Procore's token dies at the second read of the project team's costs, EBS's session at the post.
    done = activity.bill_and_change(procore)
    sessions, tokens, requests = ebs.sessions_opened, tokens_issued(procore), len(procore.requests)
    procore.faults.add(FaultPlan(advance_clock_seconds=PAST_PROCORE_TOKEN, skip=1, method="GET"))
    ebs.faults.add(FaultPlan(advance_clock_seconds=PAST_EBS_IDLE, path_contains="/post_journals/"))
    result = env.run(DAY, job=REVERSE)
    assert ebs.faults.injected == 2 and procore.faults.injected == 2
    assert ebs.sessions_opened == sessions + 2 and tokens_issued(procore) == tokens + 2
    assert api_statuses(procore, requests).count(401) == 1
    assert write_calls(result) == 2, "the post refused for its dead session, and the same post again"
    posted = journals(env)
    assert len(posted) == len(done["requisitions"]) + len(done["change_orders"]) == 4
    assert len({h["EXTERNAL_REFERENCE"] for h in posted}) == 4
    assert not env.ledger.open_dead_letters(REVERSE)
    assert write_calls(env.run(DAY, job=REVERSE)) == 0
    agrees(env)


@pytest.fixture
def moving(tmp_path):
    """The sandbox on a clock that moves with real time, as Procore's rate windows do; the client paces itself by
    the same time (X-Rate-Limit-Reset is an epoch second)."""
    with sandbox_env(tmp_path, TINY, clock=Clock()) as made:
        yield made


def test_a_go_live_under_a_small_hourly_limit_and_the_spike_limit_meets_no_429_and_finishes(moving):
    procore = moving.sandbox["procore"]
    # An "hour" of 4 s that allows 45 requests, and 40 requests a second: the go-live's initial load alone makes more
    # than 45, faster than 40 a second when let, so it meets both. The hour is long enough for its reset to be told
    # from the spike window's (both are whole seconds, rounded up).
    hourly, spike = 45, 40
    procore.update_settings(
        {"hourly_limit": hourly, "rate_window_seconds": 4, "spike_limit": True, "spike_requests": spike,
         "spike_seconds": 1}
    )  # fmt: skip
    env = moving.with_resources(
        procore={
            "rate_reserve": 5,
            # the reserve above the requests in flight, whose answers are not heard yet (rate.py)
            "max_parallel_batches": 4,
            "spike_requests": spike - 8,
            "spike_window_seconds": 1,
            "max_retry_wait_seconds": 5,
        }
    )
    go_live(env)
    calls = [r for r in procore.requests if r["path"].startswith("/rest/")]
    assert [r["status"] for r in calls if r["status"] >= 400] == [], "no 429, nor any other refusal"
    per_token = Counter(r["headers"]["authorization"] for r in calls)
    assert max(per_token.values()) > hourly, "a run went on past the limit of one window, after its reset"
    assert len([c for c in procore.state("purchase_order_contracts") if c.get("origin_id")]) > 20
    agrees(env)


@pytest.fixture
def watched(env):
    """The webhook receiver served beside the emulators (its inbox the test's ledger), Procore's hook registered to
    it by the set-up job, and the go-live done: a Procore user's change now raises an event at the receiver."""
    procore = env.sandbox["procore"]
    procore.update_settings({"webhook_timescale": 0.001})  # a backoff of 1 s waits 1 ms
    receiver = build_app(env.ledger, [SourceAuth("procore", SANDBOX.procore_webhook_key)])
    with SandboxServer([Receiver(receiver)]) as hook:
        watched = env.with_resources(procore={"webhook_url": f"{hook.url('webhooks')}/webhooks/procore"})
        setup = watched.defs.resolve_job_def("procore_webhook_setup").execute_in_process(instance=env.instance)
        assert setup.success
        [registered] = procore.state("hooks")
        assert registered["destination_url"] == f"{hook.url('webhooks')}/webhooks/procore"
        assert len(procore.state("triggers")) == 4
        go_live(watched)
        yield watched, hook


def last_event(env: Env) -> int:
    return max((row["id"] for row in env.ledger.inbox_after("procore", 0)), default=0)


def notified_days(env: Env, after: int) -> list[str]:
    """The partitions the `procore_events` sensor asks to run for the events stored after inbox row `after`."""
    with dg.build_sensor_context(
        instance=env.instance, definitions=env.defs, resources=env.resources, cursor=str(after)
    ) as context:
        requests = env.defs.resolve_sensor_def("procore_events")(context)
    return [] if isinstance(requests, dg.SkipReason) else [r.partition_key for r in requests]


def test_duplicated_and_reordered_deliveries_are_stored_once_and_their_run_posts_one_journal_per_cost(watched):
    env, _ = watched
    procore = env.sandbox["procore"]
    procore.update_settings({"webhook_duplicates": True, "webhook_hold": True})
    before = last_event(env)
    done = activity.bill_and_change(procore)
    events = procore.webhooks.release(newest_first=True)
    assert events and procore.webhooks.drain(10)
    delivered = procore.deliveries()
    assert len(delivered) == 2 * events and {d["outcome"] for d in delivered} == {"ok"}, "each event twice"
    stored = env.ledger.inbox_after("procore", before)
    assert len(stored) == events == len({row["payload"]["ulid"] for row in stored}), "each event kept once"
    _, requisition_id = done["requisitions"][0]
    changes = [
        row["payload"]
        for row in stored
        if (row["payload"]["resource_name"], row["payload"]["resource_id"]) == ("Requisitions", requisition_id)
    ]
    assert [c["event_type"] for c in changes] == ["update", "update", "create"], "its approval came first"
    assert notified_days(env, before) == [DAY]
    assert write_calls(env.run(DAY, job=REVERSE)) == 1
    assert len(journals(env)) == len(done["requisitions"]) + len(done["change_orders"])
    assert write_calls(env.run(DAY, job=REVERSE)) == 0
    agrees(env)


def test_a_delivery_missed_while_the_receiver_was_down_is_posted_once_by_the_next_mornings_poll(watched):
    env, hook = watched
    procore = env.sandbox["procore"]
    hook.stop()
    before = last_event(env)
    done = activity.bill_and_change(procore)
    deadline = time.monotonic() + 5
    while not any(d["outcome"] == "retried" for d in procore.deliveries()) and time.monotonic() < deadline:
        time.sleep(0.01)
    [destination] = procore.webhooks.deliveries.state().values()
    assert destination["paused"] and destination["queued"] > 1
    procore.clock.advance(24 * 3600)  # a day of failures, on Procore's clock
    assert procore.webhooks.drain(10)
    outcomes = Counter(d["outcome"] for d in procore.deliveries())
    assert outcomes["ok"] == 0 and outcomes["failed"] == destination["queued"], "flushed, lost"
    assert len({d["event_id"] for d in procore.deliveries() if d["outcome"] == "retried"}) == 1, "paused behind one"
    assert not env.ledger.inbox_after("procore", before) and notified_days(env, before) == []

    schedule = env.defs.resolve_schedule_def("procore_oracle_ebs_schedule")
    morning = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time(), UTC).replace(
        hour=env.config.schedule_hour
    )
    with dg.build_schedule_context(
        instance=env.instance, repository_def=env.defs.get_repository_def(), scheduled_execution_time=morning
    ) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == DAY
    env.run(request.partition_key, job=REVERSE)
    assert len(journals(env)) == len(done["requisitions"]) + len(done["change_orders"])
    assert write_calls(env.run(DAY, job=REVERSE)) == 0
    agrees(env)


def test_a_crash_between_posting_the_journals_and_recording_them_is_made_good_by_the_rerun_without_a_second_posting(
    env,
):
    ebs, procore = env.ebs, env.sandbox["procore"]
    go_live(env)
    done = activity.bill_and_change(procore)
    costs = len(done["requisitions"]) + len(done["change_orders"])
    # EBS imports the journals, then the answer is lost; one attempt a call, so the run fails there.
    ebs.update_settings({"lose_answer_after_commit": 1})
    crashed = env.with_resources(oracle_ebs={"max_attempts": 1}).run(DAY, job=REVERSE, raise_on_error=False)
    assert not crashed.success
    [failure] = crashed.get_step_failure_events()
    assert failure.step_key == "oracle_ebs__procore_gl_journals"
    assert len(journals(env)) == costs, "EBS holds them"
    assert not env.ledger.synced(REVERSE, "gl_journals"), "the ledger does not know"

    rerun = env.run(DAY, job=REVERSE)
    assert write_calls(rerun) == 0, "what EBS holds is what the costs amount to: nothing to post"
    [accounted] = [c for c in rerun.get_asset_check_evaluations() if c.check_name.startswith("every_gl_journals")]
    assert accounted.passed, "each cost's journal is in EBS as far as the ledger knows"
    posted = journals(env)
    assert sorted(h["EXTERNAL_REFERENCE"] for h in posted) == sorted(
        f"procore.{kind}.{project}.{cost}.1"
        for kind, listed in (("requisition", done["requisitions"]), ("change_order", done["change_orders"]))
        for project, cost in listed
    )
    recorded = {state.target_id for state in env.ledger.synced(REVERSE, "gl_journals").values()}
    assert recorded == {str(h["JE_HEADER_ID"]) for h in posted}, "the ledger learnt where EBS holds each"
    assert not env.ledger.open_dead_letters(REVERSE)
    agrees(env)


def approved_contract(procore, project: int) -> dict:
    """The project's first approved contract the connector made (the one `activity.bill_and_change` bills)."""
    contracts = procore.state("purchase_order_contracts", project)
    return next(c for c in contracts if c.get("origin_id") and c["status"] == "approved")


def test_a_cost_code_ebs_lacks_is_a_dead_letter_until_its_combination_exists_then_linked_and_posted_once(env):
    ebs, procore = env.ebs, env.sandbox["procore"]
    go_live(env)
    # A project engineer adds a cost code under the project's General Requirements division, and a change order on it.
    [division] = [c for c in procore.state("cost_codes", 101) if c["full_code"] == "01" and not c.get("deleted_at")]
    added = procore.create_cost_code(101, "5150", "Winter Protection", parent_id=division["id"])
    contract = approved_contract(procore, 101)
    title = "Winter protection of the podium slab"
    order = procore.create_change_order(
        101, contract["id"], title, line_items=[{"cost_code_id": added["id"], "amount": "750.00", "description": title}]
    )
    procore.edit_change_order(101, order["id"], {"status": "approved"})
    env.run(DAY, job=REVERSE)
    key = f"procore.change_order.101.{order['id']}"
    [letter] = [d for d in env.ledger.open_dead_letters(REVERSE) if d.source_key == key]
    assert f"cost code {added['id']} of project 101 has no GL combination" in letter.error_message
    assert not journals(env)

    # The EBS administrator adds the account value and the combination (Harbor Point Tower, General Requirements).
    account = next(segment for segment in chart.SEGMENTS if segment.column == "SEGMENT3")
    ebs.insert_row(
        "FND_FLEX_VALUES_VL",
        {"FLEX_VALUE_SET_ID": account.value_set_id, "FLEX_VALUE": "5150", "DESCRIPTION": "Winter Protection",
         "ENABLED_FLAG": "Y", "SUMMARY_FLAG": "N"},
    )  # fmt: skip
    combination = ebs.insert_row(
        "GL_CODE_COMBINATIONS", {"SEGMENT1": "01", "SEGMENT2": "1100", "SEGMENT3": "5150", "SEGMENT4": "01"}
    )
    forward = env.run(DAY, job=FORWARD)
    assert load_metadata(forward)["procore/oracle_ebs_cost_codes"]["created"] == 1, "new to the ledger"
    codes = [c for c in procore.state("cost_codes", 101) if c["full_code"] == "01-5150" and not c.get("deleted_at")]
    assert [(c["id"], c["origin_id"]) for c in codes] == [(added["id"], str(combination["CODE_COMBINATION_ID"]))]

    other_day = (NOW.date() + timedelta(days=1)).isoformat()  # any partition: the dead letter's cost is read again
    env.run(other_day, job=REVERSE)
    [posted] = journals(env)
    assert posted["EXTERNAL_REFERENCE"] == f"{key}.1"
    assert [
        (line["CODE_COMBINATION_ID"], Decimal(str(line["ENTERED_DR"])))
        for line in lines_of(env, posted)
        if line["ENTERED_DR"]
    ] == [(combination["CODE_COMBINATION_ID"], Decimal("750.00"))], "debited to the new combination"
    assert not [d for d in env.ledger.open_dead_letters(REVERSE) if d.source_key == key]
    assert write_calls(env.run(DAY, job=REVERSE)) == 0
    agrees(env)


def test_a_requisition_billed_in_a_closed_month_waits_with_ebs_reason_and_once_the_period_opens_replay_posts_it_once(
    env,
):
    ebs, procore = env.ebs, env.sandbox["procore"]
    go_live(env)
    contract = approved_contract(procore, 102)
    [line] = [line for line in procore.state("line_items", 102) if line["holder"]["id"] == contract["id"]][:1]
    late = procore.create_requisition(
        102,
        contract["id"],
        items=[{"line_item_id": line["id"], "work_completed_this_period": "1200.00"}],
        invoice_number="SEP-LATE-1",
        billing_date="2026-09-30",
    )
    procore.edit_requisition(102, late["id"], {"status": "under_review"})
    procore.edit_requisition(102, late["id"], {"status": "approved"})
    env.run(DAY, job=REVERSE)
    key = f"procore.requisition.102.{late['id']}"
    [letter] = env.ledger.open_dead_letters(REVERSE)
    assert (letter.source_key, letter.error_class, letter.error_code) == (key, "validation", "EP01")
    assert "SEP-26" in letter.error_message, letter.error_message
    assert not journals(env)

    ebs.set_period_status("SEP-26", "O")  # the controller reopens September for the late invoice
    replayed = env.defs.resolve_job_def("replay_oracle_ebs").execute_in_process(instance=env.instance)
    assert replayed.success
    [posted] = journals(env)
    assert (posted["EXTERNAL_REFERENCE"], posted["PERIOD_NAME"]) == (f"{key}.1", "SEP-26")
    assert not env.ledger.open_dead_letters(REVERSE)
    assert write_calls(env.run(DAY, job=REVERSE)) == 0 and len(journals(env)) == 1
    agrees(env)


def recharge(env: Env, po_header_id: str, cost_center: str) -> None:
    """A buyer re-charges every distribution of a purchase order to the same accounts of another cost centre."""
    ebs = env.ebs
    for distribution in ebs.rows("PO_DISTRIBUTIONS_ALL", PO_HEADER_ID=int(po_header_id)):
        [charged] = ebs.rows("GL_CODE_COMBINATIONS", CODE_COMBINATION_ID=distribution["CODE_COMBINATION_ID"])
        [moved] = ebs.rows(
            "GL_CODE_COMBINATIONS",
            SEGMENT1=charged["SEGMENT1"],
            SEGMENT2=cost_center,
            SEGMENT3=charged["SEGMENT3"],
            SEGMENT4=charged["SEGMENT4"],
        )
        ebs.update_row(
            "PO_DISTRIBUTIONS_ALL",
            distribution["PO_DISTRIBUTION_ID"],
            {"CODE_COMBINATION_ID": moved["CODE_COMBINATION_ID"]},
        )


def live_contracts(procore, project: int, origin_id: str) -> list[dict]:
    return [
        c
        for c in procore.state("purchase_order_contracts", project)
        if c.get("origin_id") == origin_id and not c.get("deleted_at")
    ]


def test_a_purchase_order_moved_to_another_project_leaves_the_old_one_and_one_refused_for_its_requisition_stays(env):
    procore = env.sandbox["procore"]
    go_live(env)
    done = activity.bill_and_change(procore)  # a requisition on the first contract of 101 (and of 102)
    env.run(DAY, job=REVERSE)
    billed = approved_contract(procore, 101)
    assert any(r["commitment_id"] == billed["id"] for r in procore.state("requisitions", 101))
    free = next(
        c
        for c in procore.state("purchase_order_contracts", 101)
        if c.get("origin_id") and c["id"] != billed["id"] and c["status"] == "approved"
    )
    recharge(env, free["origin_id"], "1200")  # Harbor Point Tower → Riverside Clinic
    recharge(env, billed["origin_id"], "1300")  # Harbor Point Tower → Depot Yard Expansion, refused
    env.run(DAY, job=FORWARD)

    assert not live_contracts(procore, 101, free["origin_id"]), "gone from its old project"
    [moved] = live_contracts(procore, 102, free["origin_id"])
    lines = [line for line in procore.state("line_items", 102) if line["holder"]["id"] == moved["id"]]
    codes = {c["id"]: c for c in procore.state("cost_codes", 102)}
    distributions = env.ebs.rows("PO_DISTRIBUTIONS_ALL", PO_HEADER_ID=int(free["origin_id"]))
    assert sorted(str(codes[line["cost_code"]["id"]]["origin_id"]) for line in lines) == sorted(
        str(d["CODE_COMBINATION_ID"]) for d in distributions
    ), "its lines on Riverside Clinic's cost codes"
    assert env.ledger.target_ids(FORWARD, "purchase_order_contracts")[free["origin_id"]] == f"102:{moved['id']}"

    [letter] = [d for d in env.ledger.open_dead_letters(FORWARD) if d.source_key == billed["origin_id"]]
    assert "could not be removed from its old project" in letter.error_message
    assert "while it has requisitions" in letter.error_message, "Procore's reason"
    [kept] = live_contracts(procore, 101, billed["origin_id"])
    assert kept == billed, "the old contract untouched"
    assert not live_contracts(procore, 103, billed["origin_id"])
    assert len(journals(env)) == len(done["requisitions"]) + len(done["change_orders"])
    agrees(env)
