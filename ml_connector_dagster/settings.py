"""Deployment settings read from the environment once, validated, with the embedded default needing none of them.
The variables (ML_CONNECTOR_PROFILE, _HOME, _LEDGER_URL, _START_DATE, _MAPPING_DIR, _SCHEDULE_HOUR,
_FO_LEGAL_ENTITIES, _LEASE_TTL_SECONDS, _LEASE_HEARTBEAT_SECONDS, _LEASE_WAIT_SECONDS, _DRIFT_HEAL_SHARE,
_DRIFT_HEAL_MINIMUM, _READ_BACK_RUNS, _EXECUTOR, _CELERY_BROKER, _CELERY_BACKEND), their meanings and defaults:
docs/operators/configuration.md. A bad value is a SettingsError with one line per bad variable, naming it, what is
wrong and what it accepts."""

import importlib.util
import os
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from ml_connector_dagster.invalid_settings import accepted, problems
from ml_connector_dagster.ledger import engine_url
from ml_connector_dagster.mapping import files

LEDGER_URLS = "sqlite:////path/to/ledger.sqlite or postgresql://user@host:5432/database"
LEDGER_DATABASES = ("sqlite", "postgresql")
# Celery's URL schemes the deployment docs cover, and the module each needs beyond dagster-celery (kombu's and Celery's
# own documented transports and backends: RabbitMQ through py-amqp, Redis through redis-py; the rpc backend answers
# through the broker).
CELERY_BROKERS = {"amqp": "amqp", "amqps": "amqp", "pyamqp": "amqp", "redis": "redis", "rediss": "redis"}
CELERY_BACKENDS = {"rpc": "celery", "redis": "redis", "rediss": "redis"}


