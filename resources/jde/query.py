"""A data service request stated once (erp_sources.md §3.2): which table, which columns, which conditions; rendered
here as the AIS JSON body. Columns and conditions name aliases (`AN8`), the wire names `TABLE.ALIAS`."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ml_connector_dagster.resources.jde import julian

Operator = Literal["EQUAL", "NOT_EQUAL", "GREATER", "LESS", "BETWEEN", "LIST", "STR_START_WITH"]
DateLiteral = Literal["user", "julian", "yyyyMMdd"]
# Java SimpleDateFormat letters a JDE user's date format uses (userInfo.simpleDateFormat), as strftime directives.
_JAVA_DATE = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d"}
_JAVA_TOKEN = re.compile("|".join(_JAVA_DATE))


@dataclass(frozen=True)
class Condition:
    alias: str
    operator: Operator
    values: tuple[str | int | date, ...]


def strftime_pattern(simple_date_format: str) -> str:
    """`MM/dd/yyyy` → `%m/%d/%Y`."""
    return _JAVA_TOKEN.sub(lambda token: _JAVA_DATE[token.group()], simple_date_format)


def date_literal(value: date, mode: DateLiteral, user_format: str | None) -> str:
    """How a date is written in a condition. Which one AIS accepts is unverified (§3.2), hence the setting; "user"
    is the format of the signed-in user's date preference, which the token answer states."""
    if mode == "julian":
        return str(julian.from_date(value))
    if mode == "yyyyMMdd":
        return value.strftime("%Y%m%d")
    if not user_format:
        raise ValueError("date_literal 'user' needs the user's simpleDateFormat, which the token answer lacked")
    return value.strftime(strftime_pattern(user_format))


def browse_body(
    table: str,
    columns: list[str],
    conditions: list[Condition],
    *,
    page_size: int,
    next_pages: bool,
    literal: Callable[[date], str],
    match: Literal["MATCH_ALL", "MATCH_ANY"] = "MATCH_ALL",
) -> dict:
    """A BROWSE of `table`. `literal` writes a date value (date_literal with the session's settings)."""
    return {
        "targetName": table,
        "targetType": "table",
        "dataServiceType": "BROWSE",
        "returnControlIDs": "|".join(f"{table}.{alias}" for alias in columns),
        "maxPageSize": str(page_size),
        "enableNextPageProcessing": "true" if next_pages else "false",
        "outputType": "GRID_DATA",
        "query": {
            "autoFind": True,
            "matchType": match,
            "condition": [
                {
                    "controlId": f"{table}.{condition.alias}",
                    "operator": condition.operator,
                    "value": [
                        {"content": literal(v) if isinstance(v, date) else str(v), "specialValueId": "LITERAL"}
                        for v in condition.values
                    ],
                }
                for condition in conditions
            ],
        },
    }
