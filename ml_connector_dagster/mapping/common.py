"""What every pair's mapping needs: the result shape, external ids, text cleaning, and turning pydantic
validation errors into reasons a person can act on."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ml_connector_dagster.loading import TargetRecord

Rules = TypeVar("Rules", bound=BaseModel)


@dataclass(frozen=True)
class Rejected:
    """A source record that cannot become a valid target payload; it goes to dead letters with `reason`."""

    source_key: str
    reason: str
    source: dict


@dataclass(frozen=True)
class Excluded:
    """A source record the rules deliberately leave out (inactive, wrong type); audited as skipped. With
    `remove_from_target`, a copy the connector wrote earlier is deleted from the target (a deleted order item)."""

    source_key: str
    reason: str
    remove_from_target: bool = False


@dataclass
class MappingResult:
    records: list[TargetRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)


def external_id(system: str, kind: str, key: str | int) -> str:
    """The key a target record carries (alternate key / External ID): stable, readable, unique across systems."""
    return f"{system}:{kind}:{key}"


def clean(text: str | None) -> str | None:
    """Trims and collapses inner whitespace; blank becomes None (EBS and SAP pad and space-fill freely)."""
    if text is None:
        return None
    collapsed = " ".join(str(text).split())
    return collapsed or None


def is_email(text: str | None) -> bool:
    if not text:
        return True
    local, at, domain = text.partition("@")
    return bool(at and local and "." in domain and " " not in text)


def describe(error: ValidationError) -> str:
    """`name: at most 160 characters (got 212)`-style reasons, one per failed field."""
    reasons = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "record"
        message = item["msg"]
        value = item.get("input")
        if item["type"] == "string_too_long" and isinstance(value, str):
            message = f"{message} (got {len(value)})"
        elif item["type"] not in ("missing",) and isinstance(value, str) and len(value) <= 80:
            message = f"{message} (got {value!r})"
        reasons.append(f"{where}: {message}")
    return "; ".join(reasons)


class RulesError(ValueError):
    """A mapping file failed validation; the message names the file and each bad field."""


def load_rules(model: type[Rules], path: Path) -> Rules:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"mapping file {path}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"mapping file {path}: {describe(exc)}") from None
