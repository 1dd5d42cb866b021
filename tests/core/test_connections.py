"""The resources of each profile, and `ml-connector ping` over them, against a running sandbox and against nothing."""

import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from ml_connector_dagster import cli
from ml_connector_dagster.connections import SYSTEM_RESOURCES, sandbox_resources
from ml_connector_dagster.fit import Probe
from ml_connector_dagster.ping import ping
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.settings import Settings

TINY = SeedSize(parties=30, vendors=10, sap_vendors=10, sap_customers=10, sap_orders=5, fo_customers=10, days=2)


@pytest.fixture(scope="module")
def sandbox():
    with build_sandbox(size=TINY) as server:
        yield server


@pytest.fixture
def production(tmp_path, monkeypatch):
    """The production profile with no system variable set: each test sets its own."""
    for name in list(os.environ):
        if name.startswith(tuple(f"{kind.system.upper()}_" for kind in SYSTEM_RESOURCES)):
            monkeypatch.delenv(name)
    config = Settings(profile="production", home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.setattr(cli, "settings", lambda: config)
    return monkeypatch


def test_every_systems_authenticated_call_passes_against_the_sandbox(sandbox, tmp_path):
    settings = Settings(home=tmp_path, ledger_url="sqlite://")
    resources = sandbox_resources(settings, sandbox.urls)
    assert set(resources) == {"ledger", *(kind.system for kind in SYSTEM_RESOURCES)}
    for kind in SYSTEM_RESOURCES:
        with resources[kind.system].open() as session:
            assert kind.fit_checks[0].run(Probe(resources[kind.system], session, settings))


def test_ping_reports_every_system_and_goes_on_after_a_failure(sandbox, production, capsys):
    urls = sandbox.urls
    for name, value in {
        "ORACLE_EBS_BASE_URL": urls["oracle_ebs"],
        "ORACLE_EBS_USERNAME": SANDBOX.ebs_user,
        "ORACLE_EBS_PASSWORD": "not-the-password",
        "SAP_ECC_BASE_URL": urls["sap_ecc"],
        "SAP_ECC_USERNAME": SANDBOX.sap_user,
        "SAP_ECC_PASSWORD": SANDBOX.sap_password,
        # no DYNAMICS_FO_CLIENT_SECRET
        "DYNAMICS_FO_ENVIRONMENT_URL": urls["dynamics_fo"],
        "DYNAMICS_FO_AUTHORITY_URL": urls["entra"],
        "DYNAMICS_FO_TENANT_ID": SANDBOX.tenant_id,
        "DYNAMICS_FO_CLIENT_ID": SANDBOX.client_id,
        "DYNAMICS_SALES_ENVIRONMENT_URL": urls["dynamics_sales"],
        "DYNAMICS_SALES_AUTHORITY_URL": urls["entra"],
        "DYNAMICS_SALES_TENANT_ID": SANDBOX.tenant_id,
        "DYNAMICS_SALES_CLIENT_ID": SANDBOX.client_id,
        "DYNAMICS_SALES_CLIENT_SECRET": SANDBOX.client_secret,
        "SALESFORCE_MY_DOMAIN_URL": urls["salesforce"],
        "SALESFORCE_CLIENT_ID": SANDBOX.salesforce_client_id,
        "SALESFORCE_CLIENT_SECRET": SANDBOX.salesforce_client_secret,
    }.items():
        production.setenv(name, value)

    assert cli.main(["ping"]) == 2, "a missing variable is a configuration error"

    lines = capsys.readouterr().out.splitlines()
    assert list(dict.fromkeys(line.split()[0] for line in lines)) == [kind.system for kind in SYSTEM_RESOURCES]
    verdicts = first_lines(lines)
    assert verdicts["oracle_ebs"].startswith("FAILED") and "login refused" in verdicts["oracle_ebs"]
    assert (
        verdicts["dynamics_fo"].startswith("FAILED")
        and "DYNAMICS_FO_CLIENT_SECRET is not set" in verdicts["dynamics_fo"]
    )
    for system in ("sap_ecc", "dynamics_sales", "salesforce"):
        assert verdicts[system].startswith("ok") and " ms  " in verdicts[system], verdicts[system]
    assert "LFA1" in verdicts["sap_ecc"]
    assert "skipped" in {line.split()[1] for line in lines if line.startswith("oracle_ebs")}, (
        "after a refused sign-in the system's other checks are not run"
    )


def first_lines(lines: list[str]) -> dict[str, str]:
    """Each system's first line (its authenticated call), after the system's name."""
    first: dict[str, str] = {}
    for line in lines:
        first.setdefault(line.split()[0], line.split(maxsplit=1)[1])
    return first


def test_ping_passes_when_every_system_answers(sandbox, production, capsys):
    for kind in SYSTEM_RESOURCES:
        for name, value in kind.sandbox(sandbox.urls).model_dump().items():
            if name in kind.environment_fields() and value is not None:
                production.setenv(kind.environment_variable(name), str(value))

    assert cli.main(["ping"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == sum(len(kind.fit_checks) for kind in SYSTEM_RESOURCES)
    assert all(line.split()[1] == "ok" for line in lines), lines


def production_env(production, urls: dict[str, str]) -> None:
    """Every system's production variables, pointed at `urls` with the sandbox's credentials."""
    for kind in SYSTEM_RESOURCES:
        for name, value in kind.sandbox(urls).model_dump().items():
            if name in kind.environment_fields() and value is not None:
                production.setenv(kind.environment_variable(name), str(value))


SANDBOX_NAMES = (*(kind.system for kind in SYSTEM_RESOURCES), "entra", "salesforce_pubsub")


@pytest.fixture
def nothing_running():
    """The sandbox's names, each at a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {
        name: f"127.0.0.1:{port}" if name == "salesforce_pubsub" else f"http://127.0.0.1:{port}"
        for name in SANDBOX_NAMES
    }


@pytest.mark.parametrize("profile", ["sandbox", "production"])
def test_ping_with_nothing_running_fails_each_system_at_once_without_retrying_and_names_where_to_look(
    profile, nothing_running, production, tmp_path, capfd
):
    started = time.monotonic()
    if profile == "production":
        production_env(production, nothing_running)
        assert cli.main(["ping"]) == 1
    else:
        config = Settings(profile=profile, home=tmp_path, ledger_url="sqlite://")
        assert ping(config, timeout_seconds=5, urls=nothing_running) == 1

    assert time.monotonic() - started < 15, "one attempt per system, no backoff"
    out, err = capfd.readouterr()
    assert "retry" not in out + err
    lines = [line for line in out.splitlines() if line.split()[1] != "skipped"]
    assert [line.split()[:2] for line in lines] == [[kind.system, "FAILED"] for kind in SYSTEM_RESOURCES]
    for kind, line in zip(SYSTEM_RESOURCES, lines, strict=True):
        assert "connection refused" in line
        line = line.split("; to fix: ")[0]
        if profile == "sandbox":
            assert line.endswith("is the sandbox running? (ml-connector sandbox)"), line
        else:
            # the URL setting whose host did not answer (Entra's for the Dynamics systems: the token comes first)
            named = line.rsplit("; check ", 1)[1].split(" / ")
            assert named and all(
                variable.startswith(kind.system.upper()) and variable.endswith("_URL") for variable in named
            ), line


def test_ping_in_the_sandbox_profile_says_what_each_check_proved_and_how_long_it_took(sandbox, tmp_path, capsys):
    config = Settings(home=tmp_path, ledger_url="sqlite://")
    assert ping(config, timeout_seconds=10, urls=sandbox.urls) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [
        [kind.system, "ok"] for kind in SYSTEM_RESOURCES for _ in kind.fit_checks
    ]
    for kind in SYSTEM_RESOURCES:
        checks = [line.split(maxsplit=2)[2] for line in lines if line.split()[0] == kind.system]
        assert all(check.startswith(f"{fit.name} ") for check, fit in zip(checks, kind.fit_checks, strict=True))
        assert all(re.search(r" \d+ ms  \S", check) for check in checks), checks


@pytest.mark.parametrize("kind", SYSTEM_RESOURCES, ids=lambda kind: kind.system)
def test_ping_with_one_wrong_secret_fails_that_system_naming_its_credential_variables_and_the_others_pass(
    kind, sandbox, production, capsys
):
    production_env(production, sandbox.urls)
    secret = sorted(name for name in kind.secrets if name in kind.required_fields({}))[0]
    production.setenv(kind.environment_variable(secret), "not-the-secret")

    assert cli.main(["ping"]) == 1

    lines = capsys.readouterr().out.splitlines()
    failed = first_lines(lines).pop(kind.system)
    assert failed.startswith("FAILED") and kind.environment_variable(secret) in failed, failed
    assert "not-the-secret" not in "\n".join(lines)
    others = [line for line in lines if line.split()[0] != kind.system]
    assert others and all(line.split()[1] == "ok" for line in others), others


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ml_connector_dagster.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_connect_then_ping_in_the_production_profile_passes_and_one_wrong_stored_secret_fails_that_system_only(
    sandbox, tmp_path
):
    """The operator's way, each command its own process: a key, every system's values stored (from a file, as JSON
    or KEY=VALUE lines, or from stdin), no system variable set; then ping."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ML_CONNECTOR_", "DAGSTER_HOME", *(f"{k.system.upper()}_" for k in SYSTEM_RESOURCES)))
    }
    env |= {
        "ML_CONNECTOR_PROFILE": "production",
        "ML_CONNECTOR_HOME": str(tmp_path / "home"),
        "ML_CONNECTOR_CREDENTIALS_KEY_FILE": str(tmp_path / "credentials.key"),
    }
    made = run_cli("connect", "--new-key", str(tmp_path / "credentials.key"), env=env)
    assert made.returncode == 0, made.stderr
    for n, kind in enumerate(SYSTEM_RESOURCES):
        values = {
            kind.environment_variable(name): str(value)
            for name, value in kind.sandbox(sandbox.urls).model_dump().items()
            if name in kind.environment_fields() and value is not None
        }
        as_lines = "".join(f"{name}={value}\n" for name, value in values.items())
        if n % 3 == 2:
            stored = run_cli("connect", kind.system, "--stdin", env=env, stdin=as_lines)
        else:
            (tmp_path / kind.system).write_text(json.dumps(values) if n % 3 else as_lines)
            stored = run_cli("connect", kind.system, "--from-file", str(tmp_path / kind.system), env=env)
        assert stored.returncode == 0, stored.stderr

    pinged = run_cli("ping", env=env)

    assert pinged.returncode == 0, pinged.stdout + pinged.stderr
    lines = pinged.stdout.splitlines()
    assert list(first_lines(lines)) == [kind.system for kind in SYSTEM_RESOURCES]
    assert all(line.split()[1] == "ok" for line in lines), lines

    wrong = run_cli("connect", "salesforce", "--stdin", env=env, stdin="SALESFORCE_CLIENT_SECRET=not-the-secret\n")
    assert wrong.returncode == 0, wrong.stderr
    pinged = run_cli("ping", env=env)

    assert pinged.returncode == 1, pinged.stdout + pinged.stderr
    lines = pinged.stdout.splitlines()
    failed = first_lines(lines).pop("salesforce")
    assert failed.startswith("FAILED") and "SALESFORCE_CLIENT_SECRET" in failed, failed
    assert "invalid_client" in failed or "refused" in failed, failed
    others = [line for line in lines if line.split()[0] != "salesforce"]
    assert others and all(line.split()[1] == "ok" for line in others), others
    assert "not-the-secret" not in pinged.stdout + pinged.stderr
    assert SANDBOX.salesforce_client_secret not in pinged.stdout + pinged.stderr
