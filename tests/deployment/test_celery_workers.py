"""The production deployment for real, with Dagster's Celery executor: a backfill of a pair's daily partitions is
submitted to the production instance (deploy/dagster.yaml: PostgreSQL storage, queued runs, pools) with the ledger in
PostgreSQL; the daemon launches its runs from the code server (deploy/workspace.yaml); each run, with
`ML_CONNECTOR_EXECUTOR=celery`, sends its steps over the machine's RabbitMQ to two Celery workers started as the
deployment starts them (`celery -A ml_connector_dagster.celery_worker worker`). They leave Dynamics 365 Sales exactly
as the same partitions run in one process leave a second sandbox. Code server, daemon, runs and workers are processes
of their own that load the code location from the environment, pointed at this test's emulators. The broker is
RabbitMQ unless ML_CONNECTOR_TEST_BROKER names another (redis://127.0.0.1:6379/7 passes too).

The workers share the run's step outputs through the default IO manager's files under DAGSTER_HOME, which works on
one machine; across machines that folder must be shared (docs/operators/deployment.md)."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.errors import DagsterUserCodeUnreachableError
from dagster._grpc.client import DagsterGrpcClient

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_environment, sandbox_resources
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.stack import build_sandbox
from tests.e2e.conftest import EBS_JOB, SMALL, settings_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"
WORKSPACE = DEPLOY.with_name("workspace.yaml")
BROKER = os.environ.get("ML_CONNECTOR_TEST_BROKER", "pyamqp://guest:guest@127.0.0.1:5672//")
WORKERS = ("worker1", "worker2")
# what two writes of one record differ in whatever their order: the row's own id and the table's write counter
ORDER_OF_WRITES = {"accountid", "contactid", "versionnumber"}


@pytest.fixture
def broker() -> str:
    """The machine's RabbitMQ; skipped where none answers (a laptop), unless ML_CONNECTOR_REQUIRE_BROKER is set (CI)."""
    from kombu import Connection

    try:
        with Connection(BROKER, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises the transport's own errors
        if os.environ.get("ML_CONNECTOR_REQUIRE_BROKER"):
            pytest.fail(f"a Celery broker is required but {BROKER} does not answer: {exc}")
        pytest.skip(f"no Celery broker at {BROKER}")
    return BROKER


def test_partitions_run_on_two_celery_workers_end_where_runs_in_one_process_end(
    broker, postgres_url, tmp_path, monkeypatch
):
    days = SMALL.partition_keys()
    clock = Clock(frozen_at=datetime(2026, 10, 3, 18, tzinfo=UTC))
    with build_sandbox(clock=clock, size=SMALL) as alone, build_sandbox(clock=clock, size=SMALL) as spread:
        run_in_one_process(alone, days, tmp_path / "single")

        home = tmp_path / "celery"
        celery = {
            **deployment(spread.urls, home, postgres_url),
            "DAGSTER_PG_URL": postgres_url,
            "ML_CONNECTOR_EXECUTOR": "celery",
            "ML_CONNECTOR_CELERY_BROKER": broker,
            "ML_CONNECTOR_CELERY_BACKEND": "rpc://",
        }
        shutil.copy(DEPLOY, home / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_PG_URL", postgres_url)
        with ExitStack() as stack:
            instance = stack.enter_context(dg.DagsterInstance.from_config(str(home)))
            # The pools' limits are set before the first runs, as deployment.md says: runs that are the first to use a
            # pool at the same moment may each try to create it (a unique-key violation in PostgreSQL, seen here).
            for pool in ("oracle_ebs_api", "dynamics_sales_api"):
                instance.event_log_storage.set_concurrency_slots(pool, 2)
            stack.enter_context(celery_workers(celery, home))
            workspace = stack.enter_context(code_server(celery, home))
            stack.enter_context(service("daemon", ["dagster-daemon", "run", "-w", str(workspace)], celery, home))
            backfill(days, workspace, celery)
            runs = finished_runs(instance, len(days), home)

            assert {run.tags["dagster/partition"] for run in runs} == set(days)
            assert all("dagster/backfill" in run.tags for run in runs), "launched by the daemon for the backfill"
            assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}, logs(home)
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            ran_on = {
                entry.dagster_event.engine_event_data.metadata["Celery worker"].value.split("@")[0]
                for run in runs
                for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                if "Celery worker" in entry.dagster_event.engine_event_data.metadata
            }
            assert ran_on == set(WORKERS)

        for table in ("account", "contact"):
            expected, got = target_state(alone["dynamics_sales"], table), target_state(spread["dynamics_sales"], table)
            assert expected and got == expected, table


def deployment(urls: dict[str, str], home: Path, ledger_url: str) -> dict[str, str]:
    """The environment of a deployment's processes: the systems' variables pointed at the emulators, its own Dagster
    home and ledger."""
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {
        **os.environ,
        **sandbox_environment(urls),
        "DAGSTER_HOME": str(home),
        "ML_CONNECTOR_HOME": str(home),
        "ML_CONNECTOR_LEDGER_URL": ledger_url,
        "ML_CONNECTOR_START_DATE": SMALL.start_date.isoformat(),
    }


def run_in_one_process(sandbox, days: list[str], home: Path) -> None:
    """The same partitions, each run's steps one after another in this process (the default executor)."""
    home.mkdir()
    config = settings_for(home, SMALL)
    resources = sandbox_resources(config, sandbox.urls)
    job = build_definitions(config, resources).resolve_job_def(EBS_JOB)
    try:
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            for day in days:
                assert job.execute_in_process(partition_key=day, instance=instance).success
    finally:
        resources["ledger"].ledger().dispose()


@contextmanager
def code_server(environment: dict[str, str], home: Path):
    """`dagster code-server start` on a free port, and deploy/workspace.yaml pointed at it, once it serves the code
    location."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(port)]
    with service("code_server", [*command, "-m", "ml_connector_dagster.definitions"], environment, home) as server:
        workspace = yaml.safe_load(WORKSPACE.read_text())
        workspace["load_from"][0]["grpc_server"].update(host="127.0.0.1", port=port)
        (home / "workspace.yaml").write_text(yaml.safe_dump(workspace))
        client = DagsterGrpcClient(host="127.0.0.1", port=port)
        for _ in range(240):
            assert server.poll() is None, logs(home)
            try:
                client.list_repositories()
                break
            except DagsterUserCodeUnreachableError:
                time.sleep(0.5)
        yield home / "workspace.yaml"


@contextmanager
def service(name: str, command: list[str], environment: dict[str, str], home: Path):
    """A long-running process of the deployment, its output in `<name>.log`, stopped on leaving."""
    with (home / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / command[0]), *command[1:]],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stopped(process)


def backfill(days: list[str], workspace: Path, environment: dict[str, str]) -> None:
    """What a user does from the partitions dialog: a backfill of the days, which the daemon turns into queued runs."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "job", "backfill", "-w", str(workspace), "-j", EBS_JOB]
        + ["--partitions", ",".join(days), "--noprompt"],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def finished_runs(instance: dg.DagsterInstance, count: int, home: Path) -> list[dg.DagsterRun]:
    # The backfill daemon submits the runs, the run queue launches them; each takes a minute or two on two workers.
    for _ in range(900):
        runs = instance.get_runs(dg.RunsFilter(job_name=EBS_JOB))
        if len(runs) == count and all(run.is_finished for run in runs):
            return runs
        time.sleep(1)
    pytest.fail(f"the backfill's runs did not finish: {[(run.tags, run.status) for run in runs]}\n{logs(home)}")


def logs(home: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in sorted(home.glob("*.log")))


@contextmanager
def celery_workers(environment: dict[str, str], home: Path):
    """The two workers, each taking one step at a time, ready before the first run sends them steps; stopped (warm
    shutdown) on leaving."""
    with ExitStack() as stack:
        workers = []
        for name in WORKERS:
            log = stack.enter_context((home / f"{name}.log").open("w+"))
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "ml_connector_dagster.celery_worker", "worker"]
                + ["--hostname", f"{name}@%h", "--concurrency", "1", "--loglevel", "INFO"],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(stopped, worker)
            workers.append((worker, home / f"{name}.log"))
        for worker, log in workers:
            wait_until_ready(worker, log)
        yield


def wait_until_ready(worker: subprocess.Popen, log: Path) -> None:
    # Celery says "<name>@<host> ready." once it consumes from the queue; a worker that dies says why in its log.
    for _ in range(240):
        if " ready." in log.read_text():
            return
        assert worker.poll() is None, log.read_text()[-4000:]
        time.sleep(0.5)
    pytest.fail(f"the worker did not start: {log.read_text()[-4000:]}")


def stopped(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def target_state(dataverse, table: str) -> dict[str, dict]:
    """The table's records by external id, each reference to another record given as that record's external id."""
    external_ids = {
        row[key]: row["mlc_externalid"]
        for name, key in (("account", "accountid"), ("contact", "contactid"))
        for row in dataverse.rows(name)
    }
    return {
        row["mlc_externalid"]: {
            field: external_ids.get(value, value) for field, value in row.items() if field not in ORDER_OF_WRITES
        }
        for row in dataverse.rows(table)
    }
