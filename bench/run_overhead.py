"""Benchmark: what one run of a small daily partition costs, per executor, on the production profile.

Each run is `dagster job execute` of the code location in a process of its own (what a launched run's process does:
start Python, import and build the code location, run the job), for one seeded day of a pair's job against the
sandbox, with the systems' variables of the production profile pointing at the emulators. The executor the job
declares (one process per run, `session_resource.RUN_EXECUTOR`) against Dagster's multiprocess executor (a process
per step), by loading the code location from a file that swaps the executor before anything is built. Printed, in
this one run: seconds per run and sign-ins per run (EBS logins, Entra tokens) for each, and the ratio. The emulators
serve from threads of this process; the Dagster instance is a fresh SQLite one.

    python bench/run_overhead.py [--job oracle_ebs__dynamics_sales] [--runs 2]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from ml_connector_dagster.connections import SYSTEM_RESOURCES
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox

SEED = SeedSize(parties=360, vendors=60, sap_vendors=50, sap_customers=70, sap_orders=40, start_date=date(2026, 10, 1))
MULTIPROCESS = """import dagster as dg
import ml_connector_dagster.session_resource as session_resource

session_resource.RUN_EXECUTOR = dg.multiprocess_executor
from ml_connector_dagster.definitions import defs
"""


def production_environment(urls: dict[str, str], home: str) -> dict[str, str]:
    """The production profile with every system's variables set to the sandbox resource's values."""
    environment = {
        "ML_CONNECTOR_PROFILE": "production",
        "ML_CONNECTOR_HOME": home,
        "ML_CONNECTOR_LEDGER_URL": f"sqlite:///{home}/ledger.sqlite",
        "ML_CONNECTOR_START_DATE": SEED.start_date.isoformat(),
        "DAGSTER_HOME": home,
    }
    for kind in SYSTEM_RESOURCES:
        resource = kind.sandbox(urls)
        for name in kind.environment_fields():
            if getattr(resource, name) is not None:
                environment[kind.environment_variable(name)] = str(getattr(resource, name))
    return environment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", default="oracle_ebs__dynamics_sales")
    parser.add_argument("--runs", type=int, default=2, help="per executor, each on a day of its own")
    args = parser.parse_args()
    days = SEED.partition_keys()
    with tempfile.TemporaryDirectory() as home, build_sandbox(size=SEED) as sandbox:
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        Path(home, "multiprocess.py").write_text(MULTIPROCESS)
        environment = {**os.environ, **production_environment(sandbox.urls, home)}
        code = {
            "one process per run": ["-m", "ml_connector_dagster.definitions"],
            "process per step": ["-f", str(Path(home, "multiprocess.py")), "-a", "defs"],
        }
        figures: dict[str, list[tuple[float, int, int]]] = {name: [] for name in code}
        for run in range(args.runs):
            for name, location in code.items():
                day = days[(run * len(code) + list(code).index(name)) % len(days)]
                logins, tokens = sandbox["oracle_ebs"].sessions_opened, sandbox["entra"].tokens_issued
                started = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "dagster", "job", "execute", *location, "-j", args.job]
                    + ["--tags", json.dumps({"dagster/partition": day})],
                    env=environment,
                    check=True,
                    capture_output=True,
                )
                seconds = time.perf_counter() - started
                figures[name].append(
                    (
                        seconds,
                        sandbox["oracle_ebs"].sessions_opened - logins,
                        sandbox["entra"].tokens_issued - tokens,
                    )
                )
                print(f"{name}: {day} in {seconds:.1f} s", file=sys.stderr, flush=True)
    print(render(args.job, figures))
    return 0


def render(job: str, figures: dict[str, list[tuple[float, int, int]]]) -> str:
    def mean(name: str, column: int) -> float:
        return sum(row[column] for row in figures[name]) / len(figures[name])

    lines = [f"{job}, one small daily partition per run, {os.cpu_count()} cores", ""]
    lines.append(f"{'executor':<22}{'s per run':>10}{'EBS logins':>12}{'Entra tokens':>14}")
    for name in figures:
        lines.append(f"{name:<22}{mean(name, 0):>10.1f}{mean(name, 1):>12.1f}{mean(name, 2):>14.1f}")
    ours, other = "one process per run", "process per step"
    lines += ["", f"seconds per run: process per step / one process per run = {mean(other, 0) / mean(ours, 0):.1f}x"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
