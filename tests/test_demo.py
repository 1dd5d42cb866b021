"""`ml-connector demo` on a small seed, twice, as an operator runs it: progress on stderr as the runs go (pair,
partition, counts so far), the summary alone on stdout, and numbers that each mean one thing: a rerun over unchanged
sources writes nothing and puts nothing new in dead letters, and the table's dead letters are the agreement's."""

import json
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from io import StringIO

import dagster as dg
import pytest
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql
from ml_connector_dagster.resources.oracle_ebs import OracleEbsResource

from ml_connector_dagster import connect, demo
from ml_connector_dagster.connections import SYSTEM_RESOURCES
from ml_connector_dagster.credentials_key import KEY, new_key
from ml_connector_dagster.demo_tally import STATES
from ml_connector_dagster.sandbox.stack import build_sandbox
from ml_connector_dagster.settings import Settings, settings
from tests.e2e.conftest import JDE_ZOHO
from tests.secret_search import EVENTS, JOB, RUNS, files_holding, finished, launch
from tests.test_ui_shows_no_secret import (
    KINDS,
    LAUNCHPAD,
    LOCATION,
    RESOURCES,
    WORKSPACE,
    Shown,
    assert_each_secret_is_shown_as_its_variable,
    sandbox_secrets,
)

# The e2e tests' small seed, with a few masters only an initial load reads.
TINY = replace(JDE_ZOHO, dormant_parties=3, dormant_sap_vendors=1, dormant_sap_customers=1, purchase_orders=4)
# One worker runs the module: its tests share the two demo runs of one fixture.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]
PROGRESS = re.compile(r"^\[\s*\d+:\d\d\] ")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def two_runs(home):
    """The first demo and a rerun in the same home: (stdout, stderr) of each."""
    config = Settings(home=home, ledger_url=f"sqlite:///{home / 'ledger.sqlite'}")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home))
        return [_main(config) for _ in range(2)]


def _main(config: Settings) -> tuple[dict, list[str]]:
    stdout, stderr = StringIO(), StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        demo.main(config, as_json=True, reset=False, size=TINY)
    return json.loads(stdout.getvalue()), stderr.getvalue().splitlines()


def test_progress_names_each_pair_and_partition_as_the_runs_go_and_stdout_stays_pure_json(two_runs):
    (report, progress), _ = two_runs
    assert report["agrees"], report["agreement"]
    assert progress and all(PROGRESS.match(line) for line in progress), "progress lines only, none of Dagster's logs"
    for pair in demo.INITIAL_LOADS:
        assert any(f"{pair} initial load: started" in line for line in progress)
    assert any("page 1 loaded" in line for line in progress), "an initial load's long steps report their pages"
    for pair in demo.DAILY_PAIRS:
        for n, day in enumerate(TINY.partition_keys(), 1):
            [done] = [line for line in progress if f"{pair} {day} ({n} of {TINY.days}): " in line and "so far" in line]
            assert re.search(
                r"so far, each record once: created \d+, updated \d+, deleted \d+, skipped \d+, unchanged", done
            )
    for pair in demo.PAIRS:
        assert any(line.split("] ", 1)[1].startswith(pair) for line in progress)


def test_each_record_is_counted_once_and_a_rerun_writes_nothing_and_fails_nothing_new(two_runs):
    (first, _), (rerun, _) = two_runs
    for report in (first, rerun):
        for row in report["objects"]:
            assert row["records"] == sum(row[state] for state in STATES), row
    first_rows = {row["object"]: row for row in first["objects"]}
    assert sum(row["created"] for row in first_rows.values()) > 0
    assert all(row["new_dead_letters"] == row["dead_letters"] for row in first_rows.values()), "a fresh ledger"
    assert sum(row["dead_letters"] for row in first_rows.values()) > 0, "the seed's mess goes to dead letters"
    for row in rerun["objects"]:
        before = first_rows[row["object"]]
        assert (row["created"], row["updated"], row["deleted"], row["write_calls"]) == (0, 0, 0, 0), row
        assert row["new_dead_letters"] == 0 and row["dead_letters"] == before["dead_letters"], row


def test_the_tables_dead_letters_are_the_agreements(two_runs):
    (report, _), _ = two_runs
    rows = report["objects"]
    for line in report["agreement"]:
        source, target_object = line["object"].split()[0], line["object"].split()[-1]
        [row] = [r for r in rows if r["pair"].startswith(f"{source}__") and r["target_object"] == target_object]
        assert row["dead_letters"] == line["dead_letters"], (row, line)


