"""What every pair's mapping needs: the result shape, external ids, text cleaning, and turning pydantic
validation errors into reasons a person can act on."""

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
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
    origin: str | None = None  # as TargetRecord.origin


@dataclass(frozen=True)
class Excluded:
    """A source record the rules deliberately leave out (inactive, wrong type); audited as skipped. With
    `remove_from_target`, a copy the connector wrote earlier is deleted from the target (a deleted order item)."""

    source_key: str
    reason: str
    remove_from_target: bool = False
    origin: str | None = None  # as TargetRecord.origin


@dataclass
class MappingResult:
    records: list[TargetRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)

    @classmethod
    def joined(cls, results: Sequence["MappingResult"]) -> "MappingResult":
        """One result of the results of consecutive pages, whatever a pair's result adds to these (its lists joined in
        order, its mappings merged): what the initial load syncs when it writes pages together."""
        if len(results) == 1:
            return results[0]
        values = {}
        for part in fields(cls):
            held = [getattr(result, part.name) for result in results]
            if isinstance(held[0], list):
                values[part.name] = [item for items in held for item in items]
            elif isinstance(held[0], dict):
                values[part.name] = {key: value for items in held for key, value in items.items()}
            else:
                raise TypeError(f"{cls.__name__}.{part.name}: a {type(held[0]).__name__} cannot be joined")
        return cls(**values)


# `.` joins an external id's parts and `~` starts an escape, so both are escaped inside a part, with the characters
# Dataverse cannot address an alternate-key value by ("Define alternate keys using Power Apps": GET and PATCH do not
# work when the value holds one of / # < > * % & : \ ? +). Whitespace and invisible characters are escaped too: SQL
# Server compares `A` and `A ` as equal, and ids that look alike should not be different records.
SEPARATOR, ESCAPE = ".", "~"
_ESCAPED = frozenset("/#<>*%&:\\?+" + SEPARATOR + ESCAPE)
# Printable ASCII but for these is written as it is: the only whitespace that is printable ASCII is the space.
_ESCAPED_OR_SPACE = _ESCAPED | {" "}


def external_id(system: str, kind: str, key: str | int, *more: str | int) -> str:
    """The key a target record carries (alternate key / External ID), e.g. `oracle_ebs.party.1001`: the system, the
    kind of record and the source key's parts joined by `.`. Stable, readable, unique across systems, and a valid
    Dataverse alternate-key value whatever the source key holds: in each part a character of `/ # < > * % & : \\ ? +
    . ~`, whitespace or an invisible one is written as `~` and the hex of each of its UTF-8 bytes (`CU/01` →
    `CU~2F01`, a space `~20`), so two source keys never share an id and the source key can be read back from it.
    Quotes and non-ASCII letters stay as they are (a URL percent-encodes them: odata.key_path)."""
    return SEPARATOR.join([system, kind, *(_escaped(str(part)) for part in (key, *more))])


def key_prefix(system: str) -> str:
    """What every external id of a system's records starts with."""
    return system + SEPARATOR


def _escaped(part: str) -> str:
    if part.isascii() and part.isprintable() and _ESCAPED_OR_SPACE.isdisjoint(part):
        return part  # nothing to escape (a numeric key, most of them): not looked at a character at a time
    return "".join(
        "".join(f"{ESCAPE}{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass"))
        if ch in _ESCAPED or ch.isspace() or not ch.isprintable()
        else ch
        for ch in part
    )


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
            # a target that counts length its own way says how long it found the value
            message = f"{message} (got {item.get('ctx', {}).get('length', len(value))})"
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
