"""Storage of the generative comparison: one row per (seed, generator), with its samples.

Layout under a run's ``<out>/generation`` folder:

* ``results/<key>.parquet`` -- the unit's row (a :class:`~neurocompare.records.store.
  ResultStore`: atomic writes, resume by key);
* ``samples/<key>.parquet`` -- the drawn strings, their canonical form and properties
  (written before the row, so a stored row always has its samples);
* ``reference/<corpus_key>-<seed>.parquet`` -- the test part's properties for that seed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from neurocompare.records.store import ResultStore

__all__ = ["GenerationStore"]


class _RowStore(ResultStore):
    """The rows, ordered by generator and seed."""

    ORDER_BY = ("corpus", "generator", "seed", "key")


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    frame.to_parquet(partial)
    os.replace(partial, path)


class GenerationStore:
    """Rows, samples and reference properties of generative runs under ``root``.

    Parameters
    ----------
    root : str or Path
        The run's ``generation`` folder.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.rows = _RowStore(self.root)

    def keys(self) -> set[str]:
        """Stored result keys."""
        return self.rows.keys()

    def write(self, key: str, row: Mapping[str, Any], samples: pd.DataFrame) -> None:
        """Store one unit: its samples first, then its row."""
        _atomic_parquet(samples, self.root / "samples" / f"{key}.parquet")
        self.rows.write(key, [row])

    def table(self) -> pd.DataFrame:
        """Every stored row (empty when none)."""
        return self.rows.table() if self.rows.folder.is_dir() else pd.DataFrame()

    def samples(self, key: str) -> pd.DataFrame:
        """The samples of result ``key``."""
        return pd.read_parquet(self.root / "samples" / f"{key}.parquet")

    def reference_path(self, corpus_key: str, seed: int) -> Path:
        """File of the test part's properties for (corpus, seed)."""
        return self.root / "reference" / f"{corpus_key}-{int(seed)}.parquet"

    def write_reference(self, corpus_key: str, seed: int, frame: pd.DataFrame) -> None:
        """Store the test part's properties for (corpus, seed)."""
        _atomic_parquet(frame, self.reference_path(corpus_key, seed))

    def reference(self, corpus_key: str, seed: int) -> pd.DataFrame:
        """The test part's properties for (corpus, seed)."""
        return pd.read_parquet(self.reference_path(corpus_key, seed))