def test_the_table_says_what_its_numbers_mean(two_runs):
    _, (rerun, _) = two_runs
    text = demo.render(rerun)
    header = text.splitlines()[0].split()
    assert header[:2] == ["object", "records"] and "new" in header
    legend = " ".join(text.split())
    assert "each record counted once however many runs read it" in legend and "in one column" in legend
    assert "records this run put in dead letters: 0" in text


WRONG_PASSWORD = "not-the-ebs-password-5512"


def test_no_secret_is_at_rest_logged_or_shown_after_the_demo_and_production_runs_with_stored_credentials(
    two_runs, home, monkeypatch, capfd, caplog
):
    """After the demo and, in its home, two runs of the production profile whose credentials all come from the store,
    the second refused by the sandbox (a wrong password stored for EBS): no secret, nor the key, in any file under the
    home (the ledger's database, the Dagster instances' storage: event logs, runs, compute logs), in the logs captured,
    or in what GraphQL answers (runs and their config, event logs, resources, launchpad)."""
    (first, _), _ = two_runs
    assert first["agrees"]
    key = new_key()
    for name in list(os.environ):
        if name.startswith(tuple(f"{kind.system.upper()}_" for kind in SYSTEM_RESOURCES)) or "CREDENTIALS_KEY" in name:
            monkeypatch.delenv(name)
    monkeypatch.delenv("ML_CONNECTOR_LEDGER_URL", raising=False)
    monkeypatch.setenv("ML_CONNECTOR_PROFILE", "production")
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(home))
    monkeypatch.setenv(KEY, key)
    settings.cache_clear()
    quiet = open(os.devnull, "w")  # noqa: SIM115
    (home / "instance").mkdir()
    try:
        config = settings()
        with build_sandbox(state_dir=home / "sandbox", size=TINY) as sandbox:
            for kind in SYSTEM_RESOURCES:
                values = {
                    name: str(value)
                    for name, value in kind.sandbox(sandbox.urls).model_dump().items()
                    if name in connect.connectable(kind, config) and value is not None
                }
                connect.store_values(kind, config, values, by="test", out=quiet)
            with (
                # a second instance in the home, whose runs start at once (no daemon to dequeue them)
                dg.instance_for_test(
                    temp_dir=str(home / "instance"),
                    overrides={
                        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"}
                    },
                ) as instance,
                define_out_of_process_context(WORKSPACE, None, instance) as context,
            ):
                day = TINY.partition_keys()[-1]
                synced = launch(context, JOB, day)
                assert finished(instance, synced) == dg.DagsterRunStatus.SUCCESS
                connect.store_values(OracleEbsResource, config, {"password": WRONG_PASSWORD}, by="test", out=quiet)
                refused = launch(context, JOB, day)
                assert finished(instance, refused) == dg.DagsterRunStatus.FAILURE
                [repository] = context.get_code_location(LOCATION).get_repositories().values()
                where = {"repositoryLocationName": LOCATION, "repositoryName": repository.name}
                answers = {
                    "runs": execute_dagster_graphql(context, RUNS).data,
                    **{run: execute_dagster_graphql(context, EVENTS, {"runId": run}).data for run in (synced, refused)},
                    "resources": execute_dagster_graphql(context, RESOURCES, {"selector": where}).data,
                    "launchpad": execute_dagster_graphql(
                        context, LAUNCHPAD, {"selector": {**where, "pipelineName": JOB}}
                    ).data,
                }
    finally:
        quiet.close()
        settings.cache_clear()

    assert "login refused" in repr(answers[refused]), "the refusal is in the run's events"
    secrets = sandbox_secrets() | {WRONG_PASSWORD, key}
    # The emulators' own databases (home/sandbox) are the vendors' side: a vendor holds its users' passwords.
    at_rest = {path: hits for path, hits in files_holding(home, secrets).items() if not path.startswith("sandbox/")}
    assert not at_rest, f"secrets at rest: {at_rest}"
    assert list(home.glob("instance/storage/*/compute_logs/*")) or list(home.glob("instance/**/*.err")), "searched"
    shown = sorted(secret for secret in secrets if secret in repr(answers))
    assert not shown, f"GraphQL shows {shown}"
    out, err = capfd.readouterr()
    logged = sorted(secret for secret in secrets if secret in out + err + caplog.text)
    assert not logged, f"logged: {logged}"
    resources = {r["name"]: r for r in answers["resources"]["allTopLevelResourceDetailsOrError"]["results"]}
    pads = {JOB: answers["launchpad"]["runConfigSchemaOrError"]}
    assert_each_secret_is_shown_as_its_variable(Shown("", resources, pads), set(KINDS) - {"ledger"})  # SQLite
