"""What runs the steps of every job, chosen by the deployment (`ML_CONNECTOR_EXECUTOR`), set once on the
definitions so that the pairs' jobs, initial loads, replays, upkeep jobs and the job Dagster makes for assets
materialized from the asset graph all take it; no job names its own.

- `in_process` (the default): a run's steps one after another in the run's own process, so they share the resources
  and each system's session and token. A process per step imports the code location, builds the definitions and
  signs in again for every step: on a small daily partition of oracle_ebs__dynamics_sales (bench/run_overhead.py),
  9 EBS logins instead of 1 and 6 to 10 times the seconds per run (issue #15).
- `multiprocess`: Dagster's process per step on the run's machine.
- `celery`: dagster-celery; each step is a Celery task on the broker, run by whichever worker takes it
  (`celery -A ml_connector_dagster.celery_worker worker`: celery_worker.py), on as many machines as there are workers.
  Steps hand their outputs over through the IO manager's files, so every worker must see the run's (a shared folder:
  docs/operators/deployment.md).
"""

import os

import dagster as dg

from ml_connector_dagster.settings import ENVIRONMENT_VARIABLES, Settings

# The executor config names the variables rather than holding their values: a broker URL may hold a password, and
# the definitions are shown in the UI. The run's process resolves them when it starts.
CELERY_URLS = {"broker": "celery_broker", "backend": "celery_backend"}


def run_executor(settings: Settings) -> dg.ExecutorDefinition:
    if settings.executor == "in_process":
        return dg.in_process_executor
    if settings.executor == "multiprocess":
        return dg.multiprocess_executor
    from dagster_celery import celery_executor

    for field in CELERY_URLS.values():
        # a default or a value given in code reaches the run's process as the variable the config names
        os.environ[ENVIRONMENT_VARIABLES[field]] = getattr(settings, field)
    return celery_executor.configured(
        {key: {"env": ENVIRONMENT_VARIABLES[field]} for key, field in CELERY_URLS.items()}, name="celery"
    )


def celery_app_arguments(settings: Settings) -> dict:
    """The arguments of the workers' Celery app: the executor's broker and backend, with dagster-celery's defaults
    for the rest (one task prefetched at a time, its queue and priorities), so the workers and the runs that send
    them steps cannot disagree."""
    from dagster_celery.executor import CeleryExecutor

    return CeleryExecutor.for_cli(**{key: getattr(settings, field) for key, field in CELERY_URLS.items()}).app_args()
