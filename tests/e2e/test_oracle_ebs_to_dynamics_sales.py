"""Oracle EBS → Dynamics 365 Sales through the Dagster job, against the emulators over real HTTP."""

from datetime import UTC, date, datetime

import dagster as dg
import pytest

from ml_connector_dagster.demo import verify
from ml_connector_dagster.sandbox.faults import FaultPlan
from tests.e2e.conftest import EBS_JOB, NOW, load_metadata, partition_checks

ACCOUNTS, CONTACTS = "dynamics_sales/oracle_ebs_accounts", "dynamics_sales/oracle_ebs_contacts"
TODAY = NOW.date().isoformat()
DAY_AFTER_THE_END = datetime(2026, 10, 6, 1, 0, tzinfo=UTC)  # the end dates these tests set fall on 2026-10-05


def agrees(env) -> bool:
    report = verify(env.config, env.resources, pairs=(EBS_JOB,))
    for agreement in report:
        assert agreement.agrees, agreement
    return True


def some_account_party_id(env) -> str:
    row = next(r for r in env.dataverse.rows("account") if r["mlc_externalid"].startswith("oracle_ebs.party."))
    return row["mlc_externalid"].rsplit(".", 1)[1]


def test_sync_agrees_checks_pass_and_rerun_writes_nothing(env):
    results = [env.run(day) for day in env.size.partition_keys()]
    assert agrees(env)
    checks = partition_checks(*results)
    assert checks and all(e.passed for e in checks), [e.check_name for e in checks if not e.passed]
    # the seed's mess (blank names) is in dead letters: each load's dead-letter check warns and says how many
    dead_letter_checks = {e.check_name: e for e in results[-1].get_asset_check_evaluations()}
    for obj in ("account", "contact"):
        check = dead_letter_checks[f"no_{obj}_in_dead_letters"]
        open_letters = len(env.ledger.dead_letter_keys(EBS_JOB, obj))
        assert check.passed == (open_letters == 0) and check.metadata["open_dead_letters"].value == open_letters
    assert not dead_letter_checks["no_account_in_dead_letters"].passed
    created = sum(load_metadata(r)[ACCOUNTS]["created"] for r in results)
    assert created == env.dataverse.count("account")
    writes_before = env.dataverse.stats()
    rerun = load_metadata(env.run(env.size.partition_keys()[1]))
    assert rerun[ACCOUNTS]["write_calls"] == 0 and rerun[CONTACTS]["write_calls"] == 0
    assert rerun[ACCOUNTS]["created"] == rerun[ACCOUNTS]["updated"] == 0
    assert env.dataverse.stats() == writes_before


def test_an_edit_in_ebs_reaches_its_account_on_the_next_run_of_that_day(env):
    env.run_all()
    party_id = some_account_party_id(env)
    env.ebs.update_row("HZ_PARTIES", party_id, {"PARTY_NAME": "Renamed Holdings Ltd"})
    metadata = load_metadata(env.run(TODAY))
    assert metadata[ACCOUNTS]["updated"] >= 1
    [account] = env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{party_id}")
    assert account["name"] == "Renamed Holdings Ltd"
    audit = [row for row in env.ledger.audit(source_key=f"oracle_ebs.party.{party_id}") if row["action"] == "updated"]
    assert audit[-1]["changes"]["name"][1] == "Renamed Holdings Ltd"
    assert agrees(env)


def test_runs_end_in_agreement_under_throttling_errors_and_expiring_sessions(env):
    service = "/webservices/rest/xxmlc_sync/"
    env.ebs.faults.add(FaultPlan(status=503, count=2, path_contains="get_parties"))
    env.ebs.faults.add(FaultPlan(status=0, count=1, path_contains="get_cust_accounts"))
    # two hours pass during the third call: the ICX session (30 min) expires mid-extract
    env.ebs.faults.add(FaultPlan(advance_clock_seconds=7200, skip=2, path_contains=service))
    env.dataverse.faults.add(FaultPlan(status=429, count=3, retry_after=1, path_contains="UpsertMultiple"))
    env.dataverse.faults.add(FaultPlan(status=502, count=1, path_contains="$batch"))
    # and the Entra token (1 h) expires between two writes
    env.dataverse.faults.add(FaultPlan(advance_clock_seconds=7200, skip=1, path_contains="UpsertMultiple"))
    env.run_all()
    assert env.ebs.faults.injected == 4 and env.dataverse.faults.injected == 5
    runs = len(env.size.partition_keys())
    assert env.ebs.sessions_opened == runs + 1, "one login per run, plus one after the session expired"
    assert env.sandbox["entra"].tokens_issued >= runs + 1, "a token per run, plus one after it expired"
    assert agrees(env)


