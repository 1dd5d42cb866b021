"""The Dagster UI in a real browser, as a user works it: `ml-connector ui` started the README's way, driven in headless
Chromium (Debian's package, `make browser`) through Playwright. The user sees every pair's groups in the lineage, turns
on a schedule, launches a backfill of three SAP days from the partitions dialog, sees the day whose reads the sandbox
fails go red, clears the fault, re-executes that day's run from failure and sees it green, then opens a load's metadata
with its counts and its failed-record sample. A screenshot of each step is kept in artifacts/browser/ (or
$ML_CONNECTOR_ARTIFACTS/browser/), with the UI's log.

The names and labels the steps look for are those dagster-webserver 1.13 shows (pyproject pins the minor version); an
upgrade may rename some: the screenshots, last_page.png and the UI's log show where a step stopped. Playwright's
locators wait by themselves; Dagster's GraphQL is polled only for what the UI learns late (the runs of a
backfill finishing) and to check that what the page shows is what Dagster holds."""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from ml_connector_dagster.systems import SANDBOX_PORTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("ML_CONNECTOR_ARTIFACTS", ROOT / "artifacts")) / "browser"
LOCATION = "ml_connector_dagster.definitions"
GROUPS = ("oracle_ebs", "sap_ecc", "jde", "dynamics_fo", "dynamics_sales", "salesforce", "zoho_crm", "procore")
JOB, SCHEDULE = "sap_ecc__dynamics_sales", "sap_ecc_dynamics_sales_schedule"
DAYS = ("2026-10-02", "2026-10-03", "2026-10-04")
FAILING_DAY = "2026-10-03"
# Only that day's change-document read names it as the window's last day (the next day's window starts on it).
FAULT = {"status": 500, "count": 50, "path_contains": "CDHDRSet", "query_contains": f"UDATE le datetime'{FAILING_DAY}"}
LOAD = "dynamics_sales/sap_ecc_opportunities"  # a purchase order in a currency Dataverse lacks fails, on every day
COUNTS = ("created", "updated", "unchanged", "failed", "api_calls")
STARTUP_SECONDS = 150
RUNS_SECONDS = 150
STOP_SECONDS = 20

