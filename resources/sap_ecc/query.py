"""What to read from an ECC table, said once and rendered by each transport: an OData v2 `$filter` for SAP Gateway,
Open SQL lines of at most 72 characters for RFC_READ_TABLE's OPTIONS. Values are SAP's internal forms (DATS as
YYYYMMDD, NUMC and ALPHA keys with their leading zeros)."""

from dataclasses import dataclass, field
from datetime import datetime

from ml_connector_dagster.odata import literal

OPTION_LINE = 72


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # = <> >= < > <=
    value: str
    is_date: bool = False


@dataclass(frozen=True)
class Select:
    table: str
    fields: tuple[str, ...]
    keys: tuple[str, ...]
    where: tuple[Condition, ...] = ()
    any_of: tuple[str, tuple[str, ...]] | None = None  # field IN (values)
    dates: frozenset[str] = field(default_factory=frozenset)


_ODATA_OPS = {"=": "eq", "<>": "ne", ">=": "ge", "<": "lt", ">": "gt", "<=": "le"}


def odata_filter(select: Select) -> str | None:
    parts = [f"{c.field} {_ODATA_OPS[c.op]} {_odata_literal(c)}" for c in select.where]
    if select.any_of:
        name, values = select.any_of
        parts.append("(" + " or ".join(f"{name} eq {literal(v)}" for v in values) + ")")
    return " and ".join(parts) or None


def _odata_literal(condition: Condition) -> str:
    if condition.is_date:
        return "datetime'" + datetime.strptime(condition.value, "%Y%m%d").strftime("%Y-%m-%dT%H:%M:%S") + "'"
    return literal(condition.value)


def open_sql_lines(select: Select) -> list[str]:
    """The WHERE clause as RFC_READ_TABLE wants it: spaces around operators, no token split across lines. Open SQL
    quotes a character literal as OData does (a quote inside doubled), so both transports share `literal`."""
    tokens: list[str] = []
    for condition in select.where:
        if tokens:
            tokens.append("AND")
        tokens += [condition.field, condition.op, literal(condition.value)]
    if select.any_of:
        name, values = select.any_of
        if tokens:
            tokens.append("AND")
        tokens.append("(")
        for index, value in enumerate(values):
            if index:
                tokens.append("OR")
            tokens += [name, "=", literal(value)]
        tokens.append(")")
    lines, line = [], ""
    for token in tokens:
        candidate = f"{line} {token}" if line else token
        if len(candidate) > OPTION_LINE:
            lines.append(line)
            candidate = token
        line = candidate
    return lines + ([line] if line else [])
