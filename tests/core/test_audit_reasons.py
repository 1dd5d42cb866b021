"""Every way a record is left unwritten keeps its reason in the audit log, and `ml-connector audit` shows it: left out
by the mapping rules, update-only and never written, unchanged since the target refused it, an earlier write maybe
still in flight, a parent the source lacks, a parent not in the target."""

from datetime import UTC, datetime, timedelta

import pytest

from ml_connector_dagster import cli
from ml_connector_dagster.http import CallCounter
from ml_connector_dagster.ledger import ErrorClass, Ledger
from ml_connector_dagster.loading import TargetRecord, WriteResult
from ml_connector_dagster.mapping.common import Excluded, MappingResult
from ml_connector_dagster.parents import KeptAs, record_not_in_source
from ml_connector_dagster.sync import SyncTarget, sync

PAIR, OBJ = "sap_ecc__dynamics_sales", "account"


class Writer:
    """Writes every record but answers validation for `refused` and leaves `in_doubt` without an answer."""

    def __init__(self):
        self.counter = CallCounter()
        self.rows: dict[str, dict] = {}

    def upsert(self, target_object, records):
        self.counter.add("POST")
        results = []
        for record in records:
            if record.source_key == "refused":
                results.append(WriteResult("refused", False, error_class=ErrorClass.VALIDATION, error_message="bad"))
            elif record.source_key == "in_doubt":
                results.append(
                    WriteResult(
                        "in_doubt",
                        False,
                        error_class=ErrorClass.IN_DOUBT,
                        error_message="the answer was lost",
                        resolve_after=datetime.now(UTC) + timedelta(hours=1),
                    )
                )
            else:
                self.rows[record.source_key] = record.payload
                results.append(WriteResult(record.source_key, True, f"id-{record.source_key}"))
        return results

    def existing_keys(self, target_object, known):
        return set(known) & set(self.rows)


def every_way_to_leave_a_record_out(ledger: Ledger) -> None:
    target = SyncTarget(PAIR, OBJ, Writer(), batch_size=10)
    result = MappingResult(
        records=[
            TargetRecord("retired", {"name": "r"}, update_only="deleted in the source and never synced"),
            TargetRecord("refused", {"name": "x"}),
            TargetRecord("in_doubt", {"name": "d"}),
            TargetRecord("orphan", {"name": "o"}, refs=((OBJ, "parent.9"),)),
        ],
        excluded=[Excluded("excluded", "inactive in the source (rules: skip)")],
    )
    for run in ("r1", "r2"):
        sync(result, target, ledger, run_id=run, partition="2026-10-01")
    record_not_in_source(
        ledger, ["9"], [KeptAs(PAIR, OBJ, lambda value: f"parent.{value}")], run_id="r2", partition="2026-10-01"
    )


REASONS = {
    "excluded": ("skipped", "inactive in the source (rules: skip)"),
    "retired": ("skipped", "deleted in the source and never synced"),
    "refused": ("skipped", "unchanged since the target refused it"),
    "in_doubt": ("skipped", "an earlier write may still be in progress"),
    "parent.9": ("not_in_source", "the source does not have it"),
    "orphan": ("failed", "waiting for account parent.9"),
}


@pytest.mark.parametrize("key", REASONS)
def test_the_audit_log_keeps_why_a_record_was_not_written(cli_ledger, key):
    every_way_to_leave_a_record_out(cli_ledger)
    action, reason = REASONS[key]
    [last] = cli_ledger.audit(source_key=key, run_id="r2")
    assert last["action"] == action
    assert reason in (last["changes"].get("reason") or last["changes"].get("error"))


def test_the_audit_command_shows_each_reason_and_filters_by_action(cli_ledger, capsys):
    every_way_to_leave_a_record_out(cli_ledger)
    assert cli.main(["audit", "--pair", PAIR, "--run", "r2", "--latest", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for key, (action, reason) in REASONS.items():
        assert any(f" {key} {action}: " in line and reason in line for line in lines), key
    assert cli.main(["audit", "--pair", PAIR, "--action", "skipped", "--run", "r2"]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert shown[-1] == "4 audit rows" and all(" skipped: " in line for line in shown[:-1])


def test_the_audit_command_counts_what_each_run_did_unchanged_records_included(cli_ledger, capsys):
    target, result = SyncTarget(PAIR, OBJ, Writer(), batch_size=10), MappingResult(records=[TargetRecord("a", {})])
    for run in ("r1", "r2"):
        sync(result, target, cli_ledger, run_id=run, partition="2026-10-01")
    assert cli.main(["audit", "--run", "r2"]) == 0
    assert capsys.readouterr().out.splitlines() == ["0 audit rows"], "read unchanged, with nothing new to say"
    assert cli.main(["audit", "--counts", "--pair", PAIR]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"r1 2026-10-01 {PAIR} {OBJ}: created 1",
        f"r2 2026-10-01 {PAIR} {OBJ}: unchanged 1",
        "2 runs and objects",
    ]