BACKFILL = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { status tags { key value } } }
  }
}"""
RUN = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
LOADED = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
SCHEDULE_STATE = """
query ($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) { ... on Schedule { scheduleState { status } } }
}"""
METADATA = """
query ($key: AssetKeyInput!, $partition: String!) {
  assetOrError(assetKey: $key) {
    ... on Asset {
      assetMaterializations(partitions: [$partition], limit: 1) {
        metadataEntries {
          label
          ... on IntMetadataEntry { intValue }
          ... on MarkdownMetadataEntry { mdStr }
        }
      }
    }
  }
}"""


def unavailable(missing: str) -> NoReturn:
    if os.environ.get("ML_CONNECTOR_REQUIRE_BROWSER"):
        pytest.fail(f"browser required but {missing}")
    pytest.skip(f"browser test skipped on this machine: {missing}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Ui:
    """`ml-connector ui` in a session of its own, its GraphQL, and the sandbox's admin surface on its fixed ports."""

    def __init__(self, home: Path, log: Path):
        taken = [name for name, port in SANDBOX_PORTS.items() if _listening(port)]
        assert not taken, f"the sandbox's fixed ports are in use ({taken}): stop `ml-connector ui` or `sandbox` first"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("ML_CONNECTOR_", "DAGSTER_"))}
        self.log = log
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "ml-connector"), "ui", "--port", str(self.port)],
            env={**environment, "ML_CONNECTOR_HOME": str(home)},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def graphql(self, query: str, **variables) -> dict:
        answer = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=30).json()
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def wait_for(self, what: str, ready, seconds: float):
        """Polls `ready()` until it returns something truthy; the UI's process must stay up meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"ml-connector ui exited:\n{self.log.read_text()[-3000:]}"
            try:
                if value := ready():
                    return value
            except httpx.TransportError:
                pass  # the webserver is not listening yet
            time.sleep(1)
        raise AssertionError(f"{what}: not within {seconds} s\n{self.log.read_text()[-3000:]}")

    def loaded(self) -> bool:
        entries = self.graphql(LOADED)["workspaceOrError"]["locationEntries"]
        return any(entry["name"] == LOCATION and entry["loadStatus"] == "LOADED" for entry in entries)

    def backfill_done(self, backfill_id: str) -> dict[str, str] | None:
        """The status of each partition's last run once the backfill has finished, else None."""
        data = self.graphql(BACKFILL, id=backfill_id)
        if data["partitionBackfillOrError"]["status"] in ("REQUESTED", "CANCELING"):
            return None
        runs = data["runsOrError"]["results"]
        if any(run["status"] not in ("SUCCESS", "FAILURE", "CANCELED") for run in runs):
            return None
        partitions = {}
        for run in reversed(runs):  # newest first in the answer
            tags = {tag["key"]: tag["value"] for tag in run["tags"]}
            partitions[tags["dagster/partition"]] = run["status"]
        return partitions

    def run_finished(self, run_id: str) -> str | None:
        status = self.graphql(RUN, id=run_id)["runOrError"]["status"]
        return status if status in ("SUCCESS", "FAILURE", "CANCELED") else None

    def faults(self, system: str, plans: list[dict] | None) -> None:
        admin = f"http://127.0.0.1:{SANDBOX_PORTS[system]}/_admin/faults"
        (httpx.post(admin, json={"plans": plans}) if plans else httpx.delete(admin)).raise_for_status()

    def stop(self) -> None:
        """Ctrl-C to its whole session, as in its terminal (dagster dev then stops its daemon, code server and runs),
        and what is left of that session, this test's own, killed after a while."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
            deadline = time.monotonic() + STOP_SECONDS
            while time.monotonic() < deadline:
                self.process.poll()  # reaps the leader once it has exited
                os.killpg(self.process.pid, 0)  # ProcessLookupError once the session has no process left
                time.sleep(0.5)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def chromium():
    """Debian's Chromium driven by Playwright, or a skip saying what is missing (a failure where CI requires it)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (it is in the dev extra: make install)")
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (make browser installs Debian's chromium package)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        except Error as exc:
            unavailable(f"Chromium does not start: {exc.message.splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def ui(chromium, tmp_path):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    started = Ui(tmp_path / "home", tmp_path / "ui.log")
    try:
        started.wait_for("the code location loaded in the UI", started.loaded, STARTUP_SECONDS)
        yield started
    finally:
        started.stop()
        shutil.copy(started.log, ARTIFACTS / "ml-connector-ui.log")


@pytest.fixture
def page(chromium, ui):
    opened = chromium.new_page(viewport={"width": 1600, "height": 1000})
    opened.set_default_timeout(30_000)
    # Dagster's one-time "Join the Dagster community" dialog: skipped wherever it comes up, as a user would.
    opened.add_locator_handler(opened.get_by_role("button", name="Skip"), lambda skip: skip.click(), no_wait_after=True)
    yield opened
    opened.screenshot(path=ARTIFACTS / "last_page.png")  # where a failing step stopped, the UI still up
    opened.close()


def shot(page, step: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{step}.png")


def test_a_user_backfills_sees_a_failure_reruns_it_and_reads_the_load(page, ui):
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)  # a page of the UI on a busy 2-core machine

    page.goto(ui.url + "/overview")

    # 1. The asset lineage: every pair's groups.
    page.get_by_role("link", name="Lineage").click()
    graph = page.locator("foreignObject")
    for group in GROUPS:
        expect(graph.get_by_text(group, exact=True)).to_be_visible()
    shot(page, "01_lineage_shows_every_group")

    # 2. A schedule turned on from the Automation page.
    page.get_by_role("link", name="Automation").click()
    page.get_by_role("link", name=SCHEDULE).click()
    running = page.get_by_role("row", name="Running")
    switch = running.get_by_role("checkbox")
    expect(switch).to_be_enabled()
    expect(switch).not_to_be_checked()
    running.locator("label").click()  # the switch drawn over the checkbox
    expect(switch).to_be_checked()
    expect(switch).to_be_enabled()  # the change saved
    expect(page.get_by_role("row", name=re.compile(r"^Next tick"))).to_be_visible()
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "scheduleName": SCHEDULE}
    assert ui.graphql(SCHEDULE_STATE, selector=selector)["scheduleOrError"]["scheduleState"]["status"] == "RUNNING"
    shot(page, "02_schedule_turned_on")

    # 3. A backfill of three days from the job's partitions dialog; the sandbox fails the middle day's reads.
    ui.faults("sap_ecc", [FAULT])
    page.get_by_role("link", name="Jobs").click()
    page.get_by_role("link", name=re.compile(rf"\b{JOB}\b")).click()  # not its initial load's
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog")
    selection = dialog.get_by_placeholder("No matching partitions")
    selection.fill(f"[{DAYS[0]}...{DAYS[-1]}]")
    selection.press("Enter")
    expect(dialog.get_by_text(f"{len(DAYS)} partitions", exact=True)).to_be_visible()
    shot(page, "03_backfill_partitions_dialog")
    dialog.get_by_role("button", name="Launch backfill").click()
    toast = page.get_by_text("Created backfill")
    expect(toast).to_be_visible()
    backfill = toast.inner_text().split()[-1]
    page.get_by_role("tab", name="Partitions").click()  # the job's backfill history
    page.get_by_role("link", name=backfill, exact=True).click()

    # 4. One day fails: the backfill's runs, as the UI lists them, and the failed run's page.
    statuses = ui.wait_for("the backfill's runs", lambda: ui.backfill_done(backfill), RUNS_SECONDS)
    assert statuses == {day: "FAILURE" if day == FAILING_DAY else "SUCCESS" for day in DAYS}
    page.reload()
    page.get_by_role("tab", name="Runs").click()
    for day in DAYS:
        run = page.locator("[data-index]").filter(has_text=f"partition: {day}")
        expect(run.get_by_text("Failure" if day == FAILING_DAY else "Success", exact=True)).to_be_visible()
    shot(page, "04_backfill_one_day_failed")

    # 5. The fault cleared, the failed day re-executed from failure on its run's page: it turns green.
    ui.faults("sap_ecc", None)
    failed = page.locator("[data-index]").filter(has_text=f"partition: {FAILING_DAY}")
    failed.get_by_role("link", name="View", exact=True).click()
    expect(page.get_by_text("Failure", exact=True).first).to_be_visible()
    failed_url = page.url
    page.get_by_role("button", name="arrow_drop_down").click()  # beside "Re-execute all"
    page.get_by_role("menuitem", name="From failure").click()  # not "From asset failure"
    confirm = page.get_by_role("dialog").filter(has_text="Re-execution within backfill")
    expect(confirm).to_be_visible()
    shot(page, "05_reexecute_from_failure")
    confirm.get_by_role("button", name="Confirm").click()
    expect(page).not_to_have_url(failed_url)  # the new run's page
    rerun = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert ui.wait_for("the re-execution", lambda: ui.run_finished(rerun), RUNS_SECONDS) == "SUCCESS"
    page.reload()
    expect(page.get_by_text("Success", exact=True)).to_be_visible()
    expect(page.get_by_text(f"partition: {FAILING_DAY}", exact=True)).to_be_visible()
    shot(page, "06_failed_day_green")

    # 6. The load's metadata of that day: its counts and the records that failed, with why.
    held = ui.graphql(METADATA, key={"path": LOAD.split("/")}, partition=FAILING_DAY)
    [materialization] = held["assetOrError"]["assetMaterializations"]
    entries = {entry["label"]: entry for entry in materialization["metadataEntries"]}
    assert entries["failed"]["intValue"] > 0, "the seed's purchase orders in PLN fail on every day"
    page.goto(f"{ui.url}/assets/{LOAD}?view=partitions&partition={FAILING_DAY}")
    expect(page.get_by_text("Materialized", exact=True).first).to_be_visible()
    for label in COUNTS:
        row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=label, exact=True))
        expect(row.get_by_role("cell", name=str(entries[label]["intValue"]), exact=True)).to_be_visible()
    shot(page, "07_load_metadata_counts")
    sample = page.get_by_role("row").filter(has=page.get_by_role("cell", name="failed_records", exact=True))
    expect(sample.get_by_role("columnheader", name="source key", exact=True)).to_be_visible()
    for line in [line for line in entries["failed_records"]["mdStr"].splitlines()[2:] if line.startswith("|")]:
        key, reason = line.split("|")[1].strip(), line.split("|")[4].strip()
        expect(sample.get_by_role("cell", name=key, exact=True)).to_be_visible()
        expect(sample.get_by_role("cell", name=reason, exact=True).first).to_be_visible()
    sample.scroll_into_view_if_needed()
    shot(page, "08_load_failed_records_sample")
