"""A rerun of an EBS day whose windows have not changed since the pairs of the run loaded them asks each window for
its digest (GET_WINDOW_DIGEST) and reads nothing else; any change, failure, open retry, changed mapping or second
pair that has not loaded the window reads it (assets/unchanged_windows.py)."""

import dataclasses
from datetime import UTC, datetime

import pytest

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.ledger import Action, ErrorClass, Outcome
from ml_connector_dagster.mapping import files
from ml_connector_dagster.mapping.oracle_ebs_dynamics_sales import DEFAULT_RULES_FILE, account_key
from tests.e2e.conftest import EBS_JOB, SMALL, Env, load_metadata, sandbox_env

DAY = "2026-10-02"  # a closed day: NOW is in the next
TABLES = ("hz_parties", "hz_cust_accounts", "hz_party_sites", "hz_contacts", "po_vendors", "po_vendor_sites_all")
WINDOWS = [f"oracle_ebs/{table}" for table in TABLES]
ACCOUNTS = "dynamics_sales/oracle_ebs_accounts"
PROCORE = "oracle_ebs__procore"


@pytest.fixture
def env(tmp_path):
    with sandbox_env(tmp_path, SMALL) as made:
        yield made


@pytest.fixture
def either_ledger_env(tmp_path, ledger_url):
    """The sandbox with its ledger in SQLite, then in PostgreSQL."""
    with sandbox_env(tmp_path, SMALL, ledger_url=ledger_url) as made:
        yield made


def skipped(metadata: dict) -> list[str]:
    return [name for name in WINDOWS if "skipped" in metadata[name]]


def ebs_calls(env: Env, run) -> tuple[dict, int]:
    """The run's metadata and how many requests the EBS emulator served meanwhile."""
    before = env.ebs.requests_served
    metadata = load_metadata(run())
    return metadata, env.ebs.requests_served - before


def test_a_rerun_of_an_unchanged_day_asks_each_window_its_digest_and_reads_and_writes_nothing(either_ledger_env):
    env = either_ledger_env
    first, first_calls = ebs_calls(env, lambda: env.run(DAY))
    assert not skipped(first) and first[ACCOUNTS]["created"] > 0
    writes = env.dataverse.stats()

    rerun, rerun_calls = ebs_calls(env, lambda: env.run(DAY))

    assert skipped(rerun) == WINDOWS
    assert all(rerun[name]["api_calls"] == 1 and rerun[name]["source_rows"] == 0 for name in WINDOWS)
    assert rerun["oracle_ebs/party_snapshots"]["api_calls"] == 0
    # a digest per window, and the session's login and logout: nothing read
    assert rerun_calls == len(WINDOWS) + 2 < first_calls
    assert rerun[ACCOUNTS]["write_calls"] == 0 and env.dataverse.stats() == writes
    first_run = env.instance.get_runs()[-1].run_id
    assert rerun["oracle_ebs/hz_parties"]["unchanged_since_runs"] == first_run


def test_a_row_backdated_into_the_day_reads_its_window_and_the_change_is_written(env):
    env.run(DAY)
    party = next(
        row for row in env.ebs.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION") if row["LAST_UPDATE_DATE"][:10] == DAY
    )
    env.ebs.clock.freeze(datetime(2026, 10, 2, 12, 0, tzinfo=UTC))  # a fix entered with that day's date
    env.ebs.update_row("HZ_PARTIES", party["PARTY_ID"], {"PARTY_NAME": "Backdated Fix Ltd"})
    env.ebs.clock.freeze(datetime(2026, 10, 3, 18, 0, tzinfo=UTC))

    rerun = load_metadata(env.run(DAY))

    assert skipped(rerun) == [name for name in WINDOWS if name != "oracle_ebs/hz_parties"]
    assert rerun[ACCOUNTS]["updated"] == 1
    [account] = env.dataverse.rows("account", mlc_externalid=f"oracle_ebs.party.{party['PARTY_ID']}")
    assert account["name"] == "Backdated Fix Ltd"


