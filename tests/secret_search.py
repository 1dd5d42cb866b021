"""Where a secret could end up after runs, searched: runs launched as the UI launches them (through the code server of
workspace.yaml, each in a run worker process that builds the definitions itself), what the webserver's GraphQL answers
about them, and every file under a folder."""

import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import dagster as dg
from dagster_graphql.client.client_queries import CLIENT_SUBMIT_PIPELINE_RUN_MUTATION
from dagster_graphql.test.utils import execute_dagster_graphql

from ml_connector_dagster.demo import QUIET
from tests.test_ui_shows_no_secret import LOCATION

JOB = "oracle_ebs__dynamics_sales"

RUNS = """
query {
  runsOrError { ... on Runs { results { runId status runConfigYaml tags { key value } } } }
}"""
EVENTS = """
query ($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message }
        ... on ExecutionStepFailureEvent { error { message stack cause { message } } }
        ... on RunFailureEvent { error { message } }
      }
    }
  }
}"""


def launch(context, job: str, partition: str) -> str:
    [repository] = context.get_code_location(LOCATION).get_repositories().values()
    answer = execute_dagster_graphql(
        context,
        CLIENT_SUBMIT_PIPELINE_RUN_MUTATION,
        {
            "executionParams": {
                "selector": {
                    "repositoryLocationName": LOCATION,
                    "repositoryName": repository.name,
                    "pipelineName": job,
                },
                "runConfigData": QUIET,
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
            }
        },
    ).data["launchPipelineExecution"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return answer["run"]["runId"]


def finished(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = instance.get_run_by_id(run_id).status
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            return status
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish")


def files_holding(folder: Path, secrets: set[str]) -> dict[str, list[str]]:
    """Each file under `folder` holding a secret, and which: its bytes as they are, and for a SQLite database also
    every value of every table decompressed where it is zlib (Dagster stores its run and job snapshots so)."""
    found: dict[str, list[str]] = {}
    for path in (path for path in folder.rglob("*") if path.is_file()):
        data = path.read_bytes()
        if data.startswith(b"SQLite format 3\x00"):
            data += b"".join(_inflated(path))
        hits = sorted(secret for secret in secrets if secret.encode() in data)
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def _inflated(database: Path) -> Iterator[bytes]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes):
                        try:
                            yield zlib.decompress(value)
                        except zlib.error:
                            pass
