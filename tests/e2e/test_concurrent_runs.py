"""Two runs of one partition at once, launched past the run queue (each `execute_in_process` with its own resources,
as two deployments on one ledger would be): every record is still written once, on SQLite and PostgreSQL ledgers."""

import threading
from collections import Counter
from dataclasses import dataclass, replace

import dagster as dg
import pytest

from ml_connector_dagster.sandbox.faults import FaultSettings
from tests.e2e.conftest import EBS_JOB, Env, settings_for
from tests.e2e.test_salesforce_to_dynamics_fo import DAY, FORWARD, REVERSE, deal_references

WAITED = "waiting for another writer to finish"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_env(request, env, tmp_path) -> Env:
    if request.param == "sqlite":
        return env
    return replace(env, config=settings_for(tmp_path, env.size, request.getfixturevalue("postgres_url")))


@dataclass
class Run:
    result: dg.ExecuteInProcessResult
    messages: list[str]  # what the run logged


def at_once(env: Env, job: str, partition: str, runs: int = 2, **overrides) -> list[Run]:
    """`runs` runs of the job for one partition started together, each with its own resources (ledger included; with
    `overrides` by system, as `Env.with_resources` takes them) and its own Dagster instance, as separate deployments
    have (two runs starting at once on one instance can deadlock in `logging.config.dictConfig`, which each calls as
    it starts)."""
    runners = [env.with_resources(**overrides) for _ in range(runs)]
    start = threading.Barrier(runs)
    done: dict[int, Run] = {}

    def run(number: int):
        with dg.DagsterInstance.ephemeral() as instance:
            start.wait()
            result = replace(runners[number], instance=instance).run(partition, job=job)
            done[number] = Run(result, [entry.message or "" for entry in instance.all_logs(result.run_id)])

    threads = [threading.Thread(target=run, args=(number,)) for number in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for runner in runners:
        runner.ledger.dispose()
    assert len(done) == runs and all(run.result.success for run in done.values())
    return list(done.values())


def waited(runs: list[Run]) -> bool:
    """Whether a run waited for the other's lease: the runs did overlap, and the lease kept their writes apart."""
    return any(WAITED in message for run in runs for message in run.messages)


def test_two_runs_of_one_day_at_once_create_each_account_and_contact_once(ledger_env):
    env = ledger_env
    # Slow writes keep the first run's load going while the second arrives at it.
    env.dataverse.faults.configure(FaultSettings(latency_ms=150))
    day = env.size.partition_keys()[0]
    assert waited(at_once(env, EBS_JOB, day, dynamics_sales={"batch_size": 20}))
    ledger = env.with_resources().ledger
    for target_object in ("account", "contact"):
        created = Counter(
            row["source_key"]
            for row in ledger.audit()
            if row["target_object"] == target_object and row["action"] == "created"
        )
        assert created and set(created.values()) == {1}, f"{target_object}: created twice {created.most_common(3)}"
        keys = [row["mlc_externalid"] for row in env.dataverse.rows(target_object) if row.get("mlc_externalid")]
        assert len(keys) == len(set(keys)) == len(created)
    ledger.dispose()


def test_two_runs_of_one_day_at_once_make_exactly_one_sales_order_per_deal(ledger_env):
    env = ledger_env
    fo, salesforce = env.sandbox["dynamics_fo"], env.sandbox["salesforce"]
    for entity in ("usmf", "demf"):
        env.with_resources().run(entity, job=FORWARD)
    sales = salesforce.simulate_sales(deals=8, orders=3, new_accounts=4)
    fo.faults.configure(FaultSettings(latency_ms=150))
    assert waited(at_once(env, REVERSE, DAY))
    france = {a["Id"] for a in salesforce.rows("Account") if a["BillingCountry"] == "France"}
    deals = [
        deal["Id"]
        for sobject in ("Opportunity", "Order")
        for deal in salesforce.rows(sobject)
        if deal["Id"] in sales["won_deals"] + sales["activated_orders"] and deal["AccountId"] not in france
    ]
    assert deals and deal_references(fo) == Counter(deals), "exactly one order per deal"
