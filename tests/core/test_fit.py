"""Whether the connector fits a tenant (fit.py, resources/<system>/fit.py): every check passes against the sandbox,
each fails with its remedy when the emulator lacks what it checks, `ml-connector ping --json` lists them for scripts,
and the `ping` job shows them in Dagster."""

import json
import re
from pathlib import Path

import dagster as dg
import pytest

from ml_connector_dagster import cli, ping
from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import SYSTEM_RESOURCES, sandbox_resources
from ml_connector_dagster.fit import doc_link, run_checks
from ml_connector_dagster.ping_job import JOB
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.faults import FaultPlan
from ml_connector_dagster.sandbox.sap_ecc import rfc
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.settings import Settings

TINY = SeedSize(parties=30, vendors=10, sap_vendors=10, sap_customers=10, sap_orders=5, fo_customers=10, days=2)
DOCS = Path(__file__).parents[2] / "docs" / "operators"
KINDS = {kind.system: kind for kind in SYSTEM_RESOURCES}


@pytest.fixture(scope="module")
def sandbox():
    with build_sandbox(size=TINY) as server:
        yield server


@pytest.fixture
def settings(tmp_path):
    # A ledger of its own: the budgets it holds (what Salesforce last said is left of its daily limit) are shared by
    # every run against it, as in a deployment, so one test's exhausted limit would otherwise stop the next's check.
    return Settings(home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.db'}")


@pytest.fixture
def broken(sandbox):
    """Changes an emulator's settings for one test, then puts them back."""
    saved = {}

    def change(system: str, **changes) -> None:
        emulator = sandbox[system]
        saved.setdefault(system, emulator.settings)
        emulator.update_settings(changes)

    yield change
    for system, before in saved.items():
        sandbox[system].settings = before


def outcomes(sandbox, settings, system: str, **overrides) -> dict:
    resource = sandbox_resources(settings, sandbox.urls, **{system: overrides})[system]
    return {outcome.check: outcome for outcome in run_checks(resource, settings)}


def slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("kind", SYSTEM_RESOURCES, ids=lambda kind: kind.system)
def test_every_check_of_every_system_passes_against_the_sandbox(kind, sandbox, settings):
    found = outcomes(sandbox, settings, kind.system)
    assert list(found) == [check.name for check in kind.fit_checks]
    assert all(outcome.ok and outcome.detail and outcome.remedy is None for outcome in found.values()), found


def test_sap_ecc_checks_pass_over_rfc_too(sandbox, settings):
    over_rfc = {"transport": "rfc", "ashost": sandbox["sap_ecc"].rfc_host, "rfc_module": rfc.__name__}
    found = outcomes(sandbox, settings, "sap_ecc", **over_rfc)
    assert all(outcome.ok for outcome in found.values())
    assert "over rfc" in found["reads the tables the extracts read"].detail


@pytest.mark.parametrize("kind", SYSTEM_RESOURCES, ids=lambda kind: kind.system)
def test_each_check_names_a_section_of_the_systems_operator_doc(kind):
    doc = DOCS / f"{kind.system}.md"
    anchors = {slug(line.lstrip("#")) for line in doc.read_text().splitlines() if line.startswith("#")}
    for check in kind.fit_checks:
        assert check.section in anchors, f"{doc_link(kind.system, check.section)}: no such heading"


# (system, check, emulator settings that take away what it checks, a word of the failure's detail)
BREAKS = [
    ("oracle_ebs", "read service deployed", {"service_alias": "xxother"}, "xxmlc_sync"),
    ("oracle_ebs", "answers for the operating unit", {"security_profile_units": [458]}, "operating unit 204"),
    ("oracle_ebs", "window digest deployed", {"undeployed_methods": ["GET_WINDOW_DIGEST"]}, "GET_WINDOW_DIGEST"),
    (
        "oracle_ebs",
        "journals under the General Ledger responsibility",
        {"journal_responsibilities": {"GL_CLERK": "SQLGL"}},
        "General Ledger responsibility",
    ),
    ("sap_ecc", "reads the tables the extracts read", {"unreadable_tables": ["EKPO"]}, "EKPO"),
    ("jde", "data services read the tables", {"unreadable_tables": ["F0116"]}, "F0116"),
    (
        "jde",
        "orchestrations exist",
        {"orchestrations": {"MLC_AddCustomer": "add_customer", "MLC_UpdateCustomer": "update_customer"}},
        "MLC_AddContact",
    ),
    ("dynamics_fo", "entities answer for each legal entity", {"user_companies": ["usmf"]}, "usrt, demf"),
    ("dynamics_sales", "application user", {"application_users": []}, "application user"),
    ("dynamics_sales", "external-id alternate keys", {"undefined_keys": ["contact"]}, "contact (no key)"),
    ("salesforce", "External ID fields", {"external_id_fields": {"Account": ["ERP_Account_Number__c"]}}, "Product2"),
    ("salesforce", "Change Data Capture entities", {"change_data_capture_unselected": ["OrderItem"]}, "OrderItem"),
    ("zoho_crm", "authenticated call", {"refresh_tokens": {"eu": SANDBOX.zoho_refresh_token}}, "us data centre"),
    ("zoho_crm", "modules and JDE key fields", {"missing_fields": ["Accounts.JDE_Address_Number"]}, "Accounts."),
    ("procore", "company access", {"installed": False}, "4262"),
    ("procore", "tool permissions", {"tools": {"projects": "read_only", "commitments": "read_only"}}, "commitments"),
]


@pytest.mark.parametrize(("system", "check", "changes", "word"), BREAKS, ids=[f"{b[0]}-{b[1]}" for b in BREAKS])
def test_a_check_fails_with_what_to_do_when_the_tenant_lacks_what_it_checks(
    system, check, changes, word, sandbox, settings, broken
):
    broken(system, **changes)
    found = outcomes(sandbox, settings, system)
    failed = found[check]
    assert failed.ok is False and word in failed.detail, failed
    section = next(c.section for c in KINDS[system].fit_checks if c.name == check)
    assert failed.remedy.endswith(f"({doc_link(system, section)})"), failed.remedy
    names = list(found)
    assert all(found[name].ok for name in names[: names.index(check)]), "the checks before it still pass"


def test_the_salesforce_daily_limit_check_fails_when_no_more_than_the_reserve_is_left(sandbox, settings, broken):
    used = sandbox["salesforce"].api_used
    # the check's own request spends one more: what is left then is the reserve (1,000) exactly
    broken("salesforce", daily_api_requests=used + 1001)
    found = outcomes(sandbox, settings, "salesforce")
    limit = found["daily API limit has room"]
    assert limit.ok is False and "1000 of" in limit.detail and "reserve" in limit.detail, limit
    assert [outcome.ok for outcome in found.values()] == [False, None, None], "the others are not run"


def test_ping_json_lists_every_check_for_scripts_and_its_exit_code_says_one_failed(
    sandbox, settings, broken, monkeypatch, capsys
):
    broken("dynamics_sales", undefined_keys=["account"])
    monkeypatch.setattr(cli, "settings", lambda: settings)
    # the emulators of this test's sandbox, not those on the fixed ports
    monkeypatch.setattr(
        ping, "sandbox_resources", lambda config, urls, **options: sandbox_resources(config, sandbox.urls, **options)
    )

    assert cli.main(["ping", "--json", "--system", "dynamics_sales", "--system", "jde"]) == 1

    listed = json.loads(capsys.readouterr().out)
    assert [(row["system"], row["check"]) for row in listed] == [
        (system, check.name) for system in ("jde", "dynamics_sales") for check in KINDS[system].fit_checks
    ]
    assert all(set(row) == {"system", "check", "ok", "ms", "detail", "remedy"} for row in listed)
    assert all(isinstance(row["ms"], int) and row["detail"] for row in listed)
    keys = next(row for row in listed if row["check"] == "external-id alternate keys")
    assert keys["ok"] is False and "account (no key)" in keys["detail"]
    assert "docs/operators/dynamics_sales.md#external-id-alternate-keys" in keys["remedy"]
    assert all(row["ok"] is True and row["remedy"] is None for row in listed if row is not keys)


def test_the_ping_job_shows_each_check_in_its_ops_metadata_and_fails_the_op_of_a_system_that_does_not_fit(
    sandbox, settings, broken
):
    defs = build_definitions(settings, sandbox_resources(settings, sandbox.urls))
    broken("salesforce", change_data_capture_unselected=["Order"])

    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(JOB).execute_in_process(instance=instance, raise_on_error=False)

    assert not result.success
    outputs = {
        event.step_key: event.event_specific_data.metadata
        for event in result.all_events
        if event.event_type_value == "STEP_OUTPUT"
    }
    assert set(outputs) == {f"ping_{kind.system}" for kind in SYSTEM_RESOURCES} - {"ping_salesforce"}
    for kind in SYSTEM_RESOURCES:
        if kind.system == "salesforce":
            continue
        metadata = outputs[f"ping_{kind.system}"]
        assert all(metadata[check.name].value.startswith("ok: ") for check in kind.fit_checks), metadata
        assert "| ok |" in metadata["checks"].value
    [failure] = [event for event in result.all_events if event.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "ping_salesforce"
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert (
        metadata["Change Data Capture entities"].value.startswith("FAILED: ")
        and "Order" in metadata["Change Data Capture entities"].value
    )
    assert "docs/operators/salesforce.md#change-data-capture" in metadata["checks"].value


def test_the_ping_job_makes_one_attempt_per_call_as_the_command_does(sandbox, settings):
    """A 503 that a run's retry would hide fails the check: a ping reports what the system answered."""
    defs = build_definitions(settings, sandbox_resources(settings, sandbox.urls))
    sandbox["jde"].faults.add(FaultPlan(status=503, path_contains="open-api-catalog3"))

    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(JOB).execute_in_process(
            instance=instance, op_selection=["ping_jde"], raise_on_error=False
        )

    assert not result.success
    [failure] = [event for event in result.all_events if event.event_type_value == "STEP_FAILURE"]
    metadata = failure.step_failure_data.user_failure_data.metadata
    verdict = metadata["orchestrations exist"].value
    assert verdict.startswith("FAILED: ") and "503" in verdict
