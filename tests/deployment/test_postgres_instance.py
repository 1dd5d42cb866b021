"""The production deployment for real: the Dagster instance from deploy/dagster.yaml (dagster-postgres storage,
queued runs, concurrency pools) and the ledger, both in the PostgreSQL server, running the EBS → Dynamics 365 Sales
job against the sandbox."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.stack import build_sandbox
from tests.e2e.conftest import EBS_JOB, SAP_JOB, SMALL, full_read_config, settings_for

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"


def test_the_job_runs_on_a_postgres_instance_with_a_postgres_ledger(postgres_url, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", postgres_url)
    config = settings_for(tmp_path, SMALL, ledger_url=postgres_url)
    clock = Clock(frozen_at=datetime(2026, 10, 3, 18, tzinfo=UTC))
    with build_sandbox(clock=clock, size=SMALL) as sandbox, dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        resources = sandbox_resources(config, sandbox.urls)
        defs = build_definitions(config, resources)
        day = SMALL.partition_keys()[0]
        for name, load in ((EBS_JOB, "oracle_ebs_accounts"), (SAP_JOB, "sap_ecc_opportunityproducts")):
            job = defs.resolve_job_def(name)
            first = job.execute_in_process(partition_key=day, instance=instance)
            # EBS's unchanged windows would be skipped (unchanged_windows.py): read again on purpose
            again = job.execute_in_process(partition_key=day, instance=instance, run_config=full_read_config(job))
            assert first.success and again.success
            runs = instance.get_runs(dg.RunsFilter(job_name=name, tags={"dagster/partition": day}))
            assert {run.run_id for run in runs} == {first.run_id, again.run_id}
            latest = instance.get_latest_materialization_event(dg.AssetKey(["dynamics_sales", load]))
            metadata = latest.asset_materialization.metadata
            assert metadata["write_calls"].value == 0 and metadata["unchanged"].value > 0
        ledger = Ledger(postgres_url)
        try:
            for pair in (EBS_JOB, SAP_JOB):
                keys = [
                    row["mlc_externalid"]
                    for row in sandbox["dynamics_sales"].rows("account")
                    if row["mlc_externalid"].startswith(pair.split("__")[0])
                ]
                assert keys and ledger.synced_keys(pair, "account", keys) == set(keys)
        finally:
            ledger.dispose()
            resources["ledger"].ledger().dispose()


def test_the_daemon_looks_for_queued_runs_every_second_and_keeps_the_run_limits(postgres_url, tmp_path, monkeypatch):
    shutil.copy(DEPLOY, tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_PG_URL", postgres_url)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_coordinator.dequeue_interval_seconds == 1
        # the coordinator's own config must not replace the concurrency block's run limits
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 8
        assert {limit["key"] for limit in queue.tag_concurrency_limits} == {"dagster/backfill", "ml_connector/serial"}
