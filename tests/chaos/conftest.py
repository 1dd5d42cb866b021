"""The chaos harness: the real jobs against the emulators over HTTP, faults planned at exact requests, a SQLite or a
PostgreSQL ledger, and one verdict at the end of every scenario: the target is what the source says, record by
record, no record is in it twice and none is lost.

Two flows, the two ways a write can be applied twice: EBS → Dynamics 365 Sales (upserts by alternate key: a repeated
write is harmless, a lost one is not) and Salesforce → F&O (no upsert: a repeated create is a second sales order).
Duplicates are counted in the emulators' own tables, never through the connector.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import dagster as dg
import pytest
from ml_connector_dagster.resources.ledger import LedgerResource

from ml_connector_dagster.code_location import build_definitions
from ml_connector_dagster.connections import sandbox_resources
from ml_connector_dagster.demo import verify
from ml_connector_dagster.ledger import ErrorClass
from ml_connector_dagster.mapping import salesforce_dynamics_fo as reverse_mapping
from ml_connector_dagster.mapping.common import key_prefix
from ml_connector_dagster.sandbox.clock import Clock
from ml_connector_dagster.sandbox.stack import SeedSize, build_sandbox
from tests.e2e.conftest import FAST_RETRIES, Env, settings_for
from tests.killed_run import kill_once_started

# Smaller than the e2e seed: every scenario runs on both flows and both ledgers within CI's time.
CHAOS = SeedSize(
    parties=120,
    vendors=24,
    sap_vendors=6,
    sap_customers=6,
    sap_orders=4,
    fo_customers=45,
    start_date=date(2026, 10, 1),
    days=2,
)
NOW = datetime(2026, 10, 2, 18, 0, tzinfo=UTC)  # in the last seeded day: the sales team's deals are stamped that day
DAY = NOW.date().isoformat()
EBS, FORWARD, REVERSE = "oracle_ebs__dynamics_sales", "dynamics_fo__salesforce", reverse_mapping.PAIR
# A fault left behind as a dead letter is a record the run lost: only the record's own faults may wait there.
LOST_TO_A_FAULT = {ErrorClass.TRANSIENT, ErrorClass.IN_DOUBT, ErrorClass.QUOTA, ErrorClass.AUTH}
# How long F&O may still be processing a $batch it did not answer: short, so that a scenario's next run comes after it.
SETTLE_SECONDS = 5
SYSTEMS = {
    **dict.fromkeys(("oracle_ebs", "sap_ecc", "dynamics_sales", "salesforce"), FAST_RETRIES),
    "dynamics_fo": {**FAST_RETRIES, "in_doubt_settle_seconds": SETTLE_SECONDS},
}


@dataclass(frozen=True)
class Flow:
    """One pair as the scenarios drive it: the systems it reads and writes, the paths its faults aim at (every read
    of the source contains `read_path`, every write of its load `write_path`), and the partitions of a full sync."""

    job: str
    source: str
    target: str
    read_path: str
    write_path: str
    partitions: tuple[str, ...]
    prepare: Callable[[Env], None]
    keys: Callable[[Env], Counter]

    def __str__(self) -> str:
        return self.job


def _no_preparation(env: Env) -> None:
    """The source is ready as seeded."""


def _sales_team_at_work(env: Env) -> None:
    """F&O's customers and products reach Salesforce, then the reps close deals on them and open accounts."""
    for entity in ("usmf", "demf"):
        env.run(entity, job=FORWARD)
    env.sandbox["salesforce"].simulate_sales(deals=8, orders=3, new_accounts=4)


def _dataverse_keys(env: Env) -> Counter:
    return Counter(
        (table, row["mlc_externalid"])
        for table in ("account", "contact")
        for row in env.dataverse.rows(table)
        if (row["mlc_externalid"] or "").startswith(key_prefix("oracle_ebs"))
    )


def _fo_keys(env: Env) -> Counter:
    """Sales orders by the deal they carry, customers by the Salesforce account they were named after."""
    fo = env.sandbox["dynamics_fo"]
    rules = reverse_mapping.load_pair_rules(env.config.mapping_file(REVERSE))
    orders = Counter(
        (reverse_mapping.SALES_ORDERS, row["CustomersOrderReference"])
        for row in fo.rows(reverse_mapping.SALES_ORDERS)
        if row["CustomersOrderReference"][:3] in reverse_mapping.WRITE_BACK_OBJECTS
    )
    customers = Counter(
        (reverse_mapping.CUSTOMERS, account_id)
        for row in fo.rows(reverse_mapping.CUSTOMERS)
        if (account_id := reverse_mapping.account_id_of(row["CustomerAccount"], rules))
    )
    return orders + customers


EBS_TO_SALES = Flow(
    EBS,
    "oracle_ebs",
    "dynamics_sales",
    "/webservices/rest/xxmlc_sync/",
    "/api/data/",
    tuple(CHAOS.partition_keys()),
    _no_preparation,
    _dataverse_keys,
)
SALESFORCE_TO_FO = Flow(REVERSE, "salesforce", "dynamics_fo", "/query", "$batch", (DAY,), _sales_team_at_work, _fo_keys)
FLOWS = [EBS_TO_SALES, SALESFORCE_TO_FO]
both_flows = pytest.mark.parametrize("flow", FLOWS, ids=str)


