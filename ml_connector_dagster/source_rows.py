"""Source rows into the mapping's models one row at a time, so one bad value fails one record, never a partition.

A source model types every field the mapping reads as more than text (an EBS date, a JDE Julian date, an SAP amount):
a value the source rendered but that cannot be what its field holds (`2026-02-31`, `0000-00-00`, an amount
RFC_READ_TABLE cut to fit and marked `*`) fails the row's validation here, before the mapping runs. The row is set
aside with each such field and raw value named, and the record it belongs to (its `owner`, the source key the pair's
mapping gives that record) becomes a `validation` dead letter in place of whatever the mapping made of the rest of
it: a party whose supplier row holds a bad end date is not loaded as if it had no supplier. The other rows load. A
later run that reads the value fixed loads the record, which resolves its dead letter as any load does.

The payload assets of every source go through `SourceRows` (a source whose rows are not models, Procore's costs, reads
them with `read` and `SourceRows.converted`); mapping modules stay pure and see valid rows only. Zoho's records are
read as Zoho sends them: Zoho types its fields itself when they are written.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, replace
from itertools import chain
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

from ml_connector_dagster.mapping.common import MappingResult, Rejected

Model = TypeVar("Model", bound=BaseModel)
Result = TypeVar("Result", bound=MappingResult)
Parsed = TypeVar("Parsed")

# A message pydantic gives for a built-in type, as an operator reads it beside the value.
_NOT_A = {
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "int_type": "is not a whole number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "decimal_parsing": "is not a number",
    "decimal_type": "is not a number",
    "date_parsing": "is not a date",
    "date_from_datetime_parsing": "is not a date",
    "date_from_datetime_inexact": "is not a date",
    "date_type": "is not a date",
    "datetime_parsing": "is not a date and time",
    "datetime_from_date_parsing": "is not a date and time",
    "datetime_type": "is not a date and time",
    "bool_parsing": "is not a yes/no value",
    "string_type": "is not text",
}
_UNNAMED = "unkeyed"


def readable(what: str, parse: Callable[[str], Any]) -> AfterValidator:
    """A text field the mapping parses later (an EBS date kept as the service renders it): validated here by the same
    `parse`, so that a value it cannot read is this row's problem (`END_DATE_ACTIVE '2026-02-31' is not a date`),
    not an exception in the middle of the mapping. The text is kept as it was."""

    def check(value: str | None) -> str | None:
        if value is not None:
            try:
                parse(value)
            except (ValueError, TypeError, ArithmeticError):
                raise PydanticCustomError("source_value", "is not {what}", {"what": what}) from None
        return value

    return AfterValidator(check)


def converted(what: str, convert: Callable[[Any], Parsed]) -> BeforeValidator:
    """A field read into another type by `convert` (a JDE Julian date into a date): a value `convert` cannot read is
    this row's problem, named as `what` the field should have been."""

    def check(value: Any) -> Any:
        try:
            return convert(value)
        except (ValueError, TypeError, ArithmeticError):
            raise PydanticCustomError("source_value", "is not {what}", {"what": what}) from None

    return BeforeValidator(check)


class BadValue(ValueError):
    """A value a source row's converter could not read (`read`), named with its field: the row's problem."""

    def __init__(self, field: str, value: Any, what: str):
        super().__init__(f"{field} {value!r} is not {what}")


def read(row: Mapping[str, Any], field: str, parse: Callable[[Any], Parsed], what: str) -> Parsed:
    """`parse(row[field])`, for a row a converter reads field by field rather than as a model (a Procore cost with
    its items); a value `parse` cannot read is a BadValue naming the field and the value."""
    value = row.get(field)
    try:
        return parse(value)
    except (ValueError, TypeError, ArithmeticError):
        raise BadValue(field, value, what) from None


def problems(error: ValidationError) -> list[str]:
    """`END_DATE_ACTIVE '2026-02-31' is not a date`: each failed field of a source row with the raw value."""
    found = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "row"
        if item["type"] == "missing" or item.get("input") is None:
            found.append(f"{where} is empty")
            continue
        problem = _NOT_A.get(item["type"], item["msg"])
        found.append(f"{where} {item['input']!r} {problem}")
    return found


