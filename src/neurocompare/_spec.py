"""Parse ``"name"`` or ``"name:key=value,key=value"`` choices given on the command line."""

from __future__ import annotations

import ast
from typing import Any

from neurocompare._errors import input_error

__all__ = ["literal", "parse_choice"]


def literal(text: str) -> Any:
    """A Python literal (number, string, tuple, ...) if ``text`` is one, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_choice(spec: str, what: str = "choice") -> tuple[str, dict[str, Any]]:
    """Split ``"name:key=value,..."`` into the name and a dict of literal values.

    Examples
    --------
    >>> parse_choice("bonn-epilepsy:sets='ABCDE'")
    ('bonn-epilepsy', {'sets': 'ABCDE'})
    """
    name, _, rest = spec.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise input_error(what, "name:key=value,key=value", spec)
        params[key.strip()] = literal(value.strip())
    return name.strip(), params