def test_a_run_killed_mid_load_reruns_to_agreement_without_duplicates(env):
    # One batch at a time, so that the two dropped answers are the same batch's two attempts.
    small_batches = env.with_resources(dynamics_sales={"batch_size": 40, "max_attempts": 2, "max_parallel_batches": 1})
    first_day = env.size.partition_keys()[0]
    # the second batch is written by Dataverse but its answer never arrives, twice: the run fails mid-load
    env.dataverse.faults.add(FaultPlan(drop_after_processing=True, count=2, skip=1, path_contains="UpsertMultiple"))
    failed = small_batches.run(first_day, raise_on_error=False)
    assert not failed.success
    assert small_batches.run(first_day).success
    for day in env.size.partition_keys()[1:]:
        small_batches.run(day)
    keys = [row["mlc_externalid"] for row in env.dataverse.rows("account")]
    assert len(keys) == len(set(keys))
    assert agrees(env)


def test_bad_records_go_to_dead_letters_the_run_goes_on_and_replay_succeeds(env):
    env.run_all()
    letters = env.ledger.open_dead_letters("oracle_ebs__dynamics_sales")
    assert letters, "the seed's invalid records should be dead letters"
    reasons = " | ".join(letter.error_message for letter in letters)
    assert "name" in reasons and all(letter.error_class == "validation" for letter in letters)

    # a validation plug-in in the target rejects one record: its reason is the vendor's, the batch goes on
    failed_before = load_metadata(env.run(TODAY))[ACCOUNTS]["failed"]
    party_id = some_account_party_id(env)
    env.ebs.update_row("HZ_PARTIES", party_id, {"PARTY_NAME": "BLOCKED Trading Co"})
    other_id = next(k for k in (some_other_party(env, party_id),) if k)
    env.ebs.update_row("HZ_PARTIES", other_id, {"PARTY_NAME": "Allowed Trading Co"})
    env.dataverse.update_settings(
        {
            "reject_rules": [
                {
                    "table": "account",
                    "column": "name",
                    "pattern": "^BLOCKED",
                    "message": "Accounts named BLOCKED need credit approval",
                }
            ]
        }
    )
    metadata = load_metadata(env.run(TODAY))
    assert metadata[ACCOUNTS]["failed"] == failed_before + 1 and metadata[ACCOUNTS]["updated"] >= 1
    [letter] = [
        letter
        for letter in env.ledger.open_dead_letters("oracle_ebs__dynamics_sales", "account")
        if letter.source_key == f"oracle_ebs.party.{party_id}"
    ]
    assert letter.error_code == "0x80040265" and "credit approval" in letter.error_message
    assert (
        env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{other_id}")[0]["name"] == "Allowed Trading Co"
    )

    # the rule is lifted in the target: replay re-sends the stored payload, no extract
    env.dataverse.update_settings({"reject_rules": []})
    reads_before = env.ebs.requests_served
    replay = env.defs.resolve_job_def("replay_dynamics_sales").execute_in_process(
        instance=env.instance,
        run_config={"ops": {"replay_dynamics_sales_dead_letters": {"config": {"dead_letter_ids": [letter.id]}}}},
    )
    assert replay.output_for_node("replay_dynamics_sales_dead_letters")["updated"] == 1
    assert env.ebs.requests_served == reads_before
    assert (
        env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{party_id}")[0]["name"] == "BLOCKED Trading Co"
    )

    # a record rejected by the mapping is fixed at the source: the next run of that day's partition resolves it
    long_name = next(
        letter
        for letter in env.ledger.open_dead_letters("oracle_ebs__dynamics_sales", "account")
        if "160" in letter.error_message
    )
    env.ebs.update_row("HZ_PARTIES", long_name.source_key.rsplit(".", 1)[1], {"PARTY_NAME": "Shortened GmbH"})
    env.run(TODAY)
    assert long_name.source_key not in env.ledger.dead_letter_keys("oracle_ebs__dynamics_sales", "account")
    assert env.dataverse.rows("account", mlc_externalid=long_name.source_key)[0]["name"] == "Shortened GmbH"
    assert agrees(env)


