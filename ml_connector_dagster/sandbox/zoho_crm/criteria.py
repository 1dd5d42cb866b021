"""The search API's `criteria` (crm_targets.md §2.3): `((Field:op:value)and(Field:op:value))`, groups joined by
`and` / `or`, `\\(`, `\\)` and `\\,` escaped inside values, at most N conditions; parsed into a predicate over a
rendered record. Text comparisons ignore case, as Zoho's search does (guess for `in`)."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ml_connector_dagster.sandbox.zoho_crm.errors import ZohoError
from ml_connector_dagster.sandbox.zoho_crm.schema import Module

Predicate = Callable[[dict], bool]

_TEXT_OPS = {"equals", "not_equal", "starts_with", "in", "not_in"}
_ORDERED_OPS = {"equals", "not_equal", "in", "not_in", "greater_than", "greater_equal", "less_than", "less_equal",
                "between"}  # fmt: skip
_OPS_BY_TYPE = {
    "currency": _ORDERED_OPS,
    "datetime": _ORDERED_OPS,
    "bigint": {"equals", "not_equal", "in", "not_in"},
    "lookup": {"equals", "not_equal", "in", "not_in"},
    "ownerlookup": {"equals", "not_equal", "in", "not_in"},
}


def invalid_query(reason: str, **details) -> ZohoError:
    return ZohoError(400, "INVALID_QUERY", "invalid query formed", {"reason": reason, **details})


def parse(text: str, module: Module, max_criteria: int) -> Predicate:
    parser = _Parser(text, module)
    predicate = parser.expression()
    if parser.pos != len(text):
        raise invalid_query("the criteria is not well formed")
    if parser.conditions > max_criteria:
        # Guess: the code of too many conditions (the sheet's "another count limit").
        raise ZohoError(400, "LIMIT_EXCEEDED", "criteria limit exceeded", {"limit": max_criteria, "param": "criteria"})
    return predicate


class _Parser:
    def __init__(self, text: str, module: Module):
        self.text = text
        self.module = module
        self.pos = 0
        self.conditions = 0

    def expression(self) -> Predicate:
        terms = [self.group()]
        joins = []
        while self.text.startswith(("and(", "or("), self.pos):
            join = "and" if self.text.startswith("and", self.pos) else "or"
            self.pos += len(join)
            joins.append(join)
            terms.append(self.group())
        if len(set(joins)) > 1:
            # Zoho asks for explicit grouping when `and` and `or` are mixed at one level.
            raise invalid_query("mix of and/or without grouping")
        if joins and joins[0] == "or":
            return lambda row: any(term(row) for term in terms)
        return lambda row: all(term(row) for term in terms)

    def group(self) -> Predicate:
        if not self.text.startswith("(", self.pos):
            raise invalid_query("the criteria is not well formed")
        self.pos += 1
        inner = self.expression() if self.text.startswith("(", self.pos) else self.condition()
        if not self.text.startswith(")", self.pos):
            raise invalid_query("the criteria is not well formed")
        self.pos += 1
        return inner

    def condition(self) -> Predicate:
        self.conditions += 1
        field, _, rest = self.text[self.pos :].partition(":")
        operator, _, _ = rest.partition(":")
        self.pos += len(field) + len(operator) + 2
        values = self.values()
        name = self.module.field_named(field)
        if name is None:
            raise invalid_query("invalid field", api_name=field)
        spec = self.module.fields[name]
        allowed = _OPS_BY_TYPE.get(spec.data_type, _TEXT_OPS)
        if operator not in allowed:
            raise invalid_query("invalid operator found", api_name=name, operator=operator)
        if operator not in ("in", "not_in", "between") and len(values) != 1:
            values = [",".join(values)]
        if operator == "between" and len(values) != 2:
            raise invalid_query("between needs two values", api_name=name)
        keyed = [_key(spec.data_type, v, name) for v in values]
        return _compare(name, spec.data_type, operator, keyed)

    def values(self) -> list[str]:
        """Values up to the group's closing parenthesis: split at unescaped commas, escapes removed."""
        values, current = [], ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                current += self.text[self.pos + 1]
                self.pos += 2
                continue
            if char == ")":
                break
            if char == ",":
                values.append(current)
                current = ""
            else:
                current += char
            self.pos += 1
        return [*values, current]


def _key(data_type: str, value, name: str):
    """A comparable form of a value: numbers as Decimal, date-times as aware datetimes, text lower-cased."""
    if value is None:
        return None
    if data_type == "currency":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise invalid_query("invalid value for a number field", api_name=name) from None
    if data_type == "datetime":
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            raise invalid_query("invalid value for a datetime field", api_name=name) from None
    if isinstance(value, dict):
        return str(value.get("id"))
    return str(value).lower()


def _compare(name: str, data_type: str, operator: str, wanted: list) -> Predicate:
    def test(row: dict) -> bool:
        value = _key(data_type, row.get(name), name)
        if operator == "equals":
            return value == wanted[0]
        if operator == "not_equal":
            return value != wanted[0]
        if operator == "in":
            return value in wanted
        if operator == "not_in":
            return value not in wanted
        if value is None:
            return False
        if operator == "starts_with":
            return value.startswith(wanted[0])
        if operator == "between":
            return wanted[0] <= value <= wanted[1]
        return {
            "greater_than": value > wanted[0],
            "greater_equal": value >= wanted[0],
            "less_than": value < wanted[0],
            "less_equal": value <= wanted[0],
        }[operator]

    return test