def test_a_record_the_target_refused_waits_for_its_replay_and_the_day_is_not_read_for_it(either_ledger_env):
    env = either_ledger_env
    refuse = {"table": "account", "column": "name", "pattern": "^[A-M]", "message": "needs credit approval"}
    env.dataverse.update_settings({"reject_rules": [refuse]})  # a validation plug-in in the target
    refused = load_metadata(env.run(DAY))
    assert refused[ACCOUNTS]["failed"] > 0
    env.dataverse.update_settings({"reject_rules": []})

    # a refusal is not sent again unchanged by a read (only a replay sends it), so reading the day again would do
    # nothing for it: the rerun skips
    assert skipped(load_metadata(env.run(DAY))) == WINDOWS
    assert env.ledger.open_dead_letters(EBS_JOB, "account", error_class="validation")


def test_a_run_that_crashed_in_its_load_records_no_digest_and_the_rerun_reads(env):
    broken = env.with_resources(dynamics_sales={"environment_url": "http://127.0.0.1:9"})
    crashed = broken.run(DAY, raise_on_error=False)
    assert not crashed.success

    reread = load_metadata(env.run(DAY))
    assert not skipped(reread) and reread[ACCOUNTS]["created"] > 0
    assert skipped(load_metadata(env.run(DAY))) == WINDOWS


def test_an_open_dead_letter_of_the_day_reads_it_again_until_it_is_resolved(either_ledger_env):
    env = either_ledger_env
    env.run(DAY)
    party = next(
        row for row in env.ebs.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION") if row["LAST_UPDATE_DATE"][:10] == DAY
    )
    key = account_key(str(party["PARTY_ID"]))
    assert env.ledger.synced(EBS_JOB, "account", [key])
    env.ledger.record(
        pair=EBS_JOB,
        target_object="account",
        outcomes=[
            Outcome(
                key, Action.FAILED, {"payload": {"name": "x"}}, error_class=ErrorClass.TRANSIENT, error_message="503"
            )
        ],
        run_id="elsewhere",
        partition=DAY,
    )

    reread = load_metadata(env.run(DAY))
    assert not skipped(reread)
    assert not env.ledger.open_dead_letters(EBS_JOB, "account", source_keys=[key])
    assert skipped(load_metadata(env.run(DAY))) == WINDOWS


def test_a_changed_mapping_rule_reads_the_day_again(env, tmp_path):
    env.run(DAY)
    folder = tmp_path / "mapping"
    folder.mkdir()
    rules = DEFAULT_RULES_FILE.read_text().replace("truncate_long_names: false", "truncate_long_names: true")
    (folder / files.copy_names(EBS_JOB)[0]).write_text(rules)
    config = env.config.model_copy(update={"mapping_dir": folder})
    changed = dataclasses.replace(env, config=config, defs=build_definitions(config, env.resources))

    assert not skipped(load_metadata(changed.run(DAY)))
    assert skipped(load_metadata(changed.run(DAY))) == WINDOWS
    assert not skipped(load_metadata(env.run(DAY)))  # and back to the packaged rules: read again


def test_full_read_reads_every_window_and_records_what_it_read(env):
    env.run(DAY)
    forced = load_metadata(env.run(DAY, full_read=True))
    assert not skipped(forced) and forced[ACCOUNTS]["unchanged"] > 0
    assert skipped(load_metadata(env.run(DAY))) == WINDOWS


def test_a_second_pair_that_has_not_loaded_a_shared_window_reads_it(env):
    env.run(DAY)
    shared = ["oracle_ebs/po_vendors", "oracle_ebs/po_vendor_sites_all"]

    procore = load_metadata(env.run(DAY, job=PROCORE))
    assert not any("skipped" in procore[name] for name in shared)
    assert procore["procore/oracle_ebs_vendors"]["created"] > 0
    again = load_metadata(env.run(DAY, job=PROCORE))
    assert all("skipped" in again[name] for name in shared)

    assert skipped(load_metadata(env.run(DAY))) == WINDOWS  # what the Dataverse pair loaded stands


def test_an_instance_without_the_digest_method_reads_every_window_as_before(env):
    env.run(DAY)
    env.ebs.update_settings({"undeployed_methods": ["GET_WINDOW_DIGEST"]})
    rerun = load_metadata(env.run(DAY))
    assert not skipped(rerun) and rerun[ACCOUNTS]["unchanged"] > 0
    assert rerun["oracle_ebs/hz_parties"]["window_digest"].startswith("not available")


def test_a_day_still_open_is_read_on_every_run(env):
    today = SMALL.partition_keys()[-1]
    env.run(today)
    assert not skipped(load_metadata(env.run(today)))
