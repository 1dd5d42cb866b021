"""Splitting a query string (OData `$filter`, SOQL) into tokens with one regular expression of named groups."""

import re


def tokens(pattern: re.Pattern, text: str) -> list[tuple[str, str]] | int:
    """[(group name, text)] of every token, or the position where no token matches."""
    found, position = [], 0
    while position < len(text) and text[position:].strip():
        match = pattern.match(text, position)
        if not match or match.end() == position:
            return position
        found.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return found
