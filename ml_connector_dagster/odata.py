"""OData literals, written once for every OData service the connector or an emulator speaks (SAP Gateway v2,
Dataverse and F&O v4): in a `$filter`, a key predicate or a bind path a string is quoted and a single quote inside
it doubled (OData ABNF, `SQUOTE-in-string`). Percent-encoding the result for a URL is the caller's business."""

from collections.abc import Mapping
from decimal import Decimal


def literal(value: object) -> str:
    """A value as an OData literal: a string quoted with its quotes doubled; numbers, booleans and null as OData
    writes them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def key_predicate(key: Mapping[str, object]) -> str:
    """A compound key as it stands between an entity set's parentheses: `a='x',b='y'`."""
    return ",".join(f"{name}={literal(value)}" for name, value in key.items())
