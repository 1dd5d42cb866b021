"""The ledger as a resource, so assets, checks and jobs share one connection pool per run."""

import dagster as dg
from pydantic import Field, PrivateAttr

from ml_connector_dagster.ledger import Ledger


class LedgerResource(dg.ConfigurableResource):
    url: str = Field(description="SQLAlchemy URL: sqlite:///path/ledger.sqlite or postgresql://user@host/db")

    _ledger: Ledger | None = PrivateAttr(default=None)

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(self.url)
        return self._ledger

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._ledger is not None:
            self._ledger.dispose()
