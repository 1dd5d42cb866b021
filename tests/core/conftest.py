import pytest

from ml_connector_dagster.ledger import Ledger
from ml_connector_dagster.settings import settings


@pytest.fixture
def cli_ledger(tmp_path, monkeypatch):
    """The CLI's settings pointed at this test's folder and ledger, no Dagster instance configured; the ledger."""
    monkeypatch.setenv("ML_CONNECTOR_HOME", str(tmp_path))
    monkeypatch.setenv("ML_CONNECTOR_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings.cache_clear()
    store = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    yield store
    store.dispose()
    settings.cache_clear()
