"""The OData query subset the emulators answer: `$filter` expressions, `$select`, `$orderby`, key segments, for
OData v4 (Dataverse) and v2 (SAP Gateway), whose literal syntax differs.

`$filter` grammar: comparisons (eq ne gt ge lt le), `and` / `or` / `not`, parentheses, `startswith`, `endswith`,
plus `contains` (v4) or `substringof` (v2); literals 'text' ('' escapes a quote), numbers, true/false/null; v4 dates
and GUIDs are unquoted, v2 ones typed (`datetime'2026-10-01T00:00:00'`, `guid'…'`, decimals `10.5M`, `100L`).
Anything else is a 400 with the vendor's code, never silently ignored.
"""

import re
import uuid
from collections.abc import Callable
from datetime import datetime

from ml_connector_dagster.sandbox import lexer

Row = dict
Predicate = Callable[[Row], bool]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<typed>(?:datetimeoffset|datetime|guid|time)'[^']*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<date>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)(?![\w-])
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
  | (?P<number>-?\d+(?:\.\d+)?[MLmldDfF]?)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][\w./@]*)
)""",
    re.VERBOSE,
)
_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}
_FUNCTIONS = {
    "contains": lambda a, b: b.lower() in a.lower(),
    "startswith": lambda a, b: a.lower().startswith(b.lower()),
    "endswith": lambda a, b: a.lower().endswith(b.lower()),
}
_V2_ONLY, _V4_ONLY = {"typed"}, {"date", "guid"}


class QueryError(ValueError):
    """A query Dataverse refuses: 400 with `code`."""

    def __init__(self, message: str, code: str = "0x80060888"):
        super().__init__(message)
        self.code = code


def _tokens(text: str) -> list[tuple[str, str]]:
    found = lexer.tokens(_TOKEN, text)
    if isinstance(found, int):
        raise QueryError(f"Syntax error at position {found} in '{text}'.")
    return found


def _literal(kind: str, value: str):
    if kind == "typed":
        prefix, _, text = value[:-1].partition("'")
        if prefix == "guid":
            return str(uuid.UUID(text))
        if prefix == "time":
            return text
        return _datetime(text, keep_zone=prefix == "datetimeoffset")
    if kind == "string":
        return value[1:-1].replace("''", "'")
    if kind == "number":
        digits = value.rstrip("MLmldDfF")
        return float(digits) if "." in digits else int(digits)
    if kind == "guid":
        return str(uuid.UUID(value))
    if kind == "date":
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    raise QueryError(f"Unexpected literal {value!r}.")


def _datetime(text: str, *, keep_zone: bool) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"Invalid datetime literal '{text}'.") from None
    if moment.tzinfo is not None and not keep_zone:
        # OData v2 Edm.DateTime literals carry no zone (rev 10.1 grammar); Gateway refuses one.
        raise QueryError(f"Invalid Edm.DateTime literal '{text}': no time zone allowed.")
    return moment


def either(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) or second(row)


def both(first: Predicate, second: Predicate) -> Predicate:
    return lambda row: first(row) and second(row)


class _TextIn:
    """`column eq 'a' or column eq 'b' or ...`: text compares case-insensitively (the database collation), so a row
    matches when its text, folded, is one of the folded literals: one set lookup per row, where a chain of `or` tries
    each literal in turn (a client's check of a thousand keys filters on a thousand)."""

    def __init__(self, column: str, folded: frozenset[str]):
        self.column = column
        self.folded = folded

    def __call__(self, row: Row) -> bool:
        value = row.get(self.column)
        return isinstance(value, str) and value.lower() in self.folded


def _any_of(first: Predicate, second: Predicate) -> Predicate:
    if isinstance(first, _TextIn) and isinstance(second, _TextIn) and first.column == second.column:
        return _TextIn(first.column, first.folded | second.folded)
    return either(first, second)


class _Parser:
    def __init__(self, text: str, columns: set[str], version: int):
        self.tokens = _tokens(text)
        forbidden = _V4_ONLY if version == 2 else _V2_ONLY
        for kind, value in self.tokens:
            if kind in forbidden:
                raise QueryError(f"The literal {value} is not valid in OData version {version}.")
        self.position = 0
        self.columns = columns
        self.version = version

    def parse(self) -> Predicate:
        predicate = self._or()
        if self.position != len(self.tokens):
            raise QueryError(f"Syntax error: unexpected '{self.tokens[self.position][1]}'.")
        return predicate

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, value: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token is None or (value is not None and token[1] != value):
            raise QueryError(f"Syntax error: expected '{value or 'an operand'}'.")
        self.position += 1
        return token

    def _or(self) -> Predicate:
        left = self._and()
        while self._peek() == ("name", "or"):
            self._take()
            left = _any_of(left, self._and())
        return left

    def _and(self) -> Predicate:
        left = self._unary()
        while self._peek() == ("name", "and"):
            self._take()
            left = both(left, self._unary())
        return left

    def _unary(self) -> Predicate:
        if self._peek() == ("name", "not"):
            self._take()
            inner = self._unary()
            return lambda row: not inner(row)
        if self._peek() == ("punct", "("):
            self._take()
            inner = self._or()
            self._take(")")
            return inner
        return self._comparison()

    def _column(self, name: str) -> str:
        if name not in self.columns:
            raise QueryError(f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM'.")
        return name

    def _comparison(self) -> Predicate:
        kind, value = self._take()
        if kind == "name" and value == "substringof" and self.version == 2 and self._peek() == ("punct", "("):
            self._take("(")
            argument = _literal(*self._take())
            self._take(",")
            column = self._column(self._take()[1])
            self._take(")")
            return lambda row: isinstance(row.get(column), str) and argument.lower() in row[column].lower()
        if (
            kind == "name"
            and value in _FUNCTIONS
            and (value != "contains" or self.version == 4)
            and self._peek() == ("punct", "(")
        ):
            self._take("(")
            column = self._column(self._take()[1])
            self._take(",")
            argument = _literal(*self._take())
            self._take(")")
            function = _FUNCTIONS[value]
            return lambda row: isinstance(row.get(column), str) and function(row[column], argument)
        if kind != "name":
            raise QueryError(f"Syntax error: expected a property name, found '{value}'.")
        column = self._column(value)
        operator = self._take()[1]
        if operator not in _COMPARE:
            raise QueryError(f"Syntax error: '{operator}' is not a comparison operator.")
        literal_kind, literal = self._take()
        if literal_kind == "name" and literal in ("null", "true", "false"):
            operand = {"null": None, "true": True, "false": False}[literal]
        else:
            operand = _literal(literal_kind, literal)
        compare = _COMPARE[operator]
        if operator == "eq" and isinstance(operand, str):
            return _TextIn(column, frozenset({operand.lower()}))

        def test(row: Row) -> bool:
            value = row.get(column)
            if isinstance(operand, str) and isinstance(value, str) and operator in ("eq", "ne"):
                # Dataverse string comparison follows the database collation: case-insensitive.
                return compare(value.lower(), operand.lower())
            return compare(value, operand)

        return test


def parse_filter(text: str, columns: set[str], version: int = 4) -> Predicate:
    return _Parser(text, columns, version).parse()


def parse_select(text: str | None, columns: set[str]) -> list[str] | None:
    if not text:
        return None
    selected = [name.strip() for name in text.split(",") if name.strip()]
    for name in selected:
        if name not in columns:
            raise QueryError(f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM'.")
    return selected


def parse_orderby(text: str | None, columns: set[str]) -> list[tuple[str, bool]]:
    order = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if words[0] not in columns or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise QueryError(f"The $orderby expression '{part.strip()}' is not valid.")
        order.append((words[0], len(words) == 2 and words[1] == "desc"))
    return order


_KEY_PART = re.compile(r"\s*(\w+)\s*=\s*('(?:[^']|'')*'|[^,]+)\s*(?:,|$)")
# OData's guidValue: 8-4-4-4-12 hex digits, either case; no braces, no "urn:uuid:", no run of 32 (uuid.UUID takes all).
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_key(segment: str) -> dict[str, object] | str:
    """`<guid>` → the GUID; `name='v'[,other=1]` → {name: value}."""
    segment = segment.strip()
    if _GUID.fullmatch(segment):
        return str(uuid.UUID(segment))
    values, position = {}, 0
    while position < len(segment):
        match = _KEY_PART.match(segment, position)
        if not match:
            raise QueryError(f"The key in the request URI is not valid: '{segment}'.", "0x80060888")
        raw = match.group(2).strip()
        values[match.group(1)] = raw[1:-1].replace("''", "'") if raw.startswith("'") else _key_value(raw)
        position = match.end()
    return values


def _key_value(raw: str):
    if _GUID.fullmatch(raw):
        return str(uuid.UUID(raw))
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"The key value '{raw}' is not a valid literal.", "0x80060888") from None
