"""A small sandbox, the real definitions and a test Dagster instance, per test: the whole path, nothing faked."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import pytest
from ml_connector_dagster.assets.dead_letters import CHECK_SUFFIX
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.heal import PairHealed, heal_pair
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.server import SandboxServer
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from ml_connector_dagster.settings import Settings, settings

EBS_JOB, SAP_JOB = "oracle_ebs__dynamics_sales", "sap_ecc__dynamics_sales"
SMALL = SeedSize(
    parties=360,
    vendors=60,
    sap_vendors=50,
    sap_customers=70,
    sap_orders=40,
    jde_customers=40,
    jde_vendors=10,
    dormant_jde=6,
    start_date=date(2026, 10, 1),
    days=3,
)
# JD Edwards ↔ Zoho CRM on a small seed (the other systems almost empty): its two seeded days end on NOW's day, so a
# Zoho edit made now lands in a day the test runs.
JDE_ZOHO = SeedSize(
    parties=12,
    vendors=3,
    sap_vendors=3,
    sap_customers=3,
    sap_orders=2,
    fo_customers=5,
    jde_customers=20,
    jde_vendors=4,
    dormant_jde=4,
    start_date=date(2026, 10, 2),
    days=2,
)
# "Now" inside the last seeded day, so an edit made through the sandbox lands in a day the test runs.
NOW = datetime(2026, 10, 3, 18, 0, tzinfo=UTC)
FAST_RETRIES = {"max_retry_wait_seconds": 2}


@dataclass
class Env:
    sandbox: SandboxServer
    config: Settings
    resources: dict
    defs: dg.Definitions
    instance: dg.DagsterInstance
    size: SeedSize

    @property
    def ebs(self):
        return self.sandbox["oracle_ebs"]

    @property
    def dataverse(self):
        return self.sandbox["dynamics_sales"]

    @property
    def ledger(self) -> Ledger:
        return self.resources["ledger"].ledger()

    @property
    def sap(self):
        return self.sandbox["sap_ecc"]

    def run(
        self, partition: str, *, job: str = EBS_JOB, raise_on_error: bool = True, full_read: bool = False
    ) -> dg.ExecuteInProcessResult:
        """A run of the job for the partition; `full_read`: its EBS windows read even where unchanged."""
        job_def = self.defs.resolve_job_def(job)
        return job_def.execute_in_process(
            partition_key=partition,
            instance=self.instance,
            raise_on_error=raise_on_error,
            run_config=full_read_config(job_def) if full_read else None,
        )

    def run_all(self, job: str = EBS_JOB) -> None:
        for day in self.size.partition_keys():
            self.run(day, job=job)

    def with_resources(self, **overrides) -> "Env":
        """The same sandbox and ledger with changed resource settings (e.g. fewer attempts, smaller batches)."""
        merged = {
            name: {**FAST_RETRIES, **overrides.get(name, {})}
            for name in (
                "oracle_ebs",
                "sap_ecc",
                "jde",
                "dynamics_sales",
                "dynamics_fo",
                "salesforce",
                "zoho_crm",
                "procore",
            )
        }
        resources = sandbox_resources(self.config, self.sandbox.urls, **merged)
        return Env(
            self.sandbox, self.config, resources, build_definitions(self.config, resources), self.instance, self.size
        )

    def with_ledger(self, **settings) -> "Env":
        """The same sandbox and ledger database, the ledger resource configured otherwise (e.g. read_back_runs)."""
        resources = {**self.resources, "ledger": LedgerResource(url=self.config.ledger_url, **settings)}
        return Env(
            self.sandbox, self.config, resources, build_definitions(self.config, resources), self.instance, self.size
        )


def full_read_config(job: dg.JobDefinition) -> dict:
    """Run config reading every window of the job whose extract polls its digest (unchanged_windows.py)."""
    polled = [
        node.name
        for node in job.graph.node_defs
        if node.config_schema and "full_read" in getattr(node.config_schema.config_type, "fields", {})
    ]
    return {"ops": {name: {"config": {"full_read": True}} for name in polled}}


def settings_for(tmp_path, size: SeedSize, ledger_url: str | None = None) -> Settings:
    return Settings(
        home=tmp_path, ledger_url=ledger_url or f"sqlite:///{tmp_path / 'ledger.sqlite'}", start_date=size.start_date
    )


@contextmanager
def sandbox_env(
    tmp_path, size: SeedSize, *, clock: Clock | None = None, ledger_url: str | None = None
) -> Iterator[Env]:
    """The sandbox on `clock`, by default frozen at NOW; the ledger in SQLite under tmp_path unless `ledger_url`."""
    with build_sandbox(clock=clock or Clock(frozen_at=NOW), size=size) as sandbox:
        config = settings_for(tmp_path, size, ledger_url)
        resources = sandbox_resources(
            config, sandbox.urls, oracle_ebs=FAST_RETRIES, sap_ecc=FAST_RETRIES, dynamics_sales=FAST_RETRIES
        )
        (tmp_path / "dagster").mkdir()
        with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
            yield Env(sandbox, config, resources, build_definitions(config, resources), instance, size)
            resources["ledger"].ledger().dispose()


@pytest.fixture
def env(tmp_path):
    with sandbox_env(tmp_path, SMALL) as made:
        yield made


@pytest.fixture
def point_cli(monkeypatch):
    """`point_cli(env)`: the CLI's home, ledger and sandbox resources are then the test's; its Dagster instance is the
    embedded one under that home (the CLI sets DAGSTER_HOME itself: the test ends with it as it was)."""

    def point(env: Env) -> Env:
        monkeypatch.setenv("ML_CONNECTOR_HOME", str(env.config.home))
        monkeypatch.setenv("ML_CONNECTOR_LEDGER_URL", env.config.ledger_url)
        # recorded, then unset: teardown restores the recorded value over the one the CLI sets
        monkeypatch.setenv("DAGSTER_HOME", str(env.config.home))
        monkeypatch.delenv("DAGSTER_HOME")
        monkeypatch.setattr("ml_connector_dagster.connections.sandbox_resources", lambda config: env.resources)
        settings.cache_clear()
        return env

    yield point
    settings.cache_clear()


@pytest.fixture
def cli_env(env, point_cli):
    return point_cli(env)


def load_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """Materialization metadata of the run, by asset key string (e.g. dynamics_sales/oracle_ebs_accounts)."""
    return {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }


def heal(env: Env, pair: str, *, by: str = "alice") -> PairHealed:
    """What `ml-connector heal --pair <pair>` does, against the test's sandbox, ledger and Dagster instance."""
    return heal_pair(
        env.config,
        pair,
        defs=env.defs,
        target=env.resources.__getitem__,
        instance=env.instance,
        by=by,
        log=lambda message: None,
    )


def partition_checks(*results: dg.ExecuteInProcessResult) -> list[dg.AssetCheckEvaluation]:
    """The checks that judge each run's own partition: all but the dead-letter checks, which warn while any record of
    the object is in dead letters from any run (as the seed's mess is, on purpose)."""
    return [
        check
        for result in results
        for check in result.get_asset_check_evaluations()
        if not check.check_name.endswith(CHECK_SUFFIX)
    ]
