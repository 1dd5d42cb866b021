"""What the agreement check costs in Dataverse calls, on the real definitions: a rerun with nothing changed reads back
one share of the day's accounts (materialize.ReadBack), not all of them; every call a load makes is in its metadata;
and a user's deletion is still found, by the first rerun whose share holds the account."""

from tests.e2e.conftest import EBS_JOB, load_metadata
from tests.e2e.test_drift import delete_as_a_user, ebs_accounts
from tests.e2e.test_oracle_ebs_to_dynamics_sales import ACCOUNTS

ACCOUNTS_CHECK = "every_account_in_target_or_dead_letter"


def check_metadata(result, name: str) -> dict:
    [check] = [c for c in result.get_asset_check_evaluations() if c.check_name == name]
    return {key: value.value for key, value in check.metadata.items()}


def test_a_rerun_with_nothing_changed_reads_back_a_share_of_the_day_and_counts_every_dataverse_call(env):
    env.run_all()
    day = env.size.partition_keys()[0]
    served = env.dataverse.requests_served
    # an unchanged day's windows are skipped and nothing is read back (unchanged_windows.py): read it on purpose
    result = env.run(day, full_read=True)
    # The loads into Dataverse: the payload assets call nothing.
    loads = {key: values for key, values in load_metadata(result).items() if "write_calls" in values}
    assert env.dataverse.requests_served - served == sum(values["api_calls"] for values in loads.values())
    accounts, check = loads[ACCOUNTS], check_metadata(result, ACCOUNTS_CHECK)
    assert accounts["write_calls"] == 0 and accounts["read_back_turn"] == 1
    assert check["expected"] > 200 and 0 < check["read_back"] < check["expected"] / 5, "a share, not the day"
    assert accounts["api_calls"] == accounts["check_calls"] == 1, "not ceil(accounts / 100)"
    assert check["vouched_by_writes"] == 0 and check["missing"] == 0


def test_an_account_a_user_deleted_is_sent_again_by_the_first_rerun_of_its_day_whose_share_holds_it(env):
    env = env.with_ledger(read_back_runs=3)
    env.run_all()
    day = env.size.partition_keys()[0]
    accounts = {row["mlc_externalid"]: row for row in ebs_accounts(env)}
    days = env.ledger.partitions_of(EBS_JOB, "account", accounts)
    deleted = next(row for key, row in accounts.items() if days.get(key) == day)
    delete_as_a_user(env, "dynamics_sales", [f"accounts({deleted['accountid']})"])
    drifted = []
    for _ in range(3):
        result = env.run(day, full_read=True)
        drifted.append(load_metadata(result)[ACCOUNTS]["drifted"])
        assert check_metadata(result, ACCOUNTS_CHECK)["missing"] == 0
    assert sorted(drifted) == [0, 0, 1], "found once, within read_back_runs runs"
    assert env.dataverse.rows("account", mlc_externalid=deleted["mlc_externalid"]), "sent again"
