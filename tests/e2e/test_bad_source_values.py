"""A value a source renders but that cannot be what its field holds (a date `2026-02-31` or `0000-00-00`, a number
`12,5O`), in one record among many, for every source of the five pairs: the partition succeeds, that record is an
open validation dead letter naming the field and the raw value, the others are in the target, and once the value is
fixed at the source the next run loads the record and resolves its letter."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ml_connector_dagster.ledger import ErrorClass
from tests.e2e.conftest import EBS_JOB, NOW, load_metadata

TODAY = NOW.date().isoformat()


@dataclass(frozen=True)
class Case:
    """`pick(env)` chooses one record at the source; `spoil(env, picked, value)` writes `value` into its `field` and
    returns its source key in the ledger; `good` is a value that fixes it. `others(env)` edits other records of the
    same day and returns `(source key, target check)` of each: what must be in the target after the run."""

    job: str
    pair: str
    target_object: str
    load_asset: str
    field: str
    bad: tuple[str, ...]
    good: str
    pick: Callable
    spoil: Callable
    others: Callable
    partition: str = TODAY


def ebs_supplier(env) -> dict:
    """An enabled supplier without an end date with a party of its own."""
    for vendor in env.ebs.rows("AP_SUPPLIERS", ENABLED_FLAG="Y"):
        if not vendor["END_DATE_ACTIVE"] and len(env.ebs.rows("AP_SUPPLIERS", PARTY_ID=vendor["PARTY_ID"])) == 1:
            return vendor
    raise LookupError("no such supplier in the seed")


def spoil_ebs_supplier_end_date(env, vendor: dict, value: str) -> str:
    env.ebs.update_row("AP_SUPPLIERS", str(vendor["VENDOR_ID"]), {"END_DATE_ACTIVE": value})
    return f"oracle_ebs.party.{vendor['PARTY_ID']}"


def rename_ebs_parties(env) -> list[tuple[str, Callable]]:
    renamed = []
    for n, party in enumerate(env.ebs.rows("HZ_PARTIES", PARTY_TYPE="ORGANIZATION")[:40:10]):
        name = f"Renamed Organization {n}"
        env.ebs.update_row("HZ_PARTIES", str(party["PARTY_ID"]), {"PARTY_NAME": name})
        key = f"oracle_ebs.party.{party['PARTY_ID']}"
        renamed.append((key, lambda env, key=key, name=name: dataverse_name(env, key) == name))
    return renamed


def dataverse_name(env, key: str) -> str | None:
    rows = env.dataverse.rows("account", mlc_externalid=key)
    return rows[0]["name"] if rows else None


CASES = {
    "oracle_ebs supplier END_DATE_ACTIVE → dynamics_sales": Case(
        EBS_JOB,
        "oracle_ebs__dynamics_sales",
        "account",
        "dynamics_sales/oracle_ebs_accounts",
        "END_DATE_ACTIVE",
        ("2026-02-31T00:00:00", "0000-00-00T00:00:00"),
        "2027-12-31 00:00:00",
        ebs_supplier,
        spoil_ebs_supplier_end_date,
        rename_ebs_parties,
    ),
}


@pytest.mark.parametrize("bad", [0, 1], ids=["impossible day", "zero date"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_one_bad_value_fails_its_record_not_the_partition(env, case: Case, bad: int):
    value = case.bad[bad]
    others = case.others(env)
    picked = case.pick(env)
    key = case.spoil(env, picked, value)

    result = env.run(case.partition, job=case.job)

    assert result.success
    letters = env.ledger.open_dead_letters(case.pair, case.target_object, source_keys=[key])
    assert len(letters) == 1, f"{key} is not an open dead letter"
    letter = letters[0]
    assert letter.error_class == ErrorClass.VALIDATION
    assert f"{case.field} {value!r} is not" in letter.error_message, letter.error_message
    assert load_metadata(result)[case.load_asset]["failed"] >= 1
    for other, in_target in others:
        assert in_target(env), f"{other} did not reach the target"
    accounted = [c for c in result.get_asset_check_evaluations() if c.check_name.endswith("_in_target_or_dead_letter")]
    assert accounted and all(check.passed for check in accounted)

    case.spoil(env, picked, case.good)
    fixed = env.run(case.partition, job=case.job)

    assert fixed.success
    assert not env.ledger.open_dead_letters(case.pair, case.target_object, source_keys=[key])
    assert env.ledger.audit(source_key=key)[-1]["action"] in ("created", "updated", "unchanged")
