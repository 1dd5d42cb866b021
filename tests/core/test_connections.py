"""The resources of each profile, and `ml-connector ping` over them, against a running sandbox."""

import os

import pytest

from ml_connector_dagster import cli
from ml_connector_dagster.connections import SYSTEM_RESOURCES, sandbox_resources
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


def test_every_systems_check_passes_against_the_sandbox(sandbox, tmp_path):
    resources = sandbox_resources(Settings(home=tmp_path, ledger_url="sqlite://"), sandbox.urls)
    assert set(resources) == {"ledger", *(kind.system for kind in SYSTEM_RESOURCES)}
    for kind in SYSTEM_RESOURCES:
        with resources[kind.system].open() as session:
            assert resources[kind.system].check(session)


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

    assert cli.main(["ping"]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [kind.system for kind in SYSTEM_RESOURCES]
    verdicts = {line.split()[0]: line.split(maxsplit=1)[1] for line in lines}
    assert verdicts["oracle_ebs"].startswith("FAILED") and "login refused" in verdicts["oracle_ebs"]
    assert (
        verdicts["dynamics_fo"].startswith("FAILED")
        and "DYNAMICS_FO_CLIENT_SECRET is not set" in verdicts["dynamics_fo"]
    )
    for system in ("sap_ecc", "dynamics_sales", "salesforce"):
        assert verdicts[system].startswith("ok") and verdicts[system].endswith(" ms)"), verdicts[system]
    assert "LFA1" in verdicts["sap_ecc"]


def test_ping_passes_when_every_system_answers(sandbox, production, capsys):
    for kind in SYSTEM_RESOURCES:
        for name, value in kind.sandbox(sandbox.urls).model_dump().items():
            if name in kind.environment_fields() and value is not None:
                production.setenv(kind.environment_variable(name), str(value))

    assert cli.main(["ping"]) == 0
    assert capsys.readouterr().out.count(" ok ") == len(SYSTEM_RESOURCES)
