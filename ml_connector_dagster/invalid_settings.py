"""A setting the environment gave a bad value, said the way an operator fixes it: one line per bad variable, naming
the variable, what is wrong with its value and what it accepts, derived from the field's declaration (its type,
Literal choices, bounds and pattern) so the line and the code cannot disagree. A secret's value is never shown."""

import types
from collections.abc import Callable, Collection
from datetime import date
from typing import Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

_KINDS = {int: "a whole number", float: "a number", bool: "true or false", date: "a date (YYYY-MM-DD)", str: "text"}
_NOT_A = {
    "int_parsing": int,
    "int_from_float": int,
    "int_type": int,
    "float_parsing": float,
    "float_type": float,
    "bool_parsing": bool,
    "bool_type": bool,
    "date_parsing": date,
    "date_from_datetime_parsing": date,
    "date_from_datetime_inexact": date,
    "date_type": date,
}
_OUT_OF_RANGE = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})


def problems(
    error: ValidationError,
    model: type[BaseModel],
    variable: Callable[[str], str],
    secrets: Collection[str] = (),
    context: str = "",
) -> list[str]:
    """One line per bad field of `error` (raised validating `model`): `variable(field)` names its environment
    variable. A failure of the model as a whole (no field) is said as it is, after `context`."""
    lines: dict[str, None] = {}
    for item in error.errors(include_url=False):
        name = str(item["loc"][0]) if item["loc"] else None
        field = model.model_fields.get(name) if name else None
        if field is None:
            lines[f"{context}{_own_words(item)}"] = None
            continue
        shown = "(a secret, not shown)" if name in secrets else f"={_quoted(item.get('input'))}"
        lines[f"{variable(name)}{shown}: {_problem(item, field)}"] = None
    return list(lines)


def accepted(field: FieldInfo) -> str:
    """What a field accepts, in words: `token or basic`, `a whole number from 1 to 1000`, `text matching ^\\d{3}$`."""
    choices = _literal_choices(field.annotation)
    if choices:
        return _either(choices)
    kind = _KINDS.get(_base_type(field.annotation), "a value")
    limits = {type(item): item for item in field.metadata}
    low = limits.get(annotated_types.Ge) or limits.get(annotated_types.Gt)
    high = limits.get(annotated_types.Le) or limits.get(annotated_types.Lt)
    if isinstance(low, annotated_types.Ge) and isinstance(high, annotated_types.Le):
        kind += f" from {low.ge} to {high.le}"
    else:
        if isinstance(low, annotated_types.Ge):
            kind += f" of at least {low.ge}"
        elif isinstance(low, annotated_types.Gt):
            kind += f" more than {low.gt}"
        if isinstance(high, annotated_types.Le):
            kind += f"{' and' if low else ''} of at most {high.le}"
        elif isinstance(high, annotated_types.Lt):
            kind += f"{' and' if low else ''} less than {high.lt}"
    pattern = next((item.pattern for item in field.metadata if getattr(item, "pattern", None)), None)
    if pattern:
        kind += f" matching {pattern}"
    if annotated_types.MaxLen in limits:
        kind += f" of at most {limits[annotated_types.MaxLen].max_length} characters"
    if field.default not in (None, ...) and not isinstance(field.default, dict | list | tuple):
        kind += f", e.g. {str(field.default).lower() if isinstance(field.default, bool) else field.default}"
    return kind


def _problem(item: dict, field: FieldInfo) -> str:
    kind = item["type"]
    if kind == "value_error":
        return _own_words(item)  # a validator's words, which say what it accepts
    if kind == "literal_error":
        said = "not one of the accepted values"
    elif kind in _NOT_A:
        said = item.get("ctx", {}).get("error") or f"not {_KINDS[_NOT_A[kind]]}"
    elif kind in _OUT_OF_RANGE:
        said = "out of range"
    elif kind == "string_pattern_mismatch":
        said = "not of the accepted form"
    elif kind == "string_too_long":
        said = f"too long ({len(str(item.get('input', '')))} characters)"
    elif kind == "missing":
        said = "not set"
    else:
        said = _own_words(item)
    return f"{said}; accepted: {accepted(field)}"


def _own_words(item: dict) -> str:
    return item["msg"].removeprefix("Value error, ")


def _quoted(value: Any) -> str:
    text = str(value)
    try:
        parts = urlsplit(text)
        if parts.password:  # a URL with its password in it (a ledger URL): the password is a secret
            text = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
    except ValueError:
        pass
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")


def _literal_choices(annotation: Any) -> tuple[str, ...]:
    if get_origin(annotation) is Literal:
        return tuple(str(choice) for choice in get_args(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        return tuple(choice for arg in get_args(annotation) for choice in _literal_choices(arg))
    return ()


def _base_type(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        return next((arg for arg in get_args(annotation) if arg is not type(None)), annotation)
    return annotation


def _either(choices: tuple[str, ...]) -> str:
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"
