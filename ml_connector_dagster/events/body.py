"""What the receiver takes for a body: JSON as RFC 8259 defines it, sent as `application/json`, in UTF-8.

Python's json module is laxer than the RFC in ways that matter to a receiver on the internet: it takes the constants
NaN, Infinity and -Infinity, and turns a number too large for a double (1e400) into infinity, none of which a JSON
store can keep; and it recurses once per level of nesting, so 200 KB of `[` ends in a RecursionError. So the
constants and such numbers are refused while parsing, and the nesting is measured before parsing starts."""

import json
import math
import re
from itertools import accumulate

# Every vendor's envelope nests four levels at most (Zoho's affected_fields: a list of maps of lists), and this is
# far below the depth at which Python's parser, pydantic or the ledger's serializer would run out of stack.
MAX_DEPTH = 32
MEDIA_TYPE = "application/json"

# A string, to its closing quote or to the end of an unterminated one: the optional closing quote means every attempt
# matches at once, so removing strings takes linear time whatever the body. Quotes, backslashes and brackets are
# ASCII, which no byte of a multi-byte UTF-8 character can be taken for, so the bytes can be scanned as they came.
_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class NotJson(ValueError):
    """The body is not JSON as RFC 8259 defines it: the sender gets 400 with this message."""


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type names exactly `application/json`; parameters are allowed and, as RFC 8259 §11 says of
    `charset`, change nothing."""
    media_type = (content_type or "").partition(";")[0]
    return media_type.strip().lower() == MEDIA_TYPE


def parse(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8")  # RFC 8259 §8.1: JSON exchanged between systems is UTF-8
    except UnicodeDecodeError:
        raise NotJson("body is not UTF-8") from None
    if _depth(raw) > MAX_DEPTH:
        raise NotJson(f"body nests arrays and objects more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except NotJson:
        raise
    except ValueError as error:
        raise NotJson(f"body is not JSON: {error}") from None


def _depth(raw: bytes) -> int:
    """How deep arrays and objects nest, counting the brackets outside strings (at C speed: this runs on the event
    loop)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _no_constant(name: str) -> float:
    raise NotJson(f"body is not JSON: {name} is not a JSON value (RFC 8259 §6)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJson(f"body holds a number beyond the range of a double: {text[:40]}")
    return value
