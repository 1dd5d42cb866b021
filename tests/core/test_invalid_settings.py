"""A bad value in any setting is one line per bad variable: the variable, what is wrong with its value and what it
accepts, read from the field's declaration; wherever it is read (the CLI, the code location's load) it stops there
with that line: exit 2 from the CLI, no traceback, no pydantic dump, no secret."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Literal, get_args, get_origin

import annotated_types
import pytest

from ml_connector_dagster import cli
from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import SYSTEM_RESOURCES, sandbox_urls
from ml_connector_dagster.invalid_settings import _base_type, _literal_choices
from ml_connector_dagster.settings import Settings, SettingsError, settings


def bad_values(kind) -> list[tuple[str, str, list[str]]]:
    """(field, a bad value, what its line must say) for every environment field of a resource whose declaration
    refuses something: a choice outside its Literal, text for a number, a number out of its bounds, text outside
    its pattern."""
    cases = []
    for name in kind.environment_fields():
        field = kind.model_fields[name]
        choices = _literal_choices(field.annotation)
        limits = {type(item): item for item in field.metadata}
        pattern = next((item.pattern for item in field.metadata if getattr(item, "pattern", None)), None)
        base = _base_type(field.annotation)
        if choices:
            cases.append((name, "not-a-choice", ["not one of the accepted values", *choices]))
        elif base in (int, float):
            cases.append((name, "abc", ["not a whole number" if base is int else "not a number"]))
            if annotated_types.Le in limits:
                high = limits[annotated_types.Le].le
                cases.append((name, str(high + 1), ["out of range", f"to {high}"]))
            if annotated_types.Ge in limits:
                low = limits[annotated_types.Ge].ge
                cases.append((name, str(low - 1), ["out of range", str(low)]))
            elif annotated_types.Gt in limits:
                low = limits[annotated_types.Gt].gt
                cases.append((name, str(low), ["out of range", f"more than {low}"]))
        elif base is bool:
            cases.append((name, "maybe", ["true or false"]))
        elif pattern and name not in kind.secrets:
            cases.append((name, "!?", ["not of the accepted form", pattern]))
    return cases


CASES = [
    (kind, *case) for kind in SYSTEM_RESOURCES for case in bad_values(kind)
] + [  # fields whose validator says what it accepts
    (kind, name, value, said)
    for kind in SYSTEM_RESOURCES
    for name, value, said in [
        ("org_id", "abc", ["operating unit id (a number) or ALL"]),
        ("server_timezone", "Mars/Base", ["time zone", "IANA"]),
        ("server_time_zone", "Mars/Base", ["time zone", "IANA"]),
        ("base_url", "ebs.example.com", ["http(s) URL such as"]),
    ]
    if name in kind.environment_fields()
]


@pytest.mark.parametrize(
    "kind, name, value, said", CASES, ids=[f"{kind.system}.{name}={value}" for kind, name, value, _ in CASES]
)
def test_a_bad_value_of_any_resource_setting_is_one_line_naming_the_variable_and_what_it_accepts(
    kind, name, value, said
):
    variable = kind.environment_variable(name)
    with pytest.raises(SettingsError) as failed:
        kind.from_environment({variable: value})
    [line] = str(failed.value).splitlines()
    assert line.startswith(f"{variable}={value!r}: "), line
    for words in said:
        assert words in line, line
    assert "pydantic" not in line and "validation error" not in line.lower()


def test_every_kind_of_declared_field_is_covered():
    covered = {(kind, name) for kind, name, _, _ in CASES}
    for kind in SYSTEM_RESOURCES:
        for name in kind.environment_fields():
            field = kind.model_fields[name]
            constrained = get_origin(field.annotation) is Literal or _base_type(field.annotation) in (int, float, bool)
            if constrained:
                assert (kind, name) in covered, f"{kind.system}.{name}"
    assert any(get_args(kind.model_fields[n].annotation) for kind, n in covered)


def test_several_bad_values_are_one_line_each_and_a_secret_is_never_shown():
    zoho = SYSTEM_RESOURCES[[kind.system for kind in SYSTEM_RESOURCES].index("zoho_crm")]
    environ = {
        "ZOHO_CRM_DATA_CENTRE": "uk",
        "ZOHO_CRM_PAGE_SIZE": "500",
        "ZOHO_CRM_WEBHOOK_KEY": "s3cret-" * 10,
        "ZOHO_CRM_CLIENT_ID": "id",
        "ZOHO_CRM_CLIENT_SECRET": "x",
        "ZOHO_CRM_REFRESH_TOKEN": "y",
    }
    with pytest.raises(SettingsError) as failed:
        zoho.from_environment(environ, resolve=True)
    lines = str(failed.value).splitlines()
    assert [line.split("=")[0].split(" ")[0] for line in lines] == [
        "ZOHO_CRM_DATA_CENTRE",
        "ZOHO_CRM_PAGE_SIZE",
        "ZOHO_CRM_WEBHOOK_KEY(a",
    ]
    assert "s3cret" not in str(failed.value) and "at most 50 characters" in lines[2]


@pytest.mark.parametrize(
    "url, said",
    [
        ("foo://x", "database 'foo' is not supported"),
        ("mysql://user@db/ledger", "database 'mysql' is not supported"),
        ("garbage", "not a database URL"),
        ("sqlite:////no/such/folder/ledger.sqlite", "the folder /no/such/folder does not exist"),
        ("postgresql+nosuchdriver://user@db/ledger", "is not installed"),
    ],
)
def test_a_bad_ledger_url_is_one_line_naming_ml_connector_ledger_url_and_exit_2(
    url, said, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("ML_CONNECTOR_LEDGER_URL", url)
    settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as failed:
            settings()
        [line] = str(failed.value).splitlines()
        assert line.startswith(f"ML_CONNECTOR_LEDGER_URL={url!r}: ") and said in line, line
        assert "sqlite:///" in line and "postgresql://" in line, "the accepted forms"
        for command in (["dead-letters"], ["ping"], ["replay"]):
            assert cli.main(command) == 2
            assert capsys.readouterr().err == f"ml-connector: {line}\n"
    finally:
        settings.cache_clear()


def test_a_ledger_url_s_password_is_not_repeated_in_its_error(monkeypatch, tmp_path):
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("ML_CONNECTOR_LEDGER_URL", "mysql://ledger:hunter2@db.internal/ledger")
    settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as failed:
            settings()
        assert "hunter2" not in str(failed.value) and "ledger:***@db.internal" in str(failed.value)
    finally:
        settings.cache_clear()


def test_the_connector_s_own_settings_name_their_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    for variable, value in {
        "ML_CONNECTOR_PROFILE": "prod",
        "ML_CONNECTOR_START_DATE": "2026-02-31",
        "ML_CONNECTOR_SCHEDULE_HOUR": "24",
        "ML_CONNECTOR_LEASE_TTL_SECONDS": "0",
        "ML_CONNECTOR_DRIFT_HEAL_SHARE": "-0.5",
    }.items():
        monkeypatch.setenv(variable, value)
    settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as failed:
            settings()
    finally:
        settings.cache_clear()
    said = {line.split("=")[0]: line for line in str(failed.value).splitlines()}
    assert list(said) == [
        "ML_CONNECTOR_PROFILE",
        "ML_CONNECTOR_START_DATE",
        "ML_CONNECTOR_SCHEDULE_HOUR",
        "ML_CONNECTOR_LEASE_TTL_SECONDS",
        "ML_CONNECTOR_DRIFT_HEAL_SHARE",
    ]
    assert "'prod': not one of the accepted values; accepted: sandbox or production" in said["ML_CONNECTOR_PROFILE"]
    assert "day value is outside expected range; accepted: a date (YYYY-MM-DD)" in said["ML_CONNECTOR_START_DATE"]
    assert "out of range; accepted: a whole number from 0 to 23" in said["ML_CONNECTOR_SCHEDULE_HOUR"]
    # bounded as the ledger resource bounds them, where they are used
    assert "out of range; accepted: a number more than 0" in said["ML_CONNECTOR_LEASE_TTL_SECONDS"]
    assert "out of range; accepted: a number from 0 to 1" in said["ML_CONNECTOR_DRIFT_HEAL_SHARE"]


@pytest.fixture
def production(monkeypatch, tmp_path):
    """The production profile with no system variable set but the two bad ones a test sets."""
    for name in list(os.environ):
        if name.startswith(tuple(f"{kind.system.upper()}_" for kind in SYSTEM_RESOURCES)):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("ML_CONNECTOR_PROFILE", "production")
    monkeypatch.setenv("ORACLE_EBS_ORG_ID", "abc")
    monkeypatch.setenv("DYNAMICS_SALES_BULK_MODE", "fast")
    settings.cache_clear()
    yield
    settings.cache_clear()


EXPECTED = [
    "ORACLE_EBS_ORG_ID='abc': must be an operating unit id (a number) or ALL",
    "DYNAMICS_SALES_BULK_MODE='fast': not one of the accepted values; accepted: auto, upsert_multiple or batch",
]


def test_the_code_location_s_load_names_every_bad_variable_of_every_system(production):
    with pytest.raises(SettingsError) as failed:
        build_definitions(settings())
    assert str(failed.value).splitlines() == EXPECTED


@pytest.mark.parametrize(
    "command, named",
    [
        (["replay"], EXPECTED),
        (["heal", "--pair", "oracle_ebs__dynamics_sales"], EXPECTED),
        (["initial-load", "--pair", "oracle_ebs__dynamics_sales"], EXPECTED),
        (["upgrade-keys"], EXPECTED[1:]),  # it reads Dynamics 365 Sales only, with its values now
        (["ping"], EXPECTED),
    ],
    ids=["replay", "heal", "initial-load", "upgrade-keys", "ping"],
)
def test_every_cli_command_reading_the_systems_stops_at_a_bad_variable_with_its_line_and_exit_2(
    production, command, named, capsys
):
    assert cli.main(command) == 2
    out, err = capsys.readouterr()
    if command == ["ping"]:  # a line per system, the bad ones with their variables
        lines = {line.split()[0]: line for line in out.splitlines()}
        assert lines["oracle_ebs"].startswith("oracle_ebs      FAILED  ") and EXPECTED[0] in lines["oracle_ebs"]
        assert EXPECTED[1] in lines["dynamics_sales"]
    else:
        # a command that reads the values now (upgrade-keys) names the unset ones of what it reads too
        assert {f"ml-connector: {line}" for line in named} <= set(err.splitlines())
        assert all(line.startswith("ml-connector: ") for line in err.splitlines())
        assert "Traceback" not in out + err


def test_dagster_loading_the_code_location_shows_the_lines_not_a_pydantic_dump(production, tmp_path):
    loaded = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "ml_connector_dagster.definitions"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert loaded.returncode != 0
    shown = loaded.stderr + loaded.stdout
    assert f"SettingsError: {EXPECTED[0]}\n{EXPECTED[1]}\n" in shown
    assert "validation error" not in shown.lower() and "pydantic" not in shown


@pytest.mark.parametrize(
    "command",
    [
        ["replay", "--target", "dynamics_sales"],
        ["initial-load", "--pair", "oracle_ebs__dynamics_sales"],
        ["heal", "--pair", "oracle_ebs__dynamics_sales", "--dry-run"],
    ],
    ids=["replay", "initial-load", "heal"],
)
def test_a_command_running_jobs_names_a_secret_its_run_would_miss_before_the_run(
    command, monkeypatch, tmp_path, capsys
):
    for name in list(os.environ):
        if name.startswith(tuple(f"{kind.system.upper()}_" for kind in SYSTEM_RESOURCES)):
            monkeypatch.delenv(name)
    for kind in SYSTEM_RESOURCES:
        for name, value in kind.sandbox(sandbox_urls()).model_dump().items():
            if name in kind.environment_fields() and value is not None:
                monkeypatch.setenv(kind.environment_variable(name), str(value))
    monkeypatch.delenv("DYNAMICS_SALES_CLIENT_SECRET")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("ML_CONNECTOR_PROFILE", "production")
    settings.cache_clear()
    try:
        assert cli.main(command) == 2
    finally:
        settings.cache_clear()
    out, err = capsys.readouterr()
    assert err == "ml-connector: DYNAMICS_SALES_CLIENT_SECRET is not set\n" and out == ""


def test_settings_survive_a_round_trip_through_json_with_the_ledger_resource_defaults_unset():
    """A launched run rebuilds its settings from their JSON (tests/e2e/test_auth_failures.py): unset is null there."""
    config = Settings(home=Path("/tmp/home"), ledger_url="sqlite:////tmp/home/ledger.sqlite")
    assert Settings.model_validate(json.loads(config.model_dump_json())) == config
