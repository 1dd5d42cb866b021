"""The ledger as a resource, so assets, checks and jobs share one connection pool per run; with how its leases
behave (ml_connector_dagster/lease.py) and how much drift a load heals by itself (materialize.DriftLimit)."""

import dagster as dg
from pydantic import Field, PrivateAttr

from ml_connector_dagster.ledger import LeaseSettings, Ledger
from ml_connector_dagster.materialize import DriftLimit


class LedgerResource(dg.ConfigurableResource):
    url: str = Field(description="SQLAlchemy URL: sqlite:///path/ledger.sqlite or postgresql://user@host/db")
    lease_ttl_seconds: float = Field(
        default=LeaseSettings.ttl_seconds,
        gt=0,
        description="a writer's lease on a (pair, target object) lapses this long after its last heartbeat, so a "
        "killed run's lease is taken over then",
    )
    lease_heartbeat_seconds: float = Field(
        default=LeaseSettings.heartbeat_seconds, gt=0, description="how often a holder renews its lease"
    )
    lease_wait_seconds: float = Field(
        default=LeaseSettings.wait_seconds,
        ge=0,
        description="how long a load waits for another writer of its (pair, target object) before it fails, "
        "naming that writer",
    )
    drift_heal_share: float = Field(
        default=DriftLimit.share,
        ge=0,
        le=1,
        description="a load re-sends by itself what its target lacks unless that is more than this share of the "
        "partition's written records (and at least drift_heal_minimum): then its check fails and points to "
        "`ml-connector heal`",
    )
    drift_heal_minimum: int = Field(
        default=DriftLimit.minimum, ge=1, description="fewer missing records than this are always re-sent"
    )

    _ledger: Ledger | None = PrivateAttr(default=None)

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(
                self.url, LeaseSettings(self.lease_ttl_seconds, self.lease_heartbeat_seconds, self.lease_wait_seconds)
            )
        return self._ledger

    def drift_limit(self) -> DriftLimit:
        return DriftLimit(self.drift_heal_share, self.drift_heal_minimum)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._ledger is not None:
            self._ledger.dispose()
