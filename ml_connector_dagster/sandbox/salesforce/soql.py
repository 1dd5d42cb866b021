"""The SOQL the emulator answers (crm_targets.md §1.7): SELECT fields (and one level of parent fields such as
`Account.Name`) FROM one object, WHERE with comparisons, LIKE, IN / NOT IN, AND / OR / NOT and parentheses, ORDER BY
(ASC / DESC, NULLS FIRST / LAST), LIMIT and OFFSET. Datetime literals are unquoted ISO 8601 with a zone, date literals
YYYY-MM-DD, strings single-quoted. Subqueries, aggregates, GROUP BY and relative date literals are not served: such
queries are refused as MALFORMED_QUERY rather than answered wrongly."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ml_connector_dagster.sandbox import lexer
from ml_connector_dagster.sandbox.salesforce.schema import NUMERIC, TEXT, SObject

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
)""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}

Row = dict[str, Any]  # one record flattened to {column path: value}


class SoqlError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Column:
    path: str  # as answered: `Name`, or `Account.Name` for a parent's field
    field: str
    kind: str
    lookup: str | None = None  # the lookup field holding the parent's id (`AccountId`), for a parent's field
    parent: SObject | None = None


@dataclass(frozen=True)
class Query:
    sobject: SObject
    select: list[Column]
    columns: dict[str, Column]  # every column the query reads, by path
    where: Callable[[Row], bool]
    order: list[tuple[str, bool, bool]]  # (path, descending, nulls last)
    limit: int | None
    offset: int


def parse(text: str, objects: dict[str, SObject]) -> Query:
    return _Parser(_tokens(text), objects).query()


def datetime_value(text: str) -> datetime:
    """A stored (`...000+0000`) or literal (`...Z`, `...+01:00`) datetime as an aware datetime."""
    normalised = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normalised):
        normalised = normalised[:-2] + ":" + normalised[-2:]
    return datetime.fromisoformat(normalised)


def sort_key(value, kind: str, nulls_last: bool) -> tuple:
    comparable = comparable_value(value, kind)
    return (comparable is None) == nulls_last, comparable if comparable is not None else 0


def comparable_value(value, kind: str):
    if value is None:
        return None
    if kind == "datetime":
        return datetime_value(value)
    if kind in TEXT:
        return str(value).lower()  # text comparisons in SOQL ignore case
    if kind in NUMERIC:
        return float(value)
    return value


def _tokens(text: str) -> list[tuple[str, str]]:
    found = lexer.tokens(_TOKEN, text)
    if isinstance(found, int):
        raise SoqlError("MALFORMED_QUERY", f"unexpected token at position {found}: {text[found : found + 20]!r}")
    return found


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], objects: dict[str, SObject]):
        self.tokens = tokens
        self.objects = objects
        self.at = 0
        self.sobject: SObject | None = None
        self.columns: dict[str, Column] = {}

    def query(self) -> Query:
        self._keyword("SELECT")
        names = [self._word()]
        while self._accept_punct(","):
            names.append(self._word())
        self._keyword("FROM")
        name = self._word()
        self.sobject = next((o for o in self.objects.values() if o.name.lower() == name.lower()), None)
        if self.sobject is None:
            raise SoqlError(
                "INVALID_TYPE",
                f"sObject type '{name}' is not supported. If you are attempting to use a "
                "custom object, be sure to append the '__c' after the entity name.",
            )
        select = list({column.path: column for column in map(self._column, names)}.values())
        where: Callable[[Row], bool] = _every_row
        if self._accept_keyword("WHERE"):
            where = self._or()
        order = self._order_by() if self._accept_keyword("ORDER") else []
        limit = self._whole_number("LIMIT") if self._accept_keyword("LIMIT") else None
        offset = self._whole_number("OFFSET") if self._accept_keyword("OFFSET") else 0
        if self.at != len(self.tokens):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{self.tokens[self.at][1]}'")
        return Query(self.sobject, select, self.columns, where, order, limit, offset)

    def _order_by(self) -> list[tuple[str, bool, bool]]:
        self._keyword("BY")
        order = []
        while True:
            column = self._column(self._word())
            descending = self._accept_keyword("DESC")
            if not descending:
                self._accept_keyword("ASC")
            nulls_last = descending  # SOQL sorts nulls first ascending, last descending, unless told
            if self._accept_keyword("NULLS"):
                nulls_last = self._accept_keyword("LAST")
                if not nulls_last:
                    self._keyword("FIRST")
            order.append((column.path, descending, nulls_last))
            if not self._accept_punct(","):
                return order

    # conditions ------------------------------------------------------------------------------------------------
    def _or(self) -> Callable[[Row], bool]:
        parts = [self._and()]
        while self._accept_keyword("OR"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def _and(self) -> Callable[[Row], bool]:
        parts = [self._not()]
        while self._accept_keyword("AND"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def _not(self) -> Callable[[Row], bool]:
        if self._accept_keyword("NOT"):
            inner = self._not()
            return lambda row: not inner(row)
        if self._accept_punct("("):
            inner = self._or()
            self._punct(")")
            return inner
        return self._comparison()

    def _comparison(self) -> Callable[[Row], bool]:
        column = self._column(self._word())
        path, kind = column.path, column.kind
        negate = self._accept_keyword("NOT")
        if self._accept_keyword("IN"):
            self._punct("(")
            values = [self._value(column)]
            while self._accept_punct(","):
                values.append(self._value(column))
            self._punct(")")
            return lambda row: (comparable_value(row[path], kind) in values) != negate
        if negate:
            raise SoqlError("MALFORMED_QUERY", "NOT must be followed by IN here")
        if self._accept_keyword("LIKE"):
            pattern = self._value(column)
            if not isinstance(pattern, str):
                raise SoqlError("MALFORMED_QUERY", "LIKE needs a quoted string")
            regex = re.compile(
                "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern),
                re.IGNORECASE | re.DOTALL,
            )
            return lambda row: row[path] is not None and regex.fullmatch(str(row[path])) is not None
        kind_op, op = self._next()
        if kind_op != "op":
            raise SoqlError("MALFORMED_QUERY", f"expecting an operator after {path}, found '{op}'")
        value = self._value(column)
        return lambda row: _compare(comparable_value(row[path], kind), op, value)

    def _value(self, column: Column):
        token_kind, text = self._next()
        if token_kind == "word" and text.lower() == "null":
            return None
        if token_kind == "word" and text.lower() in ("true", "false") and column.kind == "boolean":
            return text.lower() == "true"
        expected = {
            "string": "string",
            "id": "string",
            "reference": "string",
            "datetime": "datetime",
            "date": "date",
            "boolean": "boolean",
        }.get(column.kind, "number")
        if token_kind != expected:
            # The platform's wording; INVALID_FIELD is its code for a literal of the wrong type.
            quoted = "should be enclosed in quotes" if expected == "string" else "should not be enclosed in quotes"
            raise SoqlError(
                "INVALID_FIELD",
                f"value of filter criterion for field '{column.path}' must be of type {column.kind} and {quoted}",
            )
        if token_kind == "string":
            return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1]).lower()
        if token_kind == "datetime":
            return datetime_value(text)
        return float(text) if token_kind == "number" else text

    # names -----------------------------------------------------------------------------------------------------
    def _column(self, name: str) -> Column:
        if "." not in name:
            column = self._own(self.sobject, name, name)
        else:
            relationship, _, field = name.partition(".")
            lookup = self.sobject.relationship(relationship)
            parent = self.objects.get(self.sobject.fields[lookup].reference_to) if lookup else None
            if parent is None or "." in field:
                raise SoqlError(
                    "INVALID_FIELD",
                    f"Didn't understand relationship '{relationship}' in field path. If "
                    "you are attempting to use a custom relationship, be sure to append "
                    "the '__r' after the custom relationship name.",
                )
            own = self._own(parent, field, name)
            column = Column(f"{lookup[:-2]}.{own.field}", own.field, own.kind, lookup, parent)
        self.columns.setdefault(column.path, column)
        return column

    def _own(self, sobject: SObject, name: str, written: str) -> Column:
        field = sobject.field_named(name)
        if field is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"No such column '{written}' on entity '{sobject.name}'. If you are "
                "attempting to use a custom field, be sure to append the '__c' after "
                "the custom field name.",
            )
        return Column(field, field, sobject.fields[field].type)

    # tokens ----------------------------------------------------------------------------------------------------
    def _next(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.at += 1
        return self.tokens[self.at - 1]

    def _word(self) -> str:
        kind, text = self._next()
        if kind != "word":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text}'")
        return text

    def _whole_number(self, clause: str) -> int:
        kind, value = self._next()
        if kind != "number" or not value.isdigit():
            raise SoqlError("MALFORMED_QUERY", f"{clause} needs a whole number")
        return int(value)

    def _keyword(self, word: str) -> None:
        kind, text = self._next()
        if kind != "word" or text.upper() != word:
            raise SoqlError("MALFORMED_QUERY", f"expecting '{word}', found '{text}'")

    def _accept_keyword(self, word: str) -> bool:
        if self.at < len(self.tokens) and self.tokens[self.at][0] == "word" and self.tokens[self.at][1].upper() == word:
            self.at += 1
            return True
        return False

    def _accept_punct(self, char: str) -> bool:
        if self.at < len(self.tokens) and self.tokens[self.at] == ("punct", char):
            self.at += 1
            return True
        return False

    def _punct(self, char: str) -> None:
        if self._next() != ("punct", char):
            raise SoqlError("MALFORMED_QUERY", f"expecting '{char}'")


def _every_row(row: "Row") -> bool:
    return True


def _compare(left, op: str, right) -> bool:
    if op == "=":
        return left == right
    if op in ("!=", "<>"):
        return left != right
    if left is None or right is None:
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
