"""Salesforce-shaped ids: a 3-character key prefix naming the object, a counter, and the 3-character case-safety
suffix that makes the 18-character form unique without regard to case. The 15-character form is accepted too."""

import string

_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX = string.ascii_uppercase + "012345"
_POD = "Sb"  # where a real id names its pod; constant here, so sandbox ids are recognisable


def record_id(prefix: str, number: int) -> str:
    body = ""
    while number:
        number, digit = divmod(number, 62)
        body = _ALPHABET[digit] + body
    return with_suffix(prefix + _POD + body.rjust(10, "0"))


def with_suffix(short: str) -> str:
    """The 18-character id of a 15-character one: each suffix character encodes which of 5 characters are upper case."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(short[start : start + 5]) if ch.isupper())
        suffix += _SUFFIX[bits]
    return short + suffix


def full_id(text: str) -> str:
    return with_suffix(text) if len(text) == 15 else text
