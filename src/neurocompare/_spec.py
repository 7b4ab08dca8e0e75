"""Parse ``"name"`` or ``"name:key=value,key=value"`` choices given on the command line.

A value is a Python literal (number, string, tuple, list, dict, ``None``, ``True``), or, when
it is not one, plain text (``net__finetune=last``). Text that looks like a literal but is not
one -- a quote in it, a bracket left open or closed twice, a value starting with a bracket --
is an error naming its key, not a string passed on (``lda__solver='lsqr`` would otherwise
reach the estimator as the 7 characters ``'lsqr``). Nothing is ever evaluated.
"""

from __future__ import annotations

import ast
from typing import Any

from neurocompare._errors import input_error

__all__ = ["literal", "parse_choice", "parse_value", "split_top_level"]


def literal(text: str) -> Any:
    """A Python literal (number, string, tuple, ...) if ``text`` is one, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        # TypeError: an unhashable dict key ({[1]: 2}); RecursionError/MemoryError: deep
        # nesting
        return text


_OPEN, _CLOSE, _QUOTES = "([{", ")]}", "'\""


def _broken(text: str) -> bool:
    """Whether ``text``, which is not a literal, looks like a mistyped one."""
    if any(quote in text for quote in _QUOTES) or text[:1] in _OPEN:
        return True
    depth = 0
    for char in text:
        depth += (char in _OPEN) - (char in _CLOSE)
        if depth < 0:
            return True
    return depth != 0


def parse_value(name: str, text: str) -> Any:
    """The value of parameter ``name`` written as ``text``: a Python literal or plain text.

    Raises
    ------
    InputError
        ``text`` is not a literal but looks like a mistyped one (a quote in it, unbalanced
        brackets, or a leading bracket).

    Examples
    --------
    >>> parse_value("n_splits", "3"), parse_value("finetune", "last")
    (3, 'last')
    """
    value = literal(text)
    if isinstance(value, str) and value == text and _broken(text):
        raise input_error(name, "a Python literal (quote text as key='text', close every "
                          "bracket and quote) or plain text without quotes or brackets", text)
    return value


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split ``text`` at ``separator`` outside brackets and quotes.

    A backslash inside quotes escapes the next character (``'it\\'s'``), as in Python.

    Examples
    --------
    >>> split_top_level("a=(1,2),b='x,y',c=3")
    ['a=(1,2)', "b='x,y'", 'c=3']
    """
    parts, depth, quote, escaped, start = [], 0, "", False, 0
    for position, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in _QUOTES:
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
    given (``"csp-lda:lda__priors=(0.5,0.5)"``). Each value goes through
    :func:`parse_value`; a key given twice is an error.

    Examples
    --------
    >>> parse_choice("bonn-epilepsy:sets='ABCDE'")
    ('bonn-epilepsy', {'sets': 'ABCDE'})
    >>> parse_choice("smiles-union:sources=('davis','kiba'),max_length=80")
    ('smiles-union', {'sources': ('davis', 'kiba'), 'max_length': 80})
    """
    if not isinstance(spec, str):
        raise input_error(what, "a name or name:key=value,key=value (a string)", spec)
    name, _, rest = spec.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in split_top_level(rest))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise input_error(what, "name:key=value,key=value", spec)
        if key in params:
            raise input_error(f"{what} {name.strip()!r}", "each parameter once", key)
        params[key] = parse_value(f"{what} {name.strip()!r} parameter {key}", value.strip())
    return name.strip(), params
