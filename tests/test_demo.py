"""`ml-connector demo` on a small seed, twice, as an operator runs it: progress on stderr as the runs go (pair,
partition, counts so far), the summary alone on stdout, and numbers that each mean one thing: a rerun over unchanged
sources writes nothing and puts nothing new in dead letters, and the table's dead letters are the agreement's."""

import json
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from io import StringIO

import pytest

from ml_connector_dagster import demo
from ml_connector_dagster.demo_tally import STATES
from ml_connector_dagster.settings import Settings
from tests.e2e.conftest import JDE_ZOHO

# The e2e tests' small seed, with a few masters only an initial load reads.
TINY = replace(JDE_ZOHO, dormant_parties=3, dormant_sap_vendors=1, dormant_sap_customers=1, purchase_orders=4)
# One worker runs the module: its tests share the two demo runs of one fixture.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]
PROGRESS = re.compile(r"^\[\s*\d+:\d\d\] ")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The first demo and a rerun in the same home: (stdout, stderr) of each."""
    home = tmp_path_factory.mktemp("home")
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
