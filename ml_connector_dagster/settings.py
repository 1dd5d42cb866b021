"""Deployment settings read from the environment once, validated, with the embedded default needing none of them.
The variables (ML_CONNECTOR_PROFILE, _HOME, _LEDGER_URL, _START_DATE, _MAPPING_DIR, _SCHEDULE_HOUR,
_FO_LEGAL_ENTITIES, _LEASE_TTL_SECONDS, _LEASE_HEARTBEAT_SECONDS, _LEASE_WAIT_SECONDS, _DRIFT_HEAL_SHARE,
_DRIFT_HEAL_MINIMUM), their meanings and defaults: docs/operators/configuration.md."""

import os
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from ml_connector_dagster.mapping.common import describe


class Settings(BaseModel):
    profile: Literal["sandbox", "production"] = "sandbox"
    home: Path
    ledger_url: str
    start_date: date = date(2026, 10, 1)
    mapping_dir: Path | None = None
    schedule_hour: int = Field(default=2, ge=0, le=23)
    fo_legal_entities: tuple[str, ...] = ("usmf", "usrt", "demf")
    # The ledger resource's (resources/ledger.py), where they are described; its defaults are theirs.
    lease_ttl_seconds: float | None = None
    lease_heartbeat_seconds: float | None = None
    lease_wait_seconds: float | None = None
    drift_heal_share: float | None = None
    drift_heal_minimum: int | None = None

    @field_validator("fo_legal_entities", mode="before")
    @classmethod
    def _entities(cls, value):
        names = [part.strip().lower() for part in value.split(",")] if isinstance(value, str) else list(value)
        if not names or not all(name.isalnum() and len(name) <= 4 for name in names):
            raise ValueError("must be comma-separated dataAreaId values of at most 4 letters or digits, e.g. usmf,demf")
        return tuple(dict.fromkeys(names))

    def mapping_file(self, pair: str) -> Path | None:
        if self.mapping_dir is None:
            return None
        candidate = self.mapping_dir / f"{pair}.yaml"
        return candidate if candidate.exists() else None


class SettingsError(ValueError):
    pass


_ENV = {
    "profile": "ML_CONNECTOR_PROFILE",
    "ledger_url": "ML_CONNECTOR_LEDGER_URL",
    "start_date": "ML_CONNECTOR_START_DATE",
    "mapping_dir": "ML_CONNECTOR_MAPPING_DIR",
    "schedule_hour": "ML_CONNECTOR_SCHEDULE_HOUR",
    "fo_legal_entities": "ML_CONNECTOR_FO_LEGAL_ENTITIES",
    "lease_ttl_seconds": "ML_CONNECTOR_LEASE_TTL_SECONDS",
    "lease_heartbeat_seconds": "ML_CONNECTOR_LEASE_HEARTBEAT_SECONDS",
    "lease_wait_seconds": "ML_CONNECTOR_LEASE_WAIT_SECONDS",
    "drift_heal_share": "ML_CONNECTOR_DRIFT_HEAL_SHARE",
    "drift_heal_minimum": "ML_CONNECTOR_DRIFT_HEAL_MINIMUM",
}


def default_home() -> Path:
    return Path(os.environ.get("ML_CONNECTOR_HOME") or os.environ.get("DAGSTER_HOME") or ".ml_connector").absolute()


@cache
def settings() -> Settings:
    home = default_home()
    values: dict = {"home": home, "ledger_url": f"sqlite:///{home / 'ledger.sqlite'}"}
    values.update({field: os.environ[var] for field, var in _ENV.items() if os.environ.get(var)})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        names = {field: var for field, var in _ENV.items()}
        raise SettingsError(
            "invalid setting: "
            + describe(exc)
            + " (variables: "
            + ", ".join(f"{f}={v}" for f, v in names.items())
            + ")"
        ) from None
