"""OData literals, written once for every OData service the connector or an emulator speaks (SAP Gateway v2,
Dataverse and F&O v4): in a `$filter`, a key predicate or a bind path a string is quoted and a single quote inside
it doubled (OData ABNF, `SQUOTE-in-string`).

A key predicate placed in a URL (a request's path, a `$batch` request line, an `@odata.id` or `@odata.bind` inside
a body) is percent-encoded by `key_path`: the service decodes the path before it reads the key, so a `%41` sent as
it is arrives as `A`, a `#` or `?` ends the path, a space or a non-ASCII character makes the request line invalid.
Query options are not encoded here: httpx encodes `params`."""

from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import quote

# In a key's URL form: the quotes that delimit a string literal stay, as the OData ABNF writes them.
_UNENCODED = "'"


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


def key_path(entity_set: str, key: Mapping[str, object]) -> str:
    """`accounts(mlc_externalid='a%20b')`: the entity set and its key predicate as they go into a URL, each value's
    literal percent-encoded as UTF-8 except the quotes that delimit it (RFC 3986 unreserved characters stay)."""
    predicate = ",".join(f"{name}={quote(literal(value), safe=_UNENCODED)}" for name, value in key.items())
    return f"{entity_set}({predicate})"
