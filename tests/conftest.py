import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from ml_connector_dagster.ledger import HISTORY_VIEW, Ledger, engine_url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: with two workers, one started last would run on alone while the other sits idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def ledger(tmp_path):
    store = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    yield store
    store.dispose()


POSTGRES_ADMIN_URL = os.environ.get("ML_CONNECTOR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url():
    """A fresh database on the PostgreSQL server of development and CI machines, dropped afterwards.

    Skipped where no server answers (a laptop), unless ML_CONNECTOR_REQUIRE_POSTGRES is set (CI)."""
    with postgres_database() as url:
        yield url


@contextmanager
def postgres_database(options: str = "") -> Iterator[str]:
    """The URL of a new database made with CREATE DATABASE's `options` (an encoding, say), dropped on leaving."""
    admin = sa.create_engine(engine_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        admin.connect().close()
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("ML_CONNECTOR_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip("no PostgreSQL server at " + POSTGRES_ADMIN_URL)
    name = f"mlc_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} {options}")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path):
    """A new ledger database of each kind the ledger runs on."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    return request.getfixturevalue("postgres_url")


@contextmanager
def started_on_an_older_ledger(url: str, older: str) -> Iterator[Ledger]:
    """This version's ledger started on a database an older version made, one that lacked what the SQL `older` takes
    away; on leaving, a second start is made, which must find nothing more to add."""
    old = Ledger(url)
    with old.engine.begin() as conn:
        # no older version made the view, and a column it reads cannot be dropped while it stands
        conn.exec_driver_sql(f"DROP VIEW {HISTORY_VIEW}")
        conn.exec_driver_sql(older)
    old.dispose()
    upgraded = Ledger(url)
    try:
        yield upgraded
        Ledger(url).dispose()
    finally:
        upgraded.dispose()
