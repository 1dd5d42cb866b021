"""Leases in the ledger: one writer per (pair, target object), on SQLite and on PostgreSQL alike."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from ml_connector_dagster.connections import ledger_resource
from ml_connector_dagster.lease import HOST, Lease, LeaseLost, LeaseUnavailable
from ml_connector_dagster.ledger import ErrorClass, LeaseSettings, Ledger
from ml_connector_dagster.loading import TargetRecord
from ml_connector_dagster.materialize import DriftLimit
from ml_connector_dagster.replay import replay
from ml_connector_dagster.settings import Settings
from tests.core.test_replay import CRM, ERP, FORWARD, LOADS, FakeTarget, organisation, send
from tests.core.test_sync import UpsertOnlyWriter

PAIR, OBJ = "a__b", "account"
QUICK = LeaseSettings(ttl_seconds=1.0, heartbeat_seconds=0.2, wait_seconds=0.0)


@pytest.fixture
def ledgers(ledger_url):
    """Ledgers on one database, as separate runs or deployments open it, each with its own lease settings."""
    opened = []

    def open_ledger(settings: LeaseSettings = QUICK) -> Ledger:
        opened.append(Ledger(ledger_url, settings))
        return opened[-1]

    yield open_ledger
    for ledger in opened:
        ledger.dispose()


def test_a_second_writer_waits_for_the_first_and_is_told_whom_it_waits_for(ledgers):
    first, second = ledgers(), ledgers(LeaseSettings(ttl_seconds=1.0, heartbeat_seconds=0.2, wait_seconds=10))
    said: list[str] = []
    released = threading.Event()
    with Lease(first, PAIR, OBJ, run_id="run-1"):

        def wait_for_it():
            with Lease(second, PAIR, OBJ, run_id="run-2", log=said.append):
                assert released.is_set(), "taken only once the first writer let go"

        waiter = threading.Thread(target=wait_for_it)
        waiter.start()
        time.sleep(0.5)
        assert second.lease_holder(PAIR, OBJ).run_id == "run-1"
        released.set()
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert any("waiting" in line and "run run-1" in line and HOST in line for line in said), said
    assert second.lease_holder(PAIR, OBJ) is None, "released at the end"


def test_a_writer_that_gives_up_waiting_names_the_holder(ledgers):
    first, second = ledgers(), ledgers(LeaseSettings(ttl_seconds=1.0, heartbeat_seconds=0.2, wait_seconds=0.3))
    with Lease(first, PAIR, OBJ, run_id="run-1"):
        with pytest.raises(LeaseUnavailable) as refused:
            with Lease(second, PAIR, OBJ, run_id="run-2"):
                pytest.fail("two writers of one object at once")
    message = str(refused.value)
    assert "run run-1" in message and HOST in message and f"pid {os.getpid()}" in message and "since" in message


def test_leases_of_different_objects_do_not_wait_for_each_other(ledgers):
    ledger = ledgers()
    with Lease(ledger, PAIR, OBJ, run_id="run-1"), Lease(ledger, PAIR, "contact", run_id="run-2"):
        assert ledger.lease_holder(PAIR, "contact").run_id == "run-2"


def test_the_heartbeat_keeps_a_lease_held_longer_than_its_ttl(ledgers):
    first, second = ledgers(), ledgers()
    with Lease(first, PAIR, OBJ, run_id="run-1"):
        time.sleep(QUICK.ttl_seconds * 2)
        with pytest.raises(LeaseUnavailable):
            with Lease(second, PAIR, OBJ, run_id="run-2"):
                pytest.fail("a renewed lease was taken over")


def test_an_expired_lease_is_taken_over_at_once(ledgers):
    ledger = ledgers()
    # What a holder that died leaves behind, once its TTL has passed.
    assert ledger.take_lease(PAIR, OBJ, token="dead", run_id="dead-run", host="gone", pid=1, ttl_seconds=-1)
    with Lease(ledger, PAIR, OBJ, run_id="run-2"):
        assert ledger.lease_holder(PAIR, OBJ).run_id == "run-2"


def test_a_lease_is_taken_by_one_of_many_writers_at_once(ledgers):
    contenders = [ledgers() for _ in range(8)]
    start = threading.Barrier(len(contenders))
    won: list[int] = []

    def contend(number: int, ledger: Ledger):
        start.wait()
        if ledger.take_lease(PAIR, OBJ, token=f"t{number}", run_id=f"r{number}", host=HOST, pid=0, ttl_seconds=60):
            won.append(number)

    threads = [threading.Thread(target=contend, args=(n, ledger)) for n, ledger in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


HOLDER = textwrap.dedent(
    """
    import sys, time
    from ml_connector_dagster.lease import Lease
    from ml_connector_dagster.ledger import ErrorClass, LeaseSettings, Ledger

    ledger = Ledger(sys.argv[1], LeaseSettings(ttl_seconds=1.0, heartbeat_seconds=0.2, wait_seconds=0))
    with Lease(ledger, "a__b", "account", run_id="killed-run"):
        print("held", flush=True)
        time.sleep(600)
    """
)


def test_the_lease_of_a_holder_killed_with_sigkill_is_taken_over_after_its_ttl(ledgers, ledger_url):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, ledger_url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LeaseUnavailable, match=f"run killed-run on {HOST}, pid {holder.pid}"):
            with Lease(ledgers(), PAIR, OBJ, run_id="run-2"):
                pytest.fail("the lease of a live holder was taken")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    patient = ledgers(LeaseSettings(ttl_seconds=1.0, heartbeat_seconds=0.2, wait_seconds=10))
    started = time.monotonic()
    with Lease(patient, PAIR, OBJ, run_id="run-2"):
        assert patient.lease_holder(PAIR, OBJ).run_id == "run-2"
    assert time.monotonic() - started < 5, "taken over once the dead holder's TTL passed"


def test_a_holder_whose_lease_was_taken_over_writes_nothing_more(ledgers):
    ledger, other = ledgers(), ledgers()
    writer = UpsertOnlyWriter()
    with pytest.raises(LeaseLost):
        with Lease(ledger, PAIR, OBJ, run_id="run-1") as lease:
            guarded = lease.guard(writer)
            guarded.upsert(OBJ, [TargetRecord("k1", {"n": 1})])
            # As if this holder had stalled past its TTL and another writer had taken the lease over meanwhile.
            ledger.release_lease(PAIR, OBJ, lease.token)
            assert other.take_lease(PAIR, OBJ, token="other", run_id="run-2", host=HOST, pid=0, ttl_seconds=60)
            time.sleep(QUICK.heartbeat_seconds * 3)
            guarded.upsert(OBJ, [TargetRecord("k2", {"n": 2})])
    assert set(writer.rows) == {"k1"}
    assert other.lease_holder(PAIR, OBJ).run_id == "run-2", "the new holder's lease is left alone"


def test_a_deployment_sets_its_leases_and_drift_limit_and_keeps_the_defaults_it_does_not_set(tmp_path):
    config = Settings(
        home=tmp_path, ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}", lease_wait_seconds=30, drift_heal_minimum=5
    )
    resource = ledger_resource(config)
    ledger = resource.ledger()
    try:
        assert ledger.lease_settings == LeaseSettings(wait_seconds=30)
        assert resource.drift_limit() == DriftLimit(minimum=5)
    finally:
        ledger.dispose()


def test_a_replay_waits_for_the_writer_of_its_object_and_sends_nothing_while_that_writer_holds_it(ledgers):
    ledger = ledgers(LeaseSettings(ttl_seconds=1.0, heartbeat_seconds=0.2, wait_seconds=0.3))
    target = FakeTarget()
    target.refusing["o1"] = ErrorClass.TRANSIENT
    send(ledger, target, FORWARD, "organisation", organisation("o1"))
    target.refusing.clear()
    sent = list(target.sent)
    with Lease(ledgers(), FORWARD, "organisation", run_id="a-load"):
        with pytest.raises(LeaseUnavailable, match="run a-load"):
            replay(ledger, LOADS, lambda load: target, {CRM: 10, ERP: 10})
    assert target.sent == sent
    assert replay(ledger, LOADS, lambda load: target, {CRM: 10, ERP: 10}).loaded.created == 1
