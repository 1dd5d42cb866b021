"""What the Dagster UI can show of the code location, loaded as `dagster dev` loads it (workspace.yaml, in a code
server process of its own), in each profile: no secret's value anywhere, for every job and every resource."""

import dataclasses
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml
from dagster._serdes import serialize_value
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster import connect
from ml_connector_dagster.connections import SYSTEM_RESOURCES
from ml_connector_dagster.credentials_key import KEY, new_key
from ml_connector_dagster.sandbox.credentials import SANDBOX
from ml_connector_dagster.settings import Settings
from ml_connector_dagster.systems import sandbox_urls

WORKSPACE = str(Path(__file__).parents[1] / "workspace.yaml")
LOCATION = "ml_connector_dagster"
LEDGER_PASSWORD = "ledger-pass-4711"

RESOURCES = """
query ($selector: RepositorySelector!) {
  allTopLevelResourceDetailsOrError(repositorySelector: $selector) {
    ... on ResourceDetailsList {
      results { name configuredValues { key value type } configFields { name defaultValueAsJson } }
    }
  }
}"""

LAUNCHPAD = """
query ($selector: PipelineSelector!) {
  runConfigSchemaOrError(selector: $selector) {
    __typename
    ... on RunConfigSchema {
      rootDefaultYaml
      allConfigTypes { key ... on CompositeConfigType { fields { name defaultValueAsJson } } }
    }
  }
}"""


def sandbox_secrets() -> set[str]:
    """The values of every secret field of the sandbox's resources, and every sandbox credential that is a password,
    secret, token or key, whether a resource uses it yet or not."""
    urls = sandbox_urls()
    declared = {getattr(kind.sandbox(urls), name) for kind in SYSTEM_RESOURCES for name in kind.secrets}
    named = {
        value
        for name, value in dataclasses.asdict(SANDBOX).items()
        if isinstance(value, str) and any(word in name for word in ("password", "secret", "token", "key"))
    }
    return {value for value in declared | named if value}


def production_environment() -> dict[str, str]:
    """A value of its own for every secret variable of every system, and a ledger URL with a password."""
    secrets = {
        kind.environment_variable(name): f"prod-{kind.system}-{name}-value"
        for kind in SYSTEM_RESOURCES
        for name in kind.secrets
    }
    return {**secrets, "ML_CONNECTOR_LEDGER_URL": f"postgresql://postgres:{LEDGER_PASSWORD}@127.0.0.1:5432/test"}


@dataclasses.dataclass
class Shown:
    """What the webserver holds of the code location, and what its UI asks GraphQL for."""

    snapshots: str
    resources: dict[str, dict]
    launchpads: dict[str, dict]

    @property
    def everything(self) -> str:
        return self.snapshots + repr(self.resources) + repr(self.launchpads)


@contextmanager
def served(profile: str, tmp_path, monkeypatch, environment: dict[str, str]) -> Iterator[Shown]:
    for name in list(os.environ):
        if name.startswith(tuple(f"{kind.system.upper()}_" for kind in SYSTEM_RESOURCES)):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ML_CONNECTOR_PROFILE", profile)
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ML_CONNECTOR_LEDGER_URL", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "dagster").mkdir()
    with (
        dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance,
        define_out_of_process_context(WORKSPACE, None, instance) as context,
    ):
        [repository] = context.get_code_location(LOCATION).get_repositories().values()
        jobs = [repository.get_full_job(job.name) for job in repository.get_all_jobs()]
        snapshots = serialize_value(repository.repository_snap) + "".join(
            serialize_value(job.job_snapshot) for job in jobs
        )
        where = {"repositoryLocationName": LOCATION, "repositoryName": repository.name}
        answer = execute_dagster_graphql(context, RESOURCES, {"selector": where}).data
        resources = {r["name"]: r for r in answer["allTopLevelResourceDetailsOrError"]["results"]}
        launchpads = {
            job.name: execute_dagster_graphql(
                context, LAUNCHPAD, {"selector": {**where, "pipelineName": job.name}}
            ).data["runConfigSchemaOrError"]
            for job in jobs
        }
        yield Shown(snapshots, resources, launchpads)


KINDS = {kind.system: kind for kind in SYSTEM_RESOURCES} | {"ledger": LedgerResource}


