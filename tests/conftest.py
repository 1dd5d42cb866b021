import os
import uuid

import pytest
import sqlalchemy as sa

from ml_connector_dagster.ledger import Ledger, engine_url


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
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()
