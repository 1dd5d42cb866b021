"""Rows of a data service answer as the connector uses them: keyed by alias (`AN8`, not `F0101_AN8`), Julian dates
as `datetime.date`, UPMT as an int. AIS has been seen rendering a date column as a `yyyyMMdd` string; whether it
ever sends the user's format or the raw CYYDDD number depends on the tools release (§3.2, unverified), so all three
are read."""

from datetime import date, datetime

from ml_connector_dagster.resources.jde import julian
from ml_connector_dagster.resources.jde.query import strftime_pattern

# Date data items of the tables the connector reads (UPMJ: date updated, EFTB: effective date, DLC: date of last
# credit review); JDE names most dates with a trailing J, but not all of them, so they are listed.
DATE_ALIASES = frozenset({"UPMJ", "EFTB", "DLC"})
TIME_ALIASES = frozenset({"UPMT"})


def decoded(table: str, row: dict, user_format: str | None) -> dict:
    """A value that reads as no date or time (a CYYDDD of day 400, which JDE's numeric columns hold as readily as a
    good one) is kept as it came: it is its record's problem, which the row's model names (source_rows.py), not the
    whole read's."""
    prefix = f"{table}_"
    out = {}
    for key, value in row.items():
        alias = key.removeprefix(prefix)
        try:
            if alias in DATE_ALIASES:
                value = _date(value, user_format)
            elif alias in TIME_ALIASES:
                value = int(value or 0)
        except ValueError:
            pass
        out[alias] = value
    return out


def _date(value: object, user_format: str | None) -> date | None:
    if value in (None, "", 0):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit() and len(value) <= 6):
        return julian.to_date(int(value))
    text = str(value).strip()
    if len(text) == 8 and text.isdigit():
        return datetime.strptime(text, "%Y%m%d").date()
    if user_format:
        return datetime.strptime(text, strftime_pattern(user_format)).date()
    raise ValueError(f"cannot read the JDE date {text!r}")
