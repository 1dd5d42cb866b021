"""Benchmark: what one run of a small daily partition costs, per executor, on the production profile.

Each run is `dagster job execute` of the code location in a process of its own (what a launched run's process does:
start Python, import and build the code location, run the job), for one seeded day of a pair's job against the
sandbox, with the systems' variables of the production profile pointing at the emulators. The default executor (one
process per run, `ML_CONNECTOR_EXECUTOR=in_process`) against Dagster's multiprocess executor (a process per step,
`ML_CONNECTOR_EXECUTOR=multiprocess`). Printed, in
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

from ml_connector_dagster.connections import sandbox_environment
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox

SEED = SeedSize(parties=360, vendors=60, sap_vendors=50, sap_customers=70, sap_orders=40, start_date=date(2026, 10, 1))


def production_environment(urls: dict[str, str], home: str) -> dict[str, str]:
    """The production profile with every system's variables set to the sandbox resource's values."""
    return {
        **sandbox_environment(urls),
        "ML_CONNECTOR_HOME": home,
        "ML_CONNECTOR_LEDGER_URL": f"sqlite:///{home}/ledger.sqlite",
        "ML_CONNECTOR_START_DATE": SEED.start_date.isoformat(),
        "DAGSTER_HOME": home,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", default="oracle_ebs__dynamics_sales")
    parser.add_argument("--runs", type=int, default=2, help="per executor, each on a day of its own")
    args = parser.parse_args()
    days = SEED.partition_keys()
    with tempfile.TemporaryDirectory() as home, build_sandbox(size=SEED) as sandbox:
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        environment = {**os.environ, **production_environment(sandbox.urls, home)}
        executors = {"one process per run": "in_process", "process per step": "multiprocess"}
        figures: dict[str, list[tuple[float, int, int]]] = {name: [] for name in executors}
        for run in range(args.runs):
            for name, executor in executors.items():
                day = days[(run * len(executors) + list(executors).index(name)) % len(days)]
                logins, tokens = sandbox["oracle_ebs"].sessions_opened, sandbox["entra"].tokens_issued
                started = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "dagster", "job", "execute", "-m", "ml_connector_dagster.definitions"]
                    + ["-j", args.job, "--tags", json.dumps({"dagster/partition": day})],
                    env={**environment, "ML_CONNECTOR_EXECUTOR": executor},
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
