"""Parse ``"name"`` or ``"name:key=value,key=value"`` choices given on the command line."""

from __future__ import annotations

import ast
from typing import Any

from neurocompare._errors import input_error

__all__ = ["literal", "parse_choice", "split_top_level"]


def literal(text: str) -> Any:
    """A Python literal (number, string, tuple, ...) if ``text`` is one, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


_OPEN, _CLOSE = "([{", ")]}"


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split ``text`` at ``separator`` outside brackets and quotes.

    Examples
    --------
    >>> split_top_level("a=(1,2),b='x,y',c=3")
    ['a=(1,2)', "b='x,y'", 'c=3']
    """
    parts, depth, quote, start = [], 0, "", 0
    for position, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(depth - 1, 0)
        elif char == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    parts.append(text[start:])
    return parts


def parse_choice(spec: str, what: str = "choice") -> tuple[str, dict[str, Any]]:
    """Split ``"name:key=value,..."`` into the name and a dict of literal values.

    Commas inside brackets or quotes belong to the value, so tuples, lists and dicts can be
    given (``"csp-lda:lda__priors=(0.5,0.5)"``).

    Examples
    --------
    >>> parse_choice("bonn-epilepsy:sets='ABCDE'")
    ('bonn-epilepsy', {'sets': 'ABCDE'})
    >>> parse_choice("smiles-union:sources=('davis','kiba'),max_length=80")
    ('smiles-union', {'sources': ('davis', 'kiba'), 'max_length': 80})
    """
    name, _, rest = spec.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in split_top_level(rest))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise input_error(what, "name:key=value,key=value", spec)
        params[key.strip()] = literal(value.strip())
    return name.strip(), params
