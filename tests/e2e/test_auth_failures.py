"""Logins per run, with the job launched as the daemon launches it (`execute_job` of a reconstructable job, the path
`dagster api execute_run` takes; `execute_in_process` always runs in one process and so could not show what an
executor does): every step of a run shares one session per system, and a refused login is tried once per run and
fails its steps with one line naming the system and the settings to check."""

import json
import os

import dagster as dg
import pytest

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.http import AuthError
from ml_connector_dagster.pairs import PAIRS
from ml_connector_dagster.settings import Settings
from tests.e2e.conftest import EBS_JOB, FAST_RETRIES

LAUNCH = "ML_CONNECTOR_TEST_LAUNCH"


# Where each system of the sandbox is signed in to (a login or a token request), by the emulator that serves it: both
# Dynamics systems get their tokens from Entra; SAP Gateway takes basic auth on every call and has no sign-in.
SIGN_IN_PATHS = {
    "oracle_ebs": "/webservices/rest/login",
    "jde": "/jderest/v2/tokenrequest",
    "entra": "/oauth2/v2.0/token",
    "salesforce": "/services/oauth2/token",
    "zoho_crm": "/oauth/v2/token",
    "procore": "/oauth/token",
}


def launched_job() -> dg.JobDefinition:
    """The job named in the environment (the EBS job by default), rebuilt from it in whichever process Dagster loads
    it (any step process too)."""
    launch = json.loads(os.environ[LAUNCH])
    config = Settings.model_validate(launch["settings"])
    resources = sandbox_resources(config, launch["urls"], **launch["overrides"])
    return build_definitions(config, resources).resolve_job_def(launch["job"])


def launch(env, monkeypatch, partition: str, *, job: str = EBS_JOB, **ebs) -> dg.JobExecutionResult:
    overrides = {"oracle_ebs": {**FAST_RETRIES, **ebs}}
    monkeypatch.setenv(
        LAUNCH,
        json.dumps(
            {
                "settings": env.config.model_dump(mode="json"),
                "urls": env.sandbox.urls,
                "overrides": overrides,
                "job": job,
            }
        ),
    )
    job = dg.reconstructable(launched_job)
    # Dagster keeps the job it last reconstructed in this process; a launched run has a process of its own, so it
    # must not get the job of an earlier test's sandbox.
    type(job).get_repository_definition.cache_clear()
    type(job).get_definition.cache_clear()
    return dg.execute_job(job, env.instance, tags={"dagster/partition": partition}, raise_on_error=False)


def test_a_launched_run_logs_in_to_each_system_once_for_all_its_steps(env, monkeypatch):
    result = launch(env, monkeypatch, env.size.partition_keys()[0])
    assert result.success
    extracts = [e for e in result.get_step_success_events() if e.step_key.startswith("oracle_ebs__")]
    assert len(extracts) > 1, "several EBS steps share the session"
    assert env.ebs.login_attempts == env.ebs.sessions_opened == 1
    assert env.ebs.active_sessions() == 0, "and it is logged out at the end of the run"
    assert env.sandbox["entra"].tokens_issued == 1, "one Dataverse token for every load of the run"


def sign_ins(env) -> dict[str, int]:
    return {
        server: sum(count for path, count in env.sandbox[server].paths_served.items() if path.endswith(sign_in))
        for server, sign_in in SIGN_IN_PATHS.items()
    }


def test_a_launched_run_of_each_pair_job_signs_in_once_to_each_system_it_reads_or_writes(env, monkeypatch):
    for pair in PAIRS:
        keys = env.defs.resolve_job_def(pair.name).partitions_def.get_partition_keys()
        day = env.size.partition_keys()[-1]
        partition = day if day in keys else keys[0]  # F&O's full reads: a legal entity
        before = sign_ins(env)
        assert launch(env, monkeypatch, partition, job=pair.name).success, pair.name
        servers = {"entra" if system.startswith("dynamics_") else system for system in (pair.source, pair.target)}
        expected = {server: int(server in servers) for server in SIGN_IN_PATHS}
        assert {server: count - before[server] for server, count in sign_ins(env).items()} == expected, pair.name


def test_a_wrong_ebs_password_costs_one_login_per_run_and_fails_with_one_line_naming_the_settings(env, monkeypatch):
    days = env.size.partition_keys()[:2]
    results = [launch(env, monkeypatch, day, password="not-the-password") for day in days]
    assert not any(result.success for result in results)
    assert env.ebs.login_attempts == len(days), "one refused login per run, whatever the number of EBS steps"
    assert env.ebs.requests_served == len(days), "and nothing else was asked of EBS"
    failures = [event for result in results for event in result.get_step_failure_events()]
    assert len(failures) > len(days), "every EBS step of the run failed, not only the first"
    descriptions = {event.step_failure_data.user_failure_data.description for event in failures}
    assert descriptions == {
        "oracle_ebs: login refused: check ORACLE_EBS_USERNAME / ORACLE_EBS_PASSWORD and that the account is active "
        "and not locked in EBS (HTTP 401)"
    }
    assert env.dataverse.count("account") == 0


@pytest.mark.parametrize(
    "system,wrong,server,settings",
    [
        ("oracle_ebs", {"password": "not-the-password"}, "oracle_ebs", "ORACLE_EBS_USERNAME / ORACLE_EBS_PASSWORD"),
        ("dynamics_sales", {"client_secret": "not-the-secret"}, "entra", "DYNAMICS_SALES_CLIENT_SECRET"),
        ("salesforce", {"client_secret": "not-the-secret"}, "salesforce", "SALESFORCE_CLIENT_SECRET"),
    ],
)
def test_a_refused_sign_in_is_tried_once_however_many_steps_ask_for_the_session(env, system, wrong, server, settings):
    resource = env.with_resources(**{system: wrong}).resources[system]
    before = env.sandbox[server].requests_served
    for _step in range(3):
        with pytest.raises(dg.Failure) as refused:
            resource.session()
        assert refused.value.description.startswith(f"{system}: ") and settings in refused.value.description
        assert "\n" not in refused.value.description and "not-the-" not in refused.value.description
    assert env.sandbox[server].requests_served == before + 1
    resource.teardown_after_execution(None)


def test_a_login_refused_mid_run_is_not_tried_again_by_later_calls(env):
    with env.resources["oracle_ebs"].open() as service:
        service.read_keys("GET_PARTIES", "1001")
        env.ebs.update_settings({"users": {}})  # the account was locked meanwhile
        env.ebs.clock.advance(env.ebs.settings.session_ttl_seconds + 1)
        for _call in range(3):
            with pytest.raises(AuthError, match="ORACLE_EBS_PASSWORD"):
                service.read_keys("GET_PARTIES", "1002")
    assert env.ebs.login_attempts == 2, "the first login, and one after the session expired"


def test_a_refused_token_request_is_not_repeated_by_later_calls(env):
    resource = env.with_resources(dynamics_sales={"client_secret": "not-the-secret"}).resources["dynamics_sales"]
    entra = env.sandbox["entra"]
    before = entra.requests_served
    with resource.open() as client:
        for _call in range(3):
            with pytest.raises(AuthError, match="AADSTS7000215"):
                next(client.rows("account", ["accountid"]), None)
    assert entra.requests_served == before + 1
