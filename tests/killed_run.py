"""A job run in a process of its own against the test's sandbox and ledger, killed with SIGKILL once it has begun
writing: what kill -9, an OOM kill or a lost machine leaves (requests the target may still process, ledger rows never
written, a lease never released). `kill_once_started` runs it as `python -m tests.killed_run SPEC`, SPEC a JSON
object: the sandbox's `urls`, `home`, `ledger_url`, `start_date`, the `job` with its `partition` or `run_config`,
`resources` (overrides by system name) and `ledger` (settings of the ledger resource)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.settings import Settings
from tests.e2e.conftest import Env

REPO = Path(__file__).resolve().parents[1]


def kill_once_started(
    env: Env,
    job: str,
    started: Callable[[], bool],
    *,
    resources: dict[str, dict],
    ledger: dict,
    partition: str | None = None,
    run_config: dict | None = None,
) -> str:
    """Runs `job` (one partition, or with `run_config`) in another process against `env`'s sandbox and ledger, waits
    until `started()` says it has begun writing, kills it with SIGKILL and answers its output."""
    spec = {
        "urls": env.sandbox.urls,
        "home": str(env.config.home),
        "ledger_url": env.config.ledger_url,
        "start_date": env.config.start_date.isoformat(),
        "job": job,
        "partition": partition,
        "run_config": run_config,
        "resources": resources,
        "ledger": ledger,
    }
    # A file, not a pipe: nobody reads a pipe while the run goes on, and a full one would stall the run.
    log = env.config.home / f"killed-{job}-{partition or 'run'}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.killed_run", json.dumps(spec)],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while not started():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"the run ended, or never wrote, before the kill:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL, "the run must be killed mid-load, not finish"
    return log.read_text()


def main(spec: dict) -> int:
    config = Settings(home=spec["home"], ledger_url=spec["ledger_url"], start_date=spec["start_date"])
    resources = {
        **sandbox_resources(config, spec["urls"], **spec["resources"]),
        "ledger": LedgerResource(url=config.ledger_url, **spec["ledger"]),
    }
    job = build_definitions(config, resources).resolve_job_def(spec["job"])
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            partition_key=spec["partition"], run_config=spec["run_config"], instance=instance, raise_on_error=False
        )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
