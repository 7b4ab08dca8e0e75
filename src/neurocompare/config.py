"""Project-wide settings: where the real datasets live.

There is exactly one data-root setting. It is resolved, in order, from

1. an explicit value passed by the caller (``--data-root`` on the command line),
2. the ``NEUROCOMPARE_DATA_ROOT`` environment variable,
3. ``../shared/data`` next to the current directory or next to the source checkout.

Tests and benchmarks read the real datasets only through :func:`data_root`.
"""

from __future__ import annotations

import os
from pathlib import Path

from neurocompare._errors import input_error

__all__ = ["DATA_ROOT_ENV", "data_root", "dataset_path"]

DATA_ROOT_ENV = "NEUROCOMPARE_DATA_ROOT"
_CHECKOUT = Path(__file__).resolve().parents[2]


def _candidates() -> list[Path]:
    return [Path.cwd() / ".." / "shared" / "data", _CHECKOUT / ".." / "shared" / "data"]


def data_root(explicit: str | Path | None = None) -> Path:
    """Return the folder holding the real datasets.

    Parameters
    ----------
    explicit : str or Path, optional
        A path given by the caller; wins over the environment and the defaults.

    Returns
    -------
    Path
        The resolved data root. It may not exist when nothing was configured; callers that
        need a particular dataset use :func:`dataset_path`, which checks.
    """
    if explicit is not None:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DATA_ROOT_ENV)
    if env:
        return Path(env).expanduser().resolve()
    for candidate in _candidates():
        if candidate.is_dir():
            return candidate.resolve()
    return _candidates()[0].resolve()


def dataset_path(folder: str, explicit_root: str | Path | None = None) -> Path:
    """Return ``<data root>/<folder>``, raising a clear error if it is missing.

    Parameters
    ----------
    folder : str
        Dataset folder name under the data root (e.g. ``"ssvep_exoskeleton"``).
    explicit_root : str or Path, optional
        Overrides the configured data root.
    """
    path = data_root(explicit_root) / folder
    if not path.is_dir():
        raise input_error(
            "data root",
            f"a folder {folder!r} under the data root",
            str(path),
            hint=f"Set {DATA_ROOT_ENV} or pass --data-root to the folder holding the datasets.",
        )
    return path