class Settings(BaseModel):
    profile: Literal["sandbox", "production"] = "sandbox"
    home: Path
    ledger_url: str
    start_date: date = date(2026, 10, 1)
    mapping_dir: Path | None = None
    schedule_hour: int = Field(default=2, ge=0, le=23)
    fo_legal_entities: tuple[str, ...] = ("usmf", "usrt", "demf")
    # The ledger resource's (resources/ledger.py), where they are described and bounded; its defaults are theirs.
    lease_ttl_seconds: float | None = None
    lease_heartbeat_seconds: float | None = None
    lease_wait_seconds: float | None = None
    drift_heal_share: float | None = None
    drift_heal_minimum: int | None = None
    read_back_runs: int | None = None
    # What runs a run's steps (executor.py); the Celery URLs only with `celery`, and read again from the environment
    # by the run and the workers, never stored in the definitions (a broker URL may hold a password).
    executor: Literal["in_process", "multiprocess", "celery"] = "in_process"
    celery_broker: str = "pyamqp://guest@localhost:5672//"
    celery_backend: str = "rpc://"

    @field_validator("fo_legal_entities", mode="before")
    @classmethod
    def _entities(cls, value):
        names = [part.strip().lower() for part in value.split(",")] if isinstance(value, str) else list(value)
        if not names or not all(name.isalnum() and len(name) <= 4 for name in names):
            raise ValueError("must be comma-separated dataAreaId values of at most 4 letters or digits, e.g. usmf,demf")
        return tuple(dict.fromkeys(names))

    @field_validator("ledger_url")
    @classmethod
    def _ledger_url(cls, value: str, info: ValidationInfo) -> str:
        """What the ledger would fail on later with a SQLAlchemy traceback: a URL that does not parse, a database
        other than SQLite or PostgreSQL, a driver not installed, a SQLite file in a folder that does not exist (the
        home folder is made on first use)."""
        try:
            url = make_url(engine_url(value))
        except ArgumentError:
            raise ValueError(f"not a database URL; accepted: {LEDGER_URLS}") from None
        if url.get_backend_name() not in LEDGER_DATABASES:
            raise ValueError(f"database {url.get_backend_name()!r} is not supported; accepted: {LEDGER_URLS}")
        try:
            url.get_dialect().import_dbapi()
        except (NoSuchModuleError, ImportError):
            raise ValueError(f"driver {url.drivername!r} is not installed; accepted: {LEDGER_URLS}") from None
        if url.get_backend_name() == "sqlite" and url.database and not url.database.startswith((":memory:", "file:")):
            folder = Path(url.database).absolute().parent
            if folder != info.data.get("home") and not folder.is_dir():
                raise ValueError(f"the folder {folder} does not exist; accepted: {LEDGER_URLS}")
        return value

    @field_validator("executor")
    @classmethod
    def _executor(cls, value: str) -> str:
        if value == "celery" and importlib.util.find_spec("dagster_celery") is None:
            raise ValueError(
                "dagster-celery is not installed; install the connector's celery extra: "
                "pip install 'ml-connector-dagster[celery]'"
            )
        return value

    @field_validator("celery_broker", "celery_backend")
    @classmethod
    def _celery_url(cls, value: str, info: ValidationInfo) -> str:
        schemes = CELERY_BROKERS if info.field_name == "celery_broker" else CELERY_BACKENDS
        example = "pyamqp://user:pw@host:5672//" if info.field_name == "celery_broker" else "rpc://"
        scheme = value.partition("://")[0]
        if scheme not in schemes or "://" not in value:
            raise ValueError(f"not a URL of {', '.join(schemes)}; accepted: e.g. {example} or redis://host:6379/0")
        if importlib.util.find_spec(schemes[scheme]) is None:
            raise ValueError(f"{scheme}:// needs the Python package {schemes[scheme]}: pip install {schemes[scheme]}")
        return value

    @field_validator("mapping_dir")
    @classmethod
    def _mapping_dir(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        if not value.is_dir():
            raise ValueError(f"no folder {value.absolute()}; accepted: a folder holding copies of mapping files")
        unknown = files.unknown_files(value)
        if unknown:
            raise ValueError(
                f"{value / unknown[0]} is no pair's mapping file; accepted file names: {files.accepted_names()}"
            )
        for pair in files.packaged_files():
            copies = [name for name in files.copy_names(pair) if (value / name).exists()]
            if len(copies) > 1:
                raise ValueError(f"{' and '.join(copies)} are both {pair}'s rules in {value}: keep one")
        return value

    @field_validator(
        "lease_ttl_seconds",
        "lease_heartbeat_seconds",
        "lease_wait_seconds",
        "drift_heal_share",
        "drift_heal_minimum",
        "read_back_runs",
    )
    @classmethod
    def _ledger_resource_bounds(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None:  # not set: the resource's default
            return None
        # Imported here: the resource brings Dagster in, which a deployment without these settings never needs.
        from ml_connector_dagster.resources.ledger import LedgerResource

        field = LedgerResource.model_fields[info.field_name]
        try:
            LedgerResource.__pydantic_validator__.validate_assignment(
                LedgerResource.model_construct(), info.field_name, value
            )
        except ValidationError:
            raise ValueError(f"out of range; accepted: {accepted(field)}") from None
        return value

    def mapping_file(self, pair: str) -> Path | None:
        """The copy of the pair's rules in the mapping folder, under either name it may have; None: the packaged."""
        if self.mapping_dir is None:
            return None
        return next((self.mapping_dir / n for n in files.copy_names(pair) if (self.mapping_dir / n).exists()), None)


class SettingsError(ValueError):
    """Configuration the connector cannot run with: one line per problem, each naming the variable to change."""

    def __init__(self, *problems: str):
        super().__init__(*problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(self.problems)


ENVIRONMENT_VARIABLES = {
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
    "read_back_runs": "ML_CONNECTOR_READ_BACK_RUNS",
    "executor": "ML_CONNECTOR_EXECUTOR",
    "celery_broker": "ML_CONNECTOR_CELERY_BROKER",
    "celery_backend": "ML_CONNECTOR_CELERY_BACKEND",
}


def default_home() -> Path:
    return Path(os.environ.get("ML_CONNECTOR_HOME") or os.environ.get("DAGSTER_HOME") or ".ml_connector").absolute()


@cache
def settings() -> Settings:
    home = default_home()
    values: dict = {"home": home, "ledger_url": f"sqlite:///{home / 'ledger.sqlite'}"}
    values.update({field: os.environ[var] for field, var in ENVIRONMENT_VARIABLES.items() if os.environ.get(var)})
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(*problems(exc, Settings, ENVIRONMENT_VARIABLES.__getitem__)) from None
