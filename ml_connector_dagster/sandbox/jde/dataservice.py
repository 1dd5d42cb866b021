"""The data service's query side (erp_sources.md §3.2, §5.3): conditions on aliases turned into SQL over the seeded
tables, the rows of one answer, and open result sets for next-page calls, which expire as the HTML server's
resultSetTimeout makes them."""

import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from ml_connector_dagster.sandbox.jde import schema

_OPERATORS = {"EQUAL": "=", "NOT_EQUAL": "<>", "GREATER": ">", "LESS": "<"}
_UNVERIFIED_OPERATORS = {"GREATER_EQUAL": ">=", "LESS_EQUAL": "<="}
DateMode = Literal["user", "julian", "yyyyMMdd"]
_PATTERNS = {"user": "%m/%d/%Y", "yyyyMMdd": "%Y%m%d"}  # "user": the sandbox user's MM/dd/yyyy


class RequestError(ValueError):
    """A data request AIS refuses (answered as a ServiceErrorResponse)."""


@dataclass
class ResultSet:
    table: str
    aliases: list[str]
    rows: list[dict]
    page_size: int
    touched: datetime  # the emulator clock's time of the last page served
    position: int = 0
    rid: str = field(default_factory=lambda: secrets.token_hex(8))


def parse_date(content: str, mode: DateMode) -> int:
    """A date literal of a condition as CYYDDD, accepted only in the configured format [guess: AIS's accepted format
    is unverified, and what it answers to another is too]."""
    try:
        if mode == "julian":
            if not content.isdigit() or len(content) > 6:
                raise ValueError
            return int(content)
        moment = datetime.strptime(content, _PATTERNS[mode]).date()
        if moment.strftime(_PATTERNS[mode]) != content:  # strptime takes 126274 as 1262-7-4; AIS would not
            raise ValueError
    except ValueError:
        expected = {"user": "MM/dd/yyyy", "julian": "CYYDDD", "yyyyMMdd": "yyyyMMdd"}[mode]
        raise RequestError(f"Invalid date value '{content}': expected the format {expected}") from None
    return julian(moment)


def julian(moment: date) -> int:
    return (moment.year - 1900) * 1000 + moment.timetuple().tm_yday


def select(
    db: sqlite3.Connection,
    table: str,
    aliases: list[str],
    query: dict,
    *,
    date_mode: DateMode,
    unverified_operators: bool,
    empty_query_returns_nothing: bool,
) -> list[dict]:
    """The rows of `table` the query selects, in primary-key order, with only `aliases`."""
    cols = schema.columns(table)
    clauses, params = [], []
    for condition in query.get("condition") or []:
        clause, values = _condition(table, cols, condition, date_mode, unverified_operators)
        clauses.append(clause)
        params.extend(values)
    if not clauses and empty_query_returns_nothing:
        return []  # a quirk seen on one system (§3.2): a browse without a condition answered no rows
    match = query.get("matchType", "MATCH_ALL")
    if match not in ("MATCH_ALL", "MATCH_ANY"):
        raise RequestError(f"Invalid matchType '{match}'")
    where = (" AND " if match == "MATCH_ALL" else " OR ").join(clauses) or "1 = 1"
    names = ", ".join(f'"{alias}"' for alias in aliases)
    order = ", ".join(f'"{alias}"' for alias in schema.key(table))
    cursor = db.execute(f"SELECT {names} FROM {table} WHERE {where} ORDER BY {order}", params)
    return [dict(zip(aliases, row, strict=True)) for row in cursor.fetchall()]


def _condition(table: str, cols: dict, condition: dict, date_mode: DateMode, unverified: bool) -> tuple[str, list]:
    control = str(condition.get("controlId", ""))
    prefix, _, alias = control.partition(".")
    if prefix != table or alias not in cols:
        raise RequestError(f"Invalid controlId '{control}' for {table}")
    kind = cols[alias][0]
    operator = condition.get("operator")
    contents = [str(v.get("content", "")) for v in condition.get("value") or []]
    for v in condition.get("value") or []:
        if v.get("specialValueId", "LITERAL") != "LITERAL":
            raise RequestError(f"Unsupported specialValueId '{v.get('specialValueId')}'")
    values = [_typed(content, kind, date_mode, control) for content in contents]
    column = f'"{alias}"'
    if operator in _OPERATORS or (unverified and operator in _UNVERIFIED_OPERATORS):
        _arity(values, 1, operator, control)
        return f"{column} {({**_OPERATORS, **_UNVERIFIED_OPERATORS})[operator]} ?", values
    if operator == "BETWEEN":
        _arity(values, 2, operator, control)
        return f"{column} BETWEEN ? AND ?", values
    if operator == "LIST":
        if not values:
            raise RequestError(f"LIST condition on {control} has no values")
        return f"{column} IN ({', '.join('?' * len(values))})", values
    if operator == "STR_START_WITH" and kind == "S":
        _arity(values, 1, operator, control)
        return f"{column} LIKE ? ESCAPE '\\'", [
            values[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        ]
    raise RequestError(f"Invalid operator '{operator}' for {control}")


def _typed(content: str, kind: str, date_mode: DateMode, control: str):
    if kind == "D":
        return parse_date(content, date_mode)
    if kind in ("N", "T"):
        try:
            return float(content) if "." in content else int(content)
        except ValueError:
            raise RequestError(f"Invalid numeric value '{content}' for {control}") from None
    return content


def _arity(values: list, count: int, operator: str, control: str) -> None:
    if len(values) != count:
        raise RequestError(f"{operator} condition on {control} takes {count} value(s), got {len(values)}")


def render(table: str, row: dict, date_format: DateMode) -> dict:
    """A row as AIS sends it: `<TABLE>_<ALIAS>` keys, numbers as numbers, strings trimmed, dates per the setting."""
    cols = schema.columns(table)
    out = {}
    for alias, value in row.items():
        kind = cols[alias][0]
        if kind == "D":
            value = _date_out(value, date_format)
        elif kind == "T":
            value = int(value or 0)
        elif kind == "N":
            value = 0 if value is None else (int(value) if float(value).is_integer() else float(value))
        else:
            value = (value or "").strip()
        out[f"{table}_{alias}"] = value
    return out


def _date_out(value: int | None, date_format: DateMode):
    if not value:
        return "" if date_format != "julian" else 0
    if date_format == "julian":
        return int(value)
    year, day = divmod(int(value), 1000)
    moment = date.fromordinal(date(1900 + year, 1, 1).toordinal() + day - 1)
    return moment.strftime(_PATTERNS[date_format])
