"""The JD Edwards ↔ Zoho CRM pair under the faults of issue #12, against the real jobs and emulators over HTTP: tokens
dying mid-run on both sides, an org in another data centre, API credits running out, lost and duplicated callbacks,
and an orchestration refusing a record until it is fixed and replayed."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.faults import FaultPlan
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.webhooks import SourceAuth, build_app
from tests.e2e.conftest import JDE_ZOHO, NOW, Env, load_metadata, sandbox_env
from tests.e2e.test_dynamics_fo_events import Receiver

FORWARD, REVERSE = "jde__zoho_crm", "zoho_crm__jde"
DAY = NOW.date().isoformat()
# One seeded day, the sandbox clock's: every JDE entry changed that day, and a Zoho edit made now lands in it too.
TINY = replace(JDE_ZOHO, jde_customers=12, jde_vendors=3, dormant_jde=0, start_date=date(2026, 10, 3), days=1)
# The shared sandbox clock moved at an exact request: past AIS's inactivity timeout (30 min) but inside Zoho's
# token lifetime (1 h), and past Zoho's token lifetime.
PAST_AIS_IDLE = 31 * 60
PAST_ZOHO_TOKEN = 3601


@pytest.fixture
def env(tmp_path):
    with sandbox_env(tmp_path, TINY) as made:
        yield made.with_resources()


def writes(result: dg.ExecuteInProcessResult) -> dict[str, tuple]:
    """(created, updated, failed) of each load asset of the run."""
    return {
        key: (md["created"], md["updated"], md["failed"])
        for key, md in load_metadata(result).items()
        if "write_calls" in md
    }


def written(result: dg.ExecuteInProcessResult) -> int:
    return sum(created + updated for created, updated, _ in writes(result).values())


def zoho_accounts(env: Env, dc: str = "us") -> list[dict]:
    return [r for r in env.sandbox["zoho_crm"].records(dc, "Accounts") if r.get("JDE_Address_Number")]


def test_an_ais_token_and_a_zoho_token_dying_mid_run_are_renewed_and_no_record_is_lost(env):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    # AIS's session dies at the second data-service read, Zoho's token at the first write.
    jde.faults.add(FaultPlan(advance_clock_seconds=PAST_AIS_IDLE, skip=1, path_contains="/dataservice"))
    zoho.faults.add(FaultPlan(advance_clock_seconds=PAST_ZOHO_TOKEN, method="POST", path_contains="/upsert"))
    result = env.run(DAY, job=FORWARD)
    assert jde.faults.injected == 1 and zoho.faults.injected == 1
    statuses = [r["status"] for r in zoho.requests if r["path"].startswith("/api/")]
    assert 401 in statuses, "Zoho refused the dead token"
    assert jde.tokens_issued >= 2, "AIS answered 444 and the client asked for a new token"
    counts = writes(result)
    assert counts["zoho_crm/jde_accounts"][0] > 0 and all(failed == 0 for *_, failed in counts.values())
    assert not env.ledger.open_dead_letters(FORWARD)
    accounts = zoho_accounts(env)
    assert len({a["JDE_Address_Number"] for a in accounts}) == len(accounts) == counts["zoho_crm/jde_accounts"][0]
    assert written(env.run(DAY, job=FORWARD)) == 0, "nothing was lost: a second run has nothing to send"


def test_tokens_dying_while_the_reverse_run_creates_jde_customers_are_renewed_and_each_is_created_once(env):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    names = [f"Token Test {n}" for n in range(3)]
    zoho.create("us", "Accounts", [{"Account_Name": name, "Account_Type": "Customer"} for name in names])
    # AIS's session dies at the second create, Zoho's token when the new JDE keys go back onto the accounts.
    jde.faults.add(FaultPlan(advance_clock_seconds=PAST_AIS_IDLE, skip=1, path_contains="/orchestrator/MLC_Add"))
    zoho.faults.add(FaultPlan(advance_clock_seconds=PAST_ZOHO_TOKEN, method="PUT", path_contains="/Accounts"))
    env.run(DAY, job=REVERSE)
    assert jde.faults.injected == 1 and zoho.faults.injected == 1
    assert 401 in [r["status"] for r in zoho.requests]
    made = {name: jde.rows("F0101", ALPH=name) for name in names}
    assert all(len(rows) == 1 for rows in made.values()), made
    keys = {a["Account_Name"]: a.get("JDE_Address_Number") for a in zoho.records("us", "Accounts")}
    assert all(keys[name] == str(rows[0]["AN8"]) for name, rows in made.items())
    assert not env.ledger.open_dead_letters(REVERSE)


def test_an_org_in_the_eu_data_centre_is_reached_only_there_and_a_us_token_at_the_eu_server_names_the_setting(env):
    zoho = env.sandbox["zoho_crm"]
    eu = {
        "data_centre": "eu",
        "accounts_url": f"{env.sandbox.urls['zoho_crm']}/accounts/eu",
        "refresh_token": SANDBOX.zoho_eu_refresh_token,
    }
    us_before = len(zoho_accounts(env, "us"))
    zoho.requests.clear()
    result = env.with_resources(zoho_crm=eu).run(DAY, job=FORWARD)
    created = writes(result)["zoho_crm/jde_accounts"][0]
    assert created > 0
    calls = list(zoho.requests)
    assert calls and {(c["dc"], c["path"].split("/")[1]) for c in calls} == {("eu", "accounts"), ("eu", "api")}
    assert len(zoho_accounts(env, "eu")) == created and len(zoho_accounts(env, "us")) == us_before

    us_at_eu = env.with_resources(zoho_crm={**eu, "refresh_token": SANDBOX.zoho_refresh_token})
    refused = us_at_eu.run(DAY, job=FORWARD, raise_on_error=False)
    assert not refused.success
    [message] = {e.step_failure_data.user_failure_data.description for e in refused.get_step_failure_events()}
    assert message.startswith("zoho_crm: ") and "ZOHO_CRM_DATA_CENTRE" in message and "eu" in message
    assert SANDBOX.zoho_refresh_token not in message
    assert {c["path"] for c in list(zoho.requests)[len(calls) :]} == {"/accounts/eu/oauth/v2/token"}


def test_an_account_jde_refuses_is_a_dead_letter_with_jdes_message_and_once_edited_replay_creates_it_once(env):
    jde, zoho = env.sandbox["jde"], env.sandbox["zoho_crm"]
    name = "Unknown Terms Ltd"
    zoho.create("us", "Accounts", [{"Account_Name": name, "Account_Type": "Customer", "Payment_Terms": "N99"}])
    env.run(DAY, job=REVERSE)
    [letter] = [d for d in env.ledger.open_dead_letters(REVERSE) if d.record_payload.get("AlphaName") == name]
    assert letter.error_class == "validation" and "N99" in letter.error_message and "F0014" in letter.error_message
    assert not jde.rows("F0101", ALPH=name)

    env.ledger.edit_dead_letter(letter.id, {**letter.record_payload, "PaymentTerms": "N30"}, by="alice")
    replayed = env.defs.resolve_job_def("replay_jde").execute_in_process(instance=env.instance)
    assert replayed.success
    [made] = jde.rows("F0101", ALPH=name)
    assert jde.row("F03012", f"{made['AN8']}.00001")["TRAR"] == "N30"
    assert not env.ledger.open_dead_letters(REVERSE)
    env.run(DAY, job=REVERSE)
    assert len(jde.rows("F0101", ALPH=name)) == 1, "the next run does not create it a second time"
    [account] = [a for a in zoho.records("us", "Accounts") if a["Account_Name"] == name]
    assert account["JDE_Address_Number"] == str(made["AN8"]), "its JDE key went back onto the Zoho account"


def test_zoho_credits_running_out_stop_the_run_cleanly_and_the_next_run_sends_the_rest_once(env):
    zoho = env.sandbox["zoho_crm"]
    # Writes cost far more than reads here: a day's credits last for two upserts, not a third.
    zoho.update_settings({"credit_costs": {"default": 1, "upsert": 100}, "daily_credits": 250})
    stopped = env.with_resources(zoho_crm={"batch_size": 5}).run(DAY, job=FORWARD, raise_on_error=False)
    assert [r["status"] for r in zoho.requests].count(429) == 1, "one refused call, then nothing more was sent"
    accounts = load_metadata(stopped)["zoho_crm/jde_accounts"]
    assert (accounts["created"], accounts["failed_quota"]) == (10, 5)
    accounts_of_the_day = accounts["records"]
    letters = env.ledger.open_dead_letters(FORWARD)
    assert len(letters) == 5 and {d.error_class for d in letters} == {"quota"}
    [failure] = stopped.get_step_failure_events()
    assert failure.step_key == "zoho_crm__jde_contact_payloads", "the contacts wait for the next run: no reads either"
    assert "API credits are spent" in failure.event_specific_data.error.cause.message
    assert len(zoho_accounts(env)) == 10

    zoho.clock.advance(86400)  # the rolling 24 hours have passed: the credits are back
    # Every run shares what Zoho said of the credits for credits_recheck_seconds of real time; the 24 hours passed on
    # the emulator's clock alone, so the next run is told to ask again at once.
    resumed = env.with_resources(zoho_crm={"credits_recheck_seconds": 0}).run(DAY, job=FORWARD)
    assert writes(resumed)["zoho_crm/jde_accounts"] == (5, 0, 0)
    assert not env.ledger.open_dead_letters(FORWARD)
    accounts = zoho_accounts(env)
    assert len(accounts) == len({a["JDE_Address_Number"] for a in accounts}) == accounts_of_the_day
    contacts = [c for c in zoho.records("us", "Contacts") if c.get("JDE_Contact_Key")]
    assert contacts and len(contacts) == len({c["JDE_Contact_Key"] for c in contacts})
    assert writes(resumed)["zoho_crm/jde_contacts"][0] == len(contacts)


@pytest.fixture
def watched(env):
    """The webhook receiver served beside the emulators, the notification channel registered to it by the channel
    renewal job, and the day's JDE customers synced to Zoho: a Zoho edit now raises a callback to the receiver."""
    receiver = build_app(env.ledger, [SourceAuth("zoho_crm", SANDBOX.zoho_webhook_token)])
    with SandboxServer([Receiver(receiver)]) as hook:
        watched = env.with_resources(zoho_crm={"notify_url": f"{hook.url('webhooks')}/webhooks/zoho_crm"})
        assert (
            watched.defs.resolve_job_def("zoho_crm_channel_renewal").execute_in_process(instance=env.instance).success
        )
        assert env.sandbox["zoho_crm"].records("us", "Accounts")  # the org answers
        watched.run(DAY, job=FORWARD)
        yield watched


