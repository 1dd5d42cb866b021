"""The `oracle_ebs` journal writer (the load loop's TargetWriter for `gl_journals`) against the EBS emulator."""

from datetime import UTC, datetime

import pytest
from ml_connector_dagster.resources.oracle_ebs import JournalWriter, OracleEbsResource

from ml_connector_dagster.http import ApiError
from ml_connector_dagster.ledger import ErrorClass, Ledger
from ml_connector_dagster.loading import TargetRecord, load
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.oracle_ebs import OracleEbsEmulator, chart
from ml_connector_dagster.sandbox.server import SandboxServer

PROJECT_CONCRETE = {"SEGMENT1": "01", "SEGMENT2": "1200", "SEGMENT3": "5300", "SEGMENT4": "03"}
ACCRUAL = dict(zip(("SEGMENT1", "SEGMENT2", "SEGMENT3", "SEGMENT4"), chart.ACCRUAL, strict=True))


@pytest.fixture
def ebs(tmp_path):
    emulator = OracleEbsEmulator(
        clock=Clock(frozen_at=datetime(2026, 10, 20, 9, tzinfo=UTC)), state_dir=tmp_path, parties=30, vendors=20, days=2
    )
    with SandboxServer([emulator]) as server:
        resource = OracleEbsResource(
            base_url=server.url("oracle_ebs"),
            username=SANDBOX.ebs_user,
            password=SANDBOX.ebs_password,
            max_retry_wait_seconds=1,
        )
        with resource.open() as service:
            yield emulator, JournalWriter(service)


def requisition(number: int, amount: str = "4200.00", **changes) -> TargetRecord:
    key = f"procore:4262:requisition:{number}"
    payload = {
        "reference": f"{key}.1",
        "source": chart.JOURNAL_SOURCE,
        "category": chart.REQUISITION_CATEGORY,
        "accounting_date": "2026-10-31",
        "currency_code": "USD",
        "journal_name": f"Requisition {number}",
        "description": "Riverside Clinic - concrete work completed",
        "batch_name": "Procore 2026-10-31",
        "lines": [
            {"segments": PROJECT_CONCRETE, "dr": amount, "cr": None, "description": "03-5300 Concrete"},
            {"segments": ACCRUAL, "dr": None, "cr": amount, "description": "accrued job cost"},
        ],
        **changes,
    }
    return TargetRecord(key, payload)


def test_journals_are_posted_a_hundred_a_call_and_answered_per_record(ebs):
    emulator, writer = ebs
    records = [requisition(n) for n in range(230)] + [requisition(999, accounting_date="2026-08-31")]
    results = {result.source_key: result for result in writer.upsert("gl_journals", records)}
    assert writer.counter.writes == 3, "231 journals in calls of at most 100"
    assert len(emulator.rows("GL_JE_HEADERS")) == 230
    ok = results["procore:4262:requisition:0"]
    assert ok.ok and ok.created and ok.target_id == str(emulator.rows("GL_JE_HEADERS")[0]["JE_HEADER_ID"])
    refused = results["procore:4262:requisition:999"]
    assert (refused.ok, refused.error_class, refused.error_code) == (False, ErrorClass.VALIDATION, "EP01")
    assert "AUG-26" in refused.error_message


def test_a_journal_posted_before_is_ok_and_never_posted_twice(ebs):
    emulator, writer = ebs
    [first] = writer.upsert("gl_journals", [requisition(1)])
    [again] = writer.upsert("gl_journals", [requisition(1, amount="1.00")])
    assert first.ok and first.created
    assert again.ok and again.created is None and again.target_id == first.target_id
    assert len(emulator.rows("GL_JE_HEADERS")) == 1


def test_existing_keys_are_the_references_ebs_holds_imported_or_waiting_not_refused(ebs):
    emulator, writer = ebs
    writer.upsert("gl_journals", [requisition(1), requisition(2, category="Procore Invoice")])
    emulator.insert_row(
        "GL_INTERFACE",
        {
            "STATUS": "NEW",
            "LEDGER_ID": chart.LEDGER_ID,
            "REFERENCE6": "procore:4262:requisition:3.1",
            "REFERENCE21": "procore:4262:requisition:3.1",
            "ENTERED_DR": 1,
            "CURRENCY_CODE": "USD",
            "GROUP_ID": 77,
        },
    )
    known = {f"procore:4262:requisition:{n}": None for n in (1, 2, 3, 4)}
    assert writer.existing_keys("gl_journals", known) == {"procore:4262:requisition:1", "procore:4262:requisition:3"}


def test_the_load_loop_posts_once_through_a_lost_answer_and_a_rerun(ebs, tmp_path):
    emulator, writer = ebs
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    emulator.update_settings({"lose_answer_after_commit": 1})
    records = [requisition(n) for n in range(3)]
    first = load(
        records, writer=writer, ledger=ledger, pair="procore__oracle_ebs", target_object="gl_journals", batch_size=500
    )
    rerun = load(
        records, writer=writer, ledger=ledger, pair="procore__oracle_ebs", target_object="gl_journals", batch_size=500
    )
    assert (first.created, first.failed) == (3, 0) and rerun.unchanged == 3
    assert len(emulator.rows("GL_JE_HEADERS")) == 3


def test_only_gl_journals_are_written_under_references_of_their_source_key(ebs):
    _, writer = ebs
    with pytest.raises(ApiError, match="not part of any pair"):
        writer.upsert("vendors", [requisition(1)])
    with pytest.raises(ValueError, match="requisition:1[.]<n>"):
        writer.upsert("gl_journals", [TargetRecord("requisition:1", requisition(1).payload)])