def some_other_party(env, party_id: str) -> str:
    return next(
        r["mlc_externalid"].rsplit(".", 1)[1]
        for r in env.dataverse.rows("account")
        if not r["mlc_externalid"].endswith(f".{party_id}")
    )


def test_secrets_never_reach_logs_or_metadata(env, caplog):
    result = env.run(env.size.partition_keys()[0])
    secrets = ("sandbox-ebs-password", "sandbox-dataverse-secret")
    text = (
        caplog.text
        + repr(load_metadata(result))
        + repr(env.resources["oracle_ebs"])
        + repr(env.resources["dynamics_sales"])
    )
    for event in env.instance.all_logs(result.run_id):
        text += event.message or ""
    assert not any(secret in text for secret in secrets)


def test_auth_failure_fails_the_run_with_a_clear_message(env):
    wrong = env.with_resources(oracle_ebs={"password": "not-the-password"})
    result = wrong.run(env.size.partition_keys()[0], raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    error, messages = failure.step_failure_data.error, []
    while error is not None:  # what the UI shows: the step error and its causes
        messages.append(error.message)
        error = error.cause
    message = " ".join(messages)
    assert "oracle_ebs: login refused" in message and "not-the-password" not in message


@pytest.mark.parametrize("partition", [date(2026, 10, 2).isoformat()])
def test_each_extract_reads_exactly_its_day(env, partition):
    result = env.run(partition)
    metadata = load_metadata(result)
    assert metadata["oracle_ebs/hz_parties"]["window_end"].startswith("2026-10-03")
    assert metadata["oracle_ebs/hz_parties"]["source_rows"] > 0


def account_of(env, party_id) -> dict:
    [account] = env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{party_id}")
    return account


def state_of(env, party_id) -> tuple[int, int, int]:
    account = account_of(env, party_id)
    return account["statecode"], account["statuscode"], account["customertypecode"]


def supplier(env, *, customer: bool) -> dict:
    """An enabled supplier without an end date whose party's account is in Dataverse, that is a customer too or not."""
    for vendor in env.ebs.rows("AP_SUPPLIERS", ENABLED_FLAG="Y"):
        synced = env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{vendor['PARTY_ID']}")
        accounts = env.ebs.rows("HZ_CUST_ACCOUNTS", PARTY_ID=vendor["PARTY_ID"], STATUS="A")
        others = env.ebs.rows("AP_SUPPLIERS", PARTY_ID=vendor["PARTY_ID"])
        if not vendor["END_DATE_ACTIVE"] and synced and bool(accounts) == customer and len(others) == 1:
            return vendor
    raise LookupError("no such supplier in the seed")


def test_a_party_set_inactive_deactivates_its_account_in_that_days_run_and_back_to_active_reactivates_it(env):
    env.run_all()
    party_id = some_account_party_id(env)
    assert state_of(env, party_id)[:2] == (0, 1)
    type_code = state_of(env, party_id)[2]
    env.ebs.update_row("HZ_PARTIES", party_id, {"STATUS": "I"})
    assert load_metadata(env.run(TODAY))[ACCOUNTS]["updated"] >= 1
    assert state_of(env, party_id) == (1, 2, type_code)
    assert agrees(env)
    env.ebs.update_row("HZ_PARTIES", party_id, {"STATUS": "A"})
    env.run(TODAY)
    assert state_of(env, party_id) == (0, 1, type_code)
    assert agrees(env)


def test_a_customer_account_set_inactive_retypes_a_supplier_or_deactivates_a_customer(env):
    env.run_all()
    both = supplier(env, customer=True)
    [account] = env.ebs.rows("HZ_CUST_ACCOUNTS", PARTY_ID=both["PARTY_ID"], STATUS="A")
    env.ebs.update_row("HZ_CUST_ACCOUNTS", str(account["CUST_ACCOUNT_ID"]), {"STATUS": "I"})
    env.run(TODAY)
    assert state_of(env, both["PARTY_ID"]) == (0, 1, 11), "active, now a vendor only"
    assert agrees(env)


def test_a_supplier_end_date_set_ahead_deactivates_or_retypes_in_the_run_of_that_day_with_no_later_edit(env):
    env.run_all()
    only, both = supplier(env, customer=False), supplier(env, customer=True)
    for vendor in (only, both):
        env.ebs.update_row("AP_SUPPLIERS", str(vendor["VENDOR_ID"]), {"END_DATE_ACTIVE": "2026-10-05 00:00:00"})
    env.run(TODAY)
    assert state_of(env, only["PARTY_ID"]) == (0, 1, 11) and state_of(env, both["PARTY_ID"]) == (0, 1, 3)
    env.ebs.clock.freeze(datetime(2026, 10, 4, 23, 0, tzinfo=UTC))
    env.run("2026-10-04")
    assert state_of(env, only["PARTY_ID"]) == (0, 1, 11), "the day before the end date it is still a supplier"
    env.ebs.clock.freeze(DAY_AFTER_THE_END)  # the daily schedule runs a day once it has ended
    ended = load_metadata(env.run("2026-10-05"))
    assert ended[ACCOUNTS]["updated"] == 2
    assert state_of(env, only["PARTY_ID"]) == (1, 2, 11), "a supplier only: deactivated, still typed vendor"
    assert state_of(env, both["PARTY_ID"]) == (0, 1, 3), "a customer too: retyped customer"
    assert env.ledger.audit(source_key=f"oracle_ebs.party.{only['PARTY_ID']}")[-1]["partition"] == "2026-10-05"
    for vendor in (only, both):
        env.ebs.update_row("AP_SUPPLIERS", str(vendor["VENDOR_ID"]), {"END_DATE_ACTIVE": None})
    env.run(DAY_AFTER_THE_END.date().isoformat())
    assert state_of(env, only["PARTY_ID"]) == (0, 1, 11) and state_of(env, both["PARTY_ID"]) == (0, 1, 3)
    assert agrees(env)


def test_a_party_inactive_before_it_was_ever_synced_is_not_created_and_the_audit_says_why(env):
    env.run_all()
    inactive = next(
        p for p in env.ebs.rows("HZ_PARTIES", STATUS="I") if env.ebs.rows("HZ_CUST_ACCOUNTS", PARTY_ID=p["PARTY_ID"])
    )
    key = f"oracle_ebs.party.{inactive['PARTY_ID']}"
    assert not env.dataverse.rows("account", mlc_externalid=key)
    assert {row["action"] for row in env.ledger.audit(source_key=key)} == {"skipped"}
    assert agrees(env)


def test_a_contact_whose_relationship_end_date_is_set_ahead_is_deactivated_in_the_run_of_that_day(env):
    env.run_all()
    contact = next(
        c
        for c in env.dataverse.rows("contact")
        if c["statecode"] == 0 and c["mlc_externalid"].startswith("oracle_ebs.")
    )
    relationship_id = contact["mlc_externalid"].rsplit(".", 1)[1]

    def state() -> tuple[int, int]:
        [row] = env.dataverse.rows("contact", mlc_externalid=contact["mlc_externalid"])
        return row["statecode"], row["statuscode"]

    env.ebs.update_row("HZ_RELATIONSHIPS", relationship_id, {"END_DATE": "2026-10-05 12:00:00"})
    env.run(TODAY)
    assert state() == (0, 1), "a contact until the day its relationship ends"
    env.ebs.clock.freeze(DAY_AFTER_THE_END)  # the daily schedule runs a day once it has ended
    assert load_metadata(env.run("2026-10-05"))[CONTACTS]["updated"] == 1
    assert state() == (1, 2)
    env.ebs.update_row("HZ_RELATIONSHIPS", relationship_id, {"END_DATE": None})
    env.run(DAY_AFTER_THE_END.date().isoformat())
    assert state() == (0, 1)
    assert agrees(env)
