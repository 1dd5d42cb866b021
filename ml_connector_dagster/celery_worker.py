"""The Celery app of the workers that run steps for `ML_CONNECTOR_EXECUTOR=celery`, built from the same settings as
the runs that send them (dagster-celery's documented way to give workers a broker: a module of the app and its task):

    celery -A ml_connector_dagster.celery_worker worker --concurrency 2 --hostname worker1@%h

A worker needs the code location installed and the deployment's variables (ML_CONNECTOR_*, the systems', the
ledger's, DAGSTER_HOME): each step loads the code location and the run from the Dagster instance, and calls the
systems itself."""

from functools import cache


@cache
def _app():
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    from ml_connector_dagster.executor import celery_app_arguments
    from ml_connector_dagster.settings import settings

    app = make_app(celery_app_arguments(settings()))
    create_task(app)  # dagster-celery's `execute_plan`, which the executor sends each step to
    return app


def __getattr__(name: str):
    # Celery asks for the module's `app` when the worker starts; building it reads the settings, which importing a
    # module of the connector never does (tests/test_packaging.py).
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
