"""Project-wide settings: where the real datasets live.

There is exactly one data-root setting. It is resolved, in order, from

1. an explicit value passed by the caller,
2. the root a work unit carries, inside :func:`using_data_root` (a runner's worker, in this
   or another process or machine, reads the data root resolved where the run was planned),
3. the ``NEUROCOMPARE_DATA_ROOT`` environment variable (``--data-root`` on the command line
   sets it),
4. ``../shared/data`` next to the current directory or next to the source checkout.

Tests and benchmarks read the real datasets only through :func:`data_root`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from neurocompare._errors import input_error

__all__ = ["DATA_ROOT_ENV", "data_root", "dataset_path", "set_data_root", "using_data_root"]

DATA_ROOT_ENV = "NEUROCOMPARE_DATA_ROOT"
_CHECKOUT = Path(__file__).resolve().parents[2]
#: The root set by :func:`using_data_root`; a context variable, so each thread (a Dask worker
#: runs several units at once in threads) sees only the root of the unit it runs.
_UNIT_ROOT: ContextVar[Path | None] = ContextVar("neurocompare_unit_data_root", default=None)


@contextmanager
def using_data_root(root: str | Path | None) -> Iterator[None]:
    """Resolve the data root to ``root`` inside the block, in this thread only.

    A work unit runs inside it with the root resolved where the run was planned, so a worker
    started without ``--data-root`` or with another ``NEUROCOMPARE_DATA_ROOT`` reads the
    same folder as the planner; the setting ends with the block and never leaks into the
    next unit. None leaves the usual resolution.
    """
    token = _UNIT_ROOT.set(None if root is None else Path(root).expanduser().resolve())
    try:
        yield
    finally:
        _UNIT_ROOT.reset(token)


def set_data_root(path: str | Path | None) -> None:
    """Make ``path`` the data root of this process and of the workers it starts (the
    environment variable :func:`data_root` reads; what ``--data-root`` does); None changes
    nothing. A path that is not an existing folder is an error (``--data-root``), before
    anything is read."""
    if path is not None:
        resolved = Path(path).expanduser().resolve()
        if not resolved.is_dir():
            raise input_error("--data-root", "an existing folder (the data root holding the "
                              "datasets)", str(resolved))
        os.environ[DATA_ROOT_ENV] = str(resolved)


def _candidates() -> list[Path]:
    return [Path.cwd() / ".." / "shared" / "data", _CHECKOUT / ".." / "shared" / "data"]


def data_root(explicit: str | Path | None = None) -> Path:
    """Return the folder holding the real datasets.

    Parameters
    ----------
    explicit : str or Path, optional
        A path given by the caller; wins over a unit's root, the environment and the
        defaults.

    Returns
    -------
    Path
        The resolved data root. It may not exist when nothing was configured; callers that
        need a particular dataset use :func:`dataset_path`, which checks.
    """
    if explicit is not None:
        return Path(explicit).expanduser().resolve()
    unit_root = _UNIT_ROOT.get()
    if unit_root is not None:
        return unit_root
    env = os.environ.get(DATA_ROOT_ENV)
    if env:
        return Path(env).expanduser().resolve()
    for candidate in _candidates():
        if candidate.is_dir():
            return candidate.resolve()
    return _candidates()[0].resolve()


def dataset_path(folder: str, explicit_root: str | Path | None = None, *,
                 dataset: str = "") -> Path:
    """Return ``<data root>/<folder>``, raising a clear error if it is missing.

    Parameters
    ----------
    folder : str
        Dataset folder name under the data root (e.g. ``"ssvep_exoskeleton"``).
    explicit_root : str or Path, optional
        Overrides the configured data root.
    dataset : str
        Registry name of the dataset asking, named in the error with the way to give its
        folder directly (its ``root`` parameter).
    """
    path = data_root(explicit_root) / folder
    if not path.is_dir():
        hint = f"Set {DATA_ROOT_ENV} or pass --data-root to the folder holding the datasets"
        hint += f", or give the folder as -d \"{dataset}:root='...'\"." if dataset else "."
        raise input_error(
            f"{dataset}: data root" if dataset else "data root",
            f"a folder {folder!r} under the data root",
            str(path),
            hint=hint,
        )
    return path
