"""The SOQL the emulator answers (crm_targets.md §1.7): SELECT fields FROM one object, WHERE with comparisons,
LIKE, IN / NOT IN, AND / OR / NOT and parentheses, ORDER BY, LIMIT. Datetime literals are unquoted ISO 8601 with a
zone, date literals YYYY-MM-DD, strings single-quoted. Relationship paths, subqueries, GROUP BY and relative date
literals are not served: such queries are refused as MALFORMED_QUERY rather than answered wrongly."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ml_connector_dagster.sandbox import lexer
from ml_connector_dagster.sandbox.salesforce.schema import OBJECTS, SObject

_TOKEN = re.compile(r"""\s*(?:
    (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
)""", re.VERBOSE)


class SoqlError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Query:
    sobject: SObject
    fields: list[str]
    where: Callable[[dict], bool]
    order: list[tuple[str, bool]]
    limit: int | None


def parse(text: str) -> Query:
    return _Parser(_tokens(text)).query()


def datetime_value(text: str) -> datetime:
    """A stored (`...000+0000`) or literal (`...Z`, `...+01:00`) datetime as an aware datetime."""
    normalised = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", normalised):
        normalised = normalised[:-2] + ":" + normalised[-2:]
    return datetime.fromisoformat(normalised)


def _tokens(text: str) -> list[tuple[str, str]]:
    found = lexer.tokens(_TOKEN, text)
    if isinstance(found, int):
        raise SoqlError("MALFORMED_QUERY", f"unexpected token at position {found}: {text[found:found + 20]!r}")
    return found


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.at = 0
        self.sobject: SObject | None = None

    def query(self) -> Query:
        self._keyword("SELECT")
        names = [self._word()]
        while self._peek_punct(","):
            self.at += 1
            names.append(self._word())
        self._keyword("FROM")
        name = self._word()
        self.sobject = next((o for o in OBJECTS.values() if o.name.lower() == name.lower()), None)
        if self.sobject is None:
            raise SoqlError("INVALID_TYPE", f"sObject type '{name}' is not supported.")
        fields = [self._field(n) for n in names]
        where: Callable[[dict], bool] = lambda row: True
        order: list[tuple[str, bool]] = []
        limit = None
        if self._peek_keyword("WHERE"):
            self.at += 1
            where = self._or()
        if self._peek_keyword("ORDER"):
            self.at += 1
            self._keyword("BY")
            while True:
                column, descending = self._field(self._word()), False
                if self._peek_keyword("ASC") or self._peek_keyword("DESC"):
                    descending = self.tokens[self.at][1].upper() == "DESC"
                    self.at += 1
                order.append((column, descending))
                if not self._peek_punct(","):
                    break
                self.at += 1
        if self._peek_keyword("LIMIT"):
            self.at += 1
            kind, value = self._next()
            if kind != "number" or not value.isdigit():
                raise SoqlError("MALFORMED_QUERY", "LIMIT needs a whole number")
            limit = int(value)
        if self.at != len(self.tokens):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{self.tokens[self.at][1]}'")
        return Query(self.sobject, fields, where, order, limit)

    # conditions ------------------------------------------------------------------------------------------------
    def _or(self) -> Callable[[dict], bool]:
        parts = [self._and()]
        while self._peek_keyword("OR"):
            self.at += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def _and(self) -> Callable[[dict], bool]:
        parts = [self._not()]
        while self._peek_keyword("AND"):
            self.at += 1
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def _not(self) -> Callable[[dict], bool]:
        if self._peek_keyword("NOT"):
            self.at += 1
            inner = self._not()
            return lambda row: not inner(row)
        if self._peek_punct("("):
            self.at += 1
            inner = self._or()
            self._punct(")")
            return inner
        return self._comparison()

    def _comparison(self) -> Callable[[dict], bool]:
        column = self._field(self._word())
        kind = self.sobject.fields[column].type
        negate = False
        if self._peek_keyword("NOT"):
            self.at += 1
            negate = True
        if self._peek_keyword("IN"):
            self.at += 1
            self._punct("(")
            values = [self._value(kind)]
            while self._peek_punct(","):
                self.at += 1
                values.append(self._value(kind))
            self._punct(")")
            return lambda row: (_comparable(row.get(column), kind) in values) != negate
        if negate:
            raise SoqlError("MALFORMED_QUERY", "NOT must be followed by IN here")
        if self._peek_keyword("LIKE"):
            self.at += 1
            pattern = self._value("string")
            regex = re.compile("^" + re.escape(pattern).replace("%", ".*").replace("_", ".") + "$", re.IGNORECASE)
            return lambda row: row.get(column) is not None and bool(regex.match(str(row[column])))
        kind_op, op = self._next()
        if kind_op != "op":
            raise SoqlError("MALFORMED_QUERY", f"expected an operator after {column}")
        value = self._value(kind)
        return lambda row: _compare(_comparable(row.get(column), kind), op, value)

    def _value(self, kind: str):
        token_kind, text = self._next()
        if token_kind == "word" and text.lower() == "null":
            return None
        if token_kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if token_kind == "string":
            if kind not in ("string", "id", "reference"):
                # Guess at the code: Salesforce words it "must be of type dateTime and should not be enclosed in
                # quotes"; MALFORMED_QUERY is what a client gets for the query's shape.
                raise SoqlError("MALFORMED_QUERY", f"value of filter criterion must be of type {kind} and should not "
                                                   "be enclosed in quotes")
            value = re.sub(r"\\(.)", r"\1", text[1:-1])
            return value.lower() if kind in ("string", "id", "reference") else value
        if token_kind == "datetime":
            if kind != "datetime":
                raise SoqlError("MALFORMED_QUERY", "a datetime literal compares with datetime fields only")
            return datetime_value(text)
        if token_kind == "date":
            if kind != "date":
                raise SoqlError("MALFORMED_QUERY", "a date literal compares with date fields only")
            return text
        if token_kind == "number":
            return float(text)
        raise SoqlError("MALFORMED_QUERY", f"unexpected value '{text}'")

    # tokens ----------------------------------------------------------------------------------------------------
    def _field(self, name: str) -> str:
        match = next((f for f in self.sobject.fields if f.lower() == name.lower()), None)
        if match is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{self.sobject.name}'. If you are "
                                             "attempting to use a custom field, be sure to append the '__c' after "
                                             "the custom field name.")
        return match

    def _next(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        self.at += 1
        return self.tokens[self.at - 1]

    def _word(self) -> str:
        kind, text = self._next()
        if kind != "word":
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text}'")
        if "." in text:
            raise SoqlError("MALFORMED_QUERY", f"relationship paths such as '{text}' are not served by the sandbox")
        return text

    def _keyword(self, word: str) -> None:
        kind, text = self._next()
        if kind != "word" or text.upper() != word:
            raise SoqlError("MALFORMED_QUERY", f"expecting '{word}', found '{text}'")

    def _peek_keyword(self, word: str) -> bool:
        return self.at < len(self.tokens) and self.tokens[self.at][0] == "word" and \
            self.tokens[self.at][1].upper() == word

    def _peek_punct(self, char: str) -> bool:
        return self.at < len(self.tokens) and self.tokens[self.at] == ("punct", char)

    def _punct(self, char: str) -> None:
        if self._next() != ("punct", char):
            raise SoqlError("MALFORMED_QUERY", f"expecting '{char}'")


def _comparable(value, kind: str):
    if value is None:
        return None
    if kind == "datetime":
        return datetime_value(value)
    if kind in ("string", "id", "reference"):
        return str(value).lower()  # text comparisons in SOQL are case-insensitive
    if kind in ("double", "currency", "int"):
        return float(value)
    return value


def _compare(left, op: str, right) -> bool:
    if op == "=":
        return left == right
    if op in ("!=", "<>"):
        return left != right
    if left is None or right is None:
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def sort_key(value, kind: str):
    comparable = _comparable(value, kind)
    return (comparable is not None, comparable if comparable is not None else "")
