"""One helper for user-input errors.

Every error about user input names the parameter (or file), what was expected and what was
received. Code raises through :func:`input_error` or the ``check_*`` helpers, never ``assert``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["InputError", "check_option", "check_path", "input_error", "readable"]


class InputError(ValueError):
    """Bad user input: a parameter, a file or a configuration entry.

    Subclasses :class:`ValueError` so that scikit-learn's estimator checks, which expect a
    ``ValueError`` for invalid parameters, accept it.
    """


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def input_error(name: str, expected: str, received: Any, *, hint: str = "") -> InputError:
    """Build the project's standard input error.

    Parameters
    ----------
    name : str
        Parameter, file or configuration key at fault (e.g. ``"n_splits"`` or a path).
    expected : str
        What was expected, in words.
    received : Any
        What was received; shown with ``repr`` and truncated.
    hint : str
        Optional advice on how to fix it.

    Returns
    -------
    InputError
        The error, for the caller to ``raise``.
    """
    message = f"{name}: expected {expected}, got {_short(received)}."
    if hint:
        message += f" {hint}"
    return InputError(message)


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise an :class:`InputError`.

    Parameters
    ----------
    name : str
        Parameter name shown in the message.
    value : Any
        The value received.
    allowed : iterable
        The valid values, listed in the message.
    """
    allowed = list(allowed)
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise input_error(name, f"one of {listed}", value)
    return value


def check_path(name: str, path: str | Path, *, kind: str = "file") -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` after checking it exists and is not empty.

    Parameters
    ----------
    name : str
        What the path is for, shown in the message.
    path : str or Path
        The path to check.
    kind : {"file", "dir"}
        Whether a file or a directory is expected.
    """
    path = Path(path).expanduser()
    if kind == "dir":
        if not path.is_dir():
            raise input_error(name, "an existing directory", str(path))
        return path
    if not path.is_file():
        raise input_error(name, "an existing file", str(path))
    if path.stat().st_size == 0:
        raise input_error(name, "a non-empty file", f"{path} (0 bytes)")
    return path


@contextmanager
def readable(path: str | Path, expected: str) -> Iterator[None]:
    """Turn a reader's failure on a damaged or mis-typed file into the project's error.

    Wrap the call that parses ``path`` (``pandas.read_csv``, ``read_parquet``, ``np.load``):
    undecodable bytes (``UnicodeDecodeError``), a malformed table (pandas' ``ParserError``),
    a damaged Parquet file (pyarrow's ``ArrowInvalid``), a truncated archive
    (``zipfile.BadZipFile``, ``EOFError``) or an unreadable file (``OSError``) become one
    :class:`InputError` naming the file; an :class:`InputError` raised inside passes as is.

    Parameters
    ----------
    path : str or Path
        The file being read.
    expected : str
        What it should be, in words (e.g. ``"a CSV table"``).
    """
    try:
        yield
    except InputError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"
        raise input_error(str(path), expected, reason) from exc