def assert_each_secret_is_shown_as_its_variable(shown: Shown, holding_all: set[str]) -> None:
    """In the resources view, and in the run config each job's launchpad fills in; the resources `holding_all` have
    a value for every secret they declare."""
    for key, kind in KINDS.items():
        values = {value["key"]: value for value in shown.resources[key]["configuredValues"]}
        assert key not in holding_all or kind.secrets <= set(values), key
        for name in kind.secrets & set(values):
            assert values[name]["type"] == "ENV_VAR", (key, name, values[name])
    for job, pad in shown.launchpads.items():
        for key, resource in yaml.safe_load(pad["rootDefaultYaml"]).get("resources", {}).items():
            filled = resource.get("config", {})
            for name in KINDS[key].secrets & set(filled) if key in KINDS else ():
                assert set(filled[name]) == {"env"}, (job, key, name, "names its variable")


def test_the_sandbox_profile_shows_no_sandbox_secret(tmp_path, monkeypatch):
    secrets = sandbox_secrets()
    assert SANDBOX.salesforce_client_secret in secrets and SANDBOX.ebs_password in secrets
    with served("sandbox", tmp_path, monkeypatch, {}) as shown:
        assert {"replay_dynamics_sales", "replay_salesforce", "replay_procore"} <= set(shown.launchpads)
        assert all(pad["__typename"] == "RunConfigSchema" for pad in shown.launchpads.values())
        leaked = sorted(secret for secret in secrets if secret in shown.everything)
        assert not leaked, f"shown by the UI: {leaked}"
        assert_each_secret_is_shown_as_its_variable(shown, set(KINDS) - {"ledger"})  # SQLite: no password
        values = {v["key"]: v for v in shown.resources["salesforce"]["configuredValues"]}
        assert values["client_secret"]["value"] == "ML_CONNECTOR_SECRET_SALESFORCE_CLIENT_SECRET"
        assert json.loads(values["client_id"]["value"]) == SANDBOX.salesforce_client_id, "identifiers stay visible"


def test_the_production_profile_shows_no_secret_and_no_password_in_the_ledger_url(tmp_path, monkeypatch):
    environment = production_environment()
    with served("production", tmp_path, monkeypatch, environment) as shown:
        assert {"replay_dynamics_sales", "replay_salesforce", "replay_procore"} <= set(shown.launchpads)
        secrets = {value for name, value in environment.items() if name != "ML_CONNECTOR_LEDGER_URL"}
        leaked = sorted(secret for secret in [*secrets, LEDGER_PASSWORD] if secret in shown.everything)
        assert not leaked, f"shown by the UI: {leaked}"
        assert_each_secret_is_shown_as_its_variable(shown, set(KINDS))
        ledger = {v["key"]: v["value"] for v in shown.resources["ledger"]["configuredValues"]}
        assert json.loads(ledger["url"]) == "postgresql://postgres@127.0.0.1:5432/test", "where it is stays visible"
        procore = {v["key"]: v["value"] for v in shown.resources["procore"]["configuredValues"]}
        assert procore["client_secret"] == "PROCORE_CLIENT_SECRET"


def stored_values(kind) -> dict[str, str]:
    """Every secret of a system (each a value of its own) and the settings it requires."""
    values = {name: f"stored-{kind.system}-{name}-value" for name in kind.secrets if name != "budget_url"}
    for name in kind.required_fields({}) - kind.secrets:
        values[name] = f"https://{kind.system}.example.com" if name.endswith("_url") else f"{kind.system}-{name}"
    return values


def test_the_production_profile_shows_no_secret_stored_with_connect(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    key = new_key()
    monkeypatch.setenv(KEY, key)
    monkeypatch.delenv(f"{KEY}_FILE", raising=False)
    for name in list(os.environ):
        if name.startswith(tuple(f"{kind.system.upper()}_" for kind in SYSTEM_RESOURCES)):
            monkeypatch.delenv(name)
    config = Settings(profile="production", home=home, ledger_url=f"sqlite:///{home / 'ledger.sqlite'}")
    for kind in SYSTEM_RESOURCES:
        connect.store_values(kind, config, stored_values(kind), by="test", out=io.StringIO())

    with served("production", tmp_path, monkeypatch, {KEY: key}) as shown:
        assert {"replay_dynamics_sales", "replay_salesforce", "replay_procore"} <= set(shown.launchpads)
        secrets = {
            value for kind in SYSTEM_RESOURCES for name, value in stored_values(kind).items() if name in kind.secrets
        }
        leaked = sorted(secret for secret in [*secrets, key] if secret in shown.everything)
        assert not leaked, f"shown by the UI: {leaked}"
        assert_each_secret_is_shown_as_its_variable(shown, set(KINDS) - {"ledger"})
        ebs = {v["key"]: v["value"] for v in shown.resources["oracle_ebs"]["configuredValues"]}
        assert ebs["password"].startswith("ML_CONNECTOR_SECRET_ORACLE_EBS_PASSWORD"), (
            "the variable the store's value is in"
        )
        assert json.loads(ebs["username"]) == "oracle_ebs-username", "a stored setting is shown"
