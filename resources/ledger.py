"""The ledger as a resource, so assets, checks and jobs share one connection pool per run; with how its leases
behave (ml_connector_dagster/lease.py), how much drift a load heals by itself (materialize.DriftLimit) and how much of
the target its agreement check reads back (materialize.ReadBack)."""

from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ml_connector_dagster.ledger import LeaseSettings, Ledger
from ml_connector_dagster.materialize import DriftLimit, ReadBack
from ml_connector_dagster.secret_fields import SecretFields


class LedgerResource(SecretFields):
    secrets = frozenset({"password"})

    url: str = Field(
        description="SQLAlchemy URL: sqlite:///path/ledger.sqlite or postgresql://user@host/db; a password in it is "
        "moved to password, so the URL Dagster shows has none"
    )
    password: str | None = Field(
        default=None,
        description="the database's password, when the URL had one; Dagster shows the variable holding it, never "
        "the value",
        repr=False,
    )
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

    read_back_runs: int = Field(
        default=ReadBack.runs,
        ge=1,
        description="a load's agreement check takes the records this run wrote on the write's answer and reads back "
        "from the target one share of the partition's other written records per run, in turn, so each is read at "
        "least once in this many runs of its partition (drift found in a share has the whole partition read); 1 "
        "reads all of them every run",
    )

    _ledger: Ledger | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _password_out_of_url(cls, data: Any) -> Any:
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str) or isinstance(url, dg.EnvVar):
            return data
        try:
            parsed = make_url(url)
        except ArgumentError:
            return data  # not a URL: the ledger says so when it connects
        if parsed.password is None:
            return data
        if data.get("password"):
            raise ValueError("the ledger URL holds a password and password is set as well: give it once")
        # URL.set(password=None) would keep the password: None there means "unchanged"
        without = parsed._replace(password=None).render_as_string(hide_password=False)
        return {**data, "url": without, "password": parsed.password}

    def connection_url(self) -> str:
        """The URL the ledger connects with: `url` with the password put back."""
        if not self.password:
            return self.url
        return make_url(self.url).set(password=self.password).render_as_string(hide_password=False)

    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger(
                self.connection_url(),
                LeaseSettings(self.lease_ttl_seconds, self.lease_heartbeat_seconds, self.lease_wait_seconds),
            )
        return self._ledger

    def drift_limit(self) -> DriftLimit:
        return DriftLimit(self.drift_heal_share, self.drift_heal_minimum)

    def read_back(self, turn: int) -> ReadBack:
        return ReadBack(self.read_back_runs, turn)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._ledger is not None:
            self._ledger.dispose()