# A fault on the wire tries the connector's http layer and load loop, which are the same on either ledger: such tests
# run on the embedded ledger only. The ledger's own part in a fault (locks, leases, in-doubt times read back) is tried
# on both by the concurrent-run, killed-run, lost-answer and drift tests, which keep both.
wire_faults_only = pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}"


@pytest.fixture
def env(tmp_path, ledger_url):
    with build_sandbox(clock=Clock(frozen_at=NOW), size=CHAOS) as sandbox:
        config = settings_for(tmp_path, CHAOS, ledger_url)
        resources = sandbox_resources(config, sandbox.urls, **SYSTEMS)
        (tmp_path / "dagster").mkdir()
        with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
            yield Env(sandbox, config, resources, build_definitions(config, resources), instance, CHAOS)
            resources["ledger"].ledger().dispose()


def sync(env: Env, flow: Flow, *, raise_on_error: bool = True) -> list[dg.ExecuteInProcessResult]:
    """Every partition of a full sync of the flow, in order."""
    return [env.run(partition, job=flow.job, raise_on_error=raise_on_error) for partition in flow.partitions]


def configured(env: Env, **overrides: dict) -> Env:
    """The same sandbox and ledger, with these resource settings by system on top of the harness's own."""
    return env.with_resources(**{name: {**values, **overrides.get(name, {})} for name, values in SYSTEMS.items()})


def sync_until_settled(env: Env, flow: Flow, *, runs: int = 3) -> None:
    """A full sync; then, while writes are in doubt, the sync after their settle time, as the day's next run."""
    sync(env, flow)
    for _ in range(runs):
        doubts = [
            letter.resolve_after
            for letter in env.ledger.open_dead_letters(flow.job)
            if letter.error_class == ErrorClass.IN_DOUBT
        ]
        if not doubts:
            return
        time.sleep(max(0.0, (max(doubts) - datetime.now(UTC)).total_seconds()) + 0.2)
        sync(env, flow)


def with_ledger(env: Env, **settings) -> Env:
    """The same sandbox and ledger database, the ledger resource configured otherwise (e.g. short leases)."""
    resources = {**env.resources, "ledger": LedgerResource(url=env.config.ledger_url, **settings)}
    return replace(env, resources=resources, defs=build_definitions(env.config, resources))


def assert_exactly_once(env: Env, flow: Flow) -> None:
    """The verdict: every expected record in the target as mapped (or waiting for a reason of its own), no target
    row twice for one source key, no record lost to a fault."""
    agreements = verify(env.config, env.resources, pairs=(flow.job,))
    assert all(a.expected for a in agreements), f"a scenario with nothing to sync proves nothing: {agreements}"
    disagreeing = [a for a in agreements if not a.agrees]
    assert not disagreeing, disagreeing
    duplicates = {key: n for key, n in flow.keys(env).items() if n > 1}
    assert not duplicates, f"target rows written twice: {duplicates}"
    lost = [
        (letter.target_object, letter.source_key, letter.error_class, letter.error_message)
        for letter in env.ledger.open_dead_letters(flow.job)
        if letter.error_class in LOST_TO_A_FAULT
    ]
    assert not lost, f"records left behind by a fault: {lost}"


@dataclass
class Run:
    result: dg.ExecuteInProcessResult
    messages: list[str]  # what the run logged

    @property
    def waited(self) -> bool:
        """Whether the run waited for another writer's lease: the runs did overlap, and the lease kept them apart."""
        return any(WAITED in message for message in self.messages)


WAITED = "waiting for another writer to finish"


def at_once(job: str, *runs: tuple[Env, str]) -> list[Run]:
    """Starts the runs of `job` together, each (env, partition) in its own thread; answers their results in order.

    Each run has a Dagster instance of its own, as two deployments on one ledger have: a run on an instance with
    settings calls `logging.config.dictConfig` as it starts, which can deadlock with another thread's run logging
    an event at that moment (the two take logging's module lock and a handler's lock in opposite orders)."""
    start = threading.Barrier(len(runs))
    results: list = [None] * len(runs)

    def run(index: int) -> None:
        runner, partition = runs[index]
        with dg.DagsterInstance.ephemeral() as instance:
            start.wait()
            try:
                result = replace(runner, instance=instance).run(partition, job=job)
                results[index] = Run(result, [entry.message or "" for entry in instance.all_logs(result.run_id)])
            except BaseException as error:  # the test thread re-raises it
                results[index] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def delete_as_a_user(env: Env, system: str, paths: list[str]) -> None:
    """Deletes target rows through the vendor's Web API, as a person in the vendor's app does (Dataverse's and F&O's
    apps write through the same service); `paths` are relative to the API root, e.g. `accounts(<id>)`."""
    with env.resources[system].open() as client:
        for path in paths:
            client.http.delete(path).raise_for_status()


def kill_mid_load(env: Env, flow: Flow, partition: str, started: Callable[[], bool], **overrides) -> str:
    """One partition of the flow killed with SIGKILL once `started()` says its load has begun writing
    (tests/killed_run.py); `overrides` by system name on top of the harness's settings, `ledger` for the ledger's."""
    return kill_once_started(
        env,
        flow.job,
        started,
        partition=partition,
        resources={name: {**values, **overrides.get(name, {})} for name, values in SYSTEMS.items()},
        ledger=overrides.get("ledger", {}),
    )
