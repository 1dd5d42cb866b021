"""The executor is the deployment's choice (ML_CONNECTOR_EXECUTOR), taken by every job, with the Celery workers'
app built from the same settings (tests/deployment/test_celery_workers.py runs it on two workers)."""

import os

import pytest
from dagster._serdes import serialize_value

from ml_connector_dagster import cli
from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.executor import celery_app_arguments
from ml_connector_dagster.settings import Settings, SettingsError, settings

BROKER = "pyamqp://mlc:hunter2@rabbit.internal:5672//"


def configured(tmp_path, **chosen) -> Settings:
    return Settings(home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}", **chosen)


@pytest.mark.parametrize("executor", ["multiprocess", "celery"])
def test_every_job_takes_the_executor_the_deployment_chose(executor, tmp_path, monkeypatch):
    monkeypatch.setenv("ML_CONNECTOR_CELERY_BROKER", BROKER)
    jobs = build_definitions(configured(tmp_path, executor=executor, celery_broker=BROKER)).resolve_all_job_defs()
    executors = {job.name: job.executor_def.name for job in jobs}
    assert "__ASSET_JOB" in executors and {"replay_jde", "zoho_crm_channel_renewal"} <= set(executors)
    assert "oracle_ebs__dynamics_sales__initial_load" in executors
    assert set(executors.values()) == {executor}


def test_the_celery_executor_reads_the_broker_from_its_variable_and_the_job_never_holds_its_password(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("ML_CONNECTOR_CELERY_BROKER", "pyamqp://guest@localhost:5672//")
    defs = build_definitions(configured(tmp_path, executor="celery", celery_broker=BROKER))
    job = defs.resolve_job_def("oracle_ebs__dynamics_sales")
    assert "hunter2" not in serialize_value(job.get_job_snapshot())
    # the settings given are the ones the run's process resolves the variable to
    assert os.environ["ML_CONNECTOR_CELERY_BROKER"] == BROKER


def test_the_workers_app_takes_the_broker_and_backend_the_runs_send_steps_to(tmp_path):
    from dagster_celery.make_app import make_app

    chosen = configured(tmp_path, executor="celery", celery_broker=BROKER, celery_backend="redis://cache:6379/1")
    app = make_app(celery_app_arguments(chosen))
    assert app.conf.broker_url == BROKER and app.conf.result_backend == "redis://cache:6379/1"
    # dagster-celery's defaults for the rest: one step fetched at a time, its queue
    assert app.conf.worker_prefetch_multiplier == 1 and app.conf.task_default_queue == "dagster"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ML_CONNECTOR_EXECUTOR", "k8s", "accepted: in_process, multiprocess or celery"),
        ("ML_CONNECTOR_CELERY_BROKER", "kafka://mlc:hunter2@bus:9092", "not a URL of amqp, amqps, pyamqp, redis"),
        ("ML_CONNECTOR_CELERY_BACKEND", "rabbit", "not a URL of rpc, redis, rediss"),
    ],
)
def test_a_bad_executor_setting_is_one_line_naming_its_variable_and_exit_2(
    variable, value, said, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv(variable, value)
    settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as failed:
            settings()
        [line] = str(failed.value).splitlines()
        assert line.startswith(f"{variable}=") and said in line and "hunter2" not in line, line
        assert cli.main(["dead-letters"]) == 2
        assert capsys.readouterr().err == f"ml-connector: {line}\n"
    finally:
        settings.cache_clear()


def test_celery_without_dagster_celery_installed_says_which_extra_to_install(monkeypatch, tmp_path):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "dagster_celery" else find_spec(name))
    with pytest.raises(ValueError, match=r"pip install 'ml-connector-dagster\[celery\]'"):
        configured(tmp_path, executor="celery")


def test_every_deployment_setting_is_in_the_configuration_reference():
    from ml_connector_dagster.config_reference import DOC
    from ml_connector_dagster.settings import ENVIRONMENT_VARIABLES

    table = DOC.read_text().split("## Bad values")[0]
    assert [name for name in ENVIRONMENT_VARIABLES.values() if f"| `{name}` |" not in table] == []


def test_the_worker_module_builds_its_app_from_the_settings_when_celery_asks_for_it(monkeypatch, tmp_path):
    from celery.app.utils import find_app

    from ml_connector_dagster import celery_worker

    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("ML_CONNECTOR_CELERY_BROKER", BROKER)
    settings.cache_clear()
    celery_worker._app.cache_clear()
    try:
        app = find_app("ml_connector_dagster.celery_worker")  # what `celery -A ml_connector_dagster.celery_worker` does
        assert app.conf.broker_url == BROKER and "execute_plan" in app.tasks
    finally:
        settings.cache_clear()
        celery_worker._app.cache_clear()