def edit_payment_terms(env: Env, nth: int, terms: str) -> int:
    """A rep changes the payment terms of a synced account in Zoho; answers its JDE address number."""
    zoho = env.sandbox["zoho_crm"]
    account = sorted(zoho_accounts(env), key=lambda a: int(a["JDE_Address_Number"]))[nth]
    assert zoho.edit("us", "Accounts", account["id"], {"Payment_Terms": terms})["status"] == "success"
    assert zoho.notifier.idle(10)
    return int(account["JDE_Address_Number"])


def terms_in_jde(env: Env, an8: int) -> str:
    return env.sandbox["jde"].row("F03012", f"{an8}.00001")["TRAR"].strip()


def last_event(env: Env) -> int:
    return max(row["id"] for row in env.ledger.inbox_after("zoho_crm", 0))


def notified_days(env: Env, after: int) -> list[str]:
    """The partitions the notification sensor asks to run for the events stored after inbox row `after`."""
    with dg.build_sensor_context(
        instance=env.instance, definitions=env.defs, resources=env.resources, cursor=str(after)
    ) as context:
        requests = env.defs.resolve_sensor_def("zoho_crm_notifications")(context)
    return [] if isinstance(requests, dg.SkipReason) else [r.partition_key for r in requests]


def test_a_lost_callback_is_caught_by_the_next_mornings_poll(watched):
    zoho = watched.sandbox["zoho_crm"]
    zoho.update_settings({"drop_callbacks": True})
    before = last_event(watched)
    an8 = edit_payment_terms(watched, 0, "N60")
    assert zoho.notifier.sent[-1]["outcome"] == "dropped"
    assert not watched.ledger.inbox_after("zoho_crm", before) and notified_days(watched, before) == []
    assert terms_in_jde(watched, an8) != "N60"

    schedule = watched.defs.resolve_schedule_def("zoho_crm_jde_schedule")
    morning = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time(), UTC).replace(
        hour=watched.config.schedule_hour
    )
    with dg.build_schedule_context(
        instance=watched.instance, repository_def=watched.defs.get_repository_def(), scheduled_execution_time=morning
    ) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == DAY
    polled = watched.run(request.partition_key, job=REVERSE)
    assert writes(polled)["jde/zoho_crm_customers"][1] == 1
    assert terms_in_jde(watched, an8) == "N60"


def test_a_duplicated_callback_is_stored_once_and_its_runs_write_the_edit_once(watched):
    zoho = watched.sandbox["zoho_crm"]
    zoho.update_settings({"duplicate_callbacks": True})
    before, sent = last_event(watched), len(zoho.notifier.sent)
    an8 = edit_payment_terms(watched, 1, "N60")
    assert [c["outcome"] for c in zoho.notifier.sent[sent:]] == [200, 200], "Zoho delivered the callback twice"
    assert len(watched.ledger.inbox_after("zoho_crm", before)) == 1
    assert notified_days(watched, before) == [DAY]
    first, second = (watched.run(DAY, job=REVERSE) for _ in range(2))
    assert writes(first)["jde/zoho_crm_customers"][1] == 1 and terms_in_jde(watched, an8) == "N60"
    assert written(second) == 0
