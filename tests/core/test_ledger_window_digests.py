"""The ledger's window digests (assets/unchanged_windows.py): a window a pair read is loaded once every load of the
run that waits on it finished with no record left that only a read retries; on SQLite and PostgreSQL."""

import pytest

from ml_connector_dagster.ledger import Action, ErrorClass, Ledger, Outcome

PAIR, EXTRACT, DAY, RUN = "oracle_ebs__dynamics_sales", "oracle_ebs/hz_parties", "2026-10-02", "run-1"
ACCOUNTS, CONTACTS = "dynamics_sales/oracle_ebs_accounts", "dynamics_sales/oracle_ebs_contacts"


@pytest.fixture
def store(ledger_url):
    made = Ledger(ledger_url)
    yield made
    made.dispose()


def read(store: Ledger, run_id: str = RUN, digest: str = "12:345") -> None:
    store.window_read(PAIR, EXTRACT, DAY, digest=digest, fingerprint="f1", run_id=run_id, loads=[ACCOUNTS, CONTACTS])


def fail(store: Ledger, error_class: ErrorClass, *, run_id: str = "other", partition: str = "2026-09-30", payload=None):
    outcome = Outcome("oracle_ebs.party.1", Action.FAILED, payload, error_class=error_class, error_message="no")
    store.record(pair=PAIR, target_object="account", outcomes=[outcome], run_id=run_id, partition=partition)


def test_a_window_is_loaded_once_every_load_of_the_run_that_waits_on_it_has_finished(store):
    read(store)
    store.window_loaded(PAIR, DAY, run_id=RUN, load=ACCOUNTS)
    assert store.loaded_window(PAIR, EXTRACT, DAY) is None
    store.window_loaded(PAIR, DAY, run_id="a later run", load=CONTACTS)
    assert store.loaded_window(PAIR, EXTRACT, DAY) is None

    store.window_loaded(PAIR, DAY, run_id=RUN, load=CONTACTS)

    loaded = store.loaded_window(PAIR, EXTRACT, DAY)
    assert (loaded.digest, loaded.fingerprint, loaded.run_id) == ("12:345", "f1", RUN)


def test_a_new_read_of_the_window_waits_again_until_its_own_loads_finish(store):
    read(store)
    for load in (ACCOUNTS, CONTACTS):
        store.window_loaded(PAIR, DAY, run_id=RUN, load=load)
    read(store, run_id="run-2", digest="13:999")
    assert store.loaded_window(PAIR, EXTRACT, DAY) is None


@pytest.mark.parametrize(
    ("error_class", "where", "pending"),
    [
        (ErrorClass.TRANSIENT, {"partition": DAY}, True),
        (ErrorClass.TRANSIENT, {"run_id": RUN}, True),
        (ErrorClass.AUTH, {"partition": DAY}, True),
        (ErrorClass.TRANSIENT, {}, False),  # another day's, another run's
        (ErrorClass.VALIDATION, {"partition": DAY}, False),  # not re-sent unchanged: a replay's
        (ErrorClass.DEPENDENCY, {"partition": DAY}, False),  # comes back in any load of its object
    ],
)
def test_only_a_letter_a_read_retries_holds_the_windows_of_its_day_or_run(store, error_class, where, pending):
    read(store)
    fail(store, error_class, payload={"payload": {"name": "x"}}, **where)
    assert store.retry_pending(PAIR, DAY, run_id=RUN) is pending
    for load in (ACCOUNTS, CONTACTS):
        store.window_loaded(PAIR, DAY, run_id=RUN, load=load)
    assert (store.loaded_window(PAIR, EXTRACT, DAY) is None) is pending


def test_a_resolved_letter_holds_nothing(store):
    fail(store, ErrorClass.TRANSIENT, partition=DAY, payload={"payload": {"name": "x"}})
    assert store.retry_pending(PAIR, DAY)
    store.record(
        pair=PAIR,
        target_object="account",
        outcomes=[Outcome("oracle_ebs.party.1", Action.CREATED, {"name": "x"}, target_id="a1")],
        run_id="later",
        partition=DAY,
    )
    assert not store.retry_pending(PAIR, DAY)