class _Raw(dict):
    """A row as the source gave it, for an owner function: an empty value reads as absent, so a key that is not
    there raises KeyError rather than naming the record `None`."""

    def __getitem__(self, name: str) -> Any:
        value = super().get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise KeyError(name)
        return value


class SourceRows:
    """What a payload asset's rows were: the models of the good ones, and for the others the record each belongs
    to with what is wrong with it. `models` for each input, then the mapping over the models, then `reject_in`."""

    def __init__(self) -> None:
        self.bad: dict[str, list[str]] = {}
        self.sources: dict[str, dict[str, list[dict]]] = {}

    def models(
        self,
        rows: pd.DataFrame | Iterable[Mapping[str, Any]],
        model: type[Model],
        owner: Callable[[Mapping[str, Any]], str | None],
    ) -> list[Model]:
        """The rows as `model`s; a row that is not is set aside under `owner(row)`: the source key of the record it
        belongs to, from the row as the source gave it (a row whose key is the bad value is named as well as it can
        be: `unkeyed <Model>: <its values>`), or None where no record of the object mapped rests on the row (it is
        left out)."""
        good = []
        for row in _records(rows):
            try:
                good.append(model.model_validate(row))
            except ValidationError as error:
                self._set_aside(row, model.__name__, problems(error), owner)
        return good

    def converted(
        self,
        rows: pd.DataFrame | Iterable[Mapping[str, Any]],
        convert: Callable[[Mapping[str, Any]], Parsed],
        owner: Callable[[Mapping[str, Any]], str | None],
        name: str,
    ) -> list[Parsed]:
        """As `models`, for rows a function reads with `read`: a row on which it raises BadValue is set aside,
        its records named `name` in the reason."""
        good = []
        for row in _records(rows):
            try:
                good.append(convert(row))
            except BadValue as bad:
                self._set_aside(row, name, [str(bad)], owner)
        return good

    def reject_in(self, result: Result) -> Result:
        """`result` (of any MappingResult kind) with every record that has a bad row rejected instead, whatever the
        mapping made of the rest of it: left out of each of its per-record lists (records, exclusions, a two-way
        result's write-backs) and mappings by source key (a two-way result's agreements)."""
        if not self.bad:
            return result
        kept = replace(result, **{f.name: self._without(getattr(result, f.name)) for f in fields(result)})
        kept.rejected.extend(
            Rejected(key, "; ".join(reasons), {"source_rows": self.sources[key]}) for key, reasons in self.bad.items()
        )
        return kept

    def _without(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in value if getattr(item, "source_key", None) not in self.bad]
        if isinstance(value, dict):
            return {key: item for key, item in value.items() if key not in self.bad}
        return value

    def _set_aside(self, row: Mapping[str, Any], kind: str, found: list[str], owner) -> None:
        try:
            key = owner(_Raw(row))
        except (KeyError, ValueError, TypeError):
            key = _unkeyed(row, kind)
        if key is None:
            return
        self.bad.setdefault(key, []).extend(f"{kind}: {problem}" for problem in found)
        self.sources.setdefault(key, {}).setdefault(kind, []).append(_plain(row))


def _unkeyed(row: Mapping[str, Any], kind: str) -> str:
    """A row whose own key is what cannot be read, named by what it holds."""
    values = ", ".join(f"{name}={value!r}" for name, value in row.items() if value not in (None, ""))
    return f"{_UNNAMED} {kind}: {values}"[:200]


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row as the dead letter stores it (JSON): a value JSON has no form for (a date) as its text."""
    return {
        name: value if isinstance(value, str | int | float | bool | list | dict | None) else str(value)
        for name, value in row.items()
    }


def _records(rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as dicts; pandas' NaN for a missing value becomes None, a numpy value its Python value."""
    if isinstance(rows, pd.DataFrame):
        if rows.empty:
            return []
        plain = rows.astype(object).where(rows.notna(), None)
        # Column by column rather than `to_dict("records")`, which converts every value by a call of its own (most of
        # the CPU of a page's models). Only an object column can still hold a numpy value here (astype made the
        # others Python's): a frame with one is left to pandas.
        columns = plain.to_numpy().T.tolist()
        if any(issubclass(kind, np.generic) for kind in set(map(type, chain.from_iterable(columns)))):
            return plain.to_dict("records")
        names = list(plain.columns)
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    return [dict(row) for row in rows]
