"""The results store: one Parquet file per (pipeline, fold) result, queried with DuckDB.

Layout::

    <out>/results/<key>.parquet     one file per finished (dataset, protocol, pipeline, fold, seed)

Each file is written to a temporary name and atomically renamed, so a killed run leaves
either a complete result or none, never a partial one, and parallel workers never write the
same file. A rerun with the same configuration finds the keys already present and skips
them; a changed pipeline parameter changes the key. Nothing is pickled: every column is a
plain number or string (JSON for nested values such as the confusion matrix).

Query it from Python (:meth:`ResultStore.table`, :meth:`ResultStore.query`) or from any DuckDB
client: ``SELECT * FROM read_parquet('<out>/results/*.parquet', union_by_name=true)``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from neurocompare._errors import input_error

__all__ = ["ResultStore"]

logger = logging.getLogger(__name__)


class ResultStore:
    """Tidy result rows under ``<root>/results``.

    Parameters
    ----------
    root : str or Path
        Output folder of a run (created on first write).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def folder(self) -> Path:
        """Folder holding the Parquet files."""
        return self.root / "results"

    def path(self, key: str) -> Path:
        """File of the result ``key``."""
        return self.folder / f"{key}.parquet"

    def has(self, key: str) -> bool:
        """Whether result ``key`` is stored."""
        return self.path(key).is_file()

    def keys(self) -> set[str]:
        """All stored keys."""
        if not self.folder.is_dir():
            return set()
        return {p.stem for p in self.folder.glob("*.parquet")}

    def write(self, key: str, rows: Sequence[Mapping[str, Any]]) -> Path:
        """Atomically store ``rows`` under ``key`` (replacing an older file of that key).

        Parameters
        ----------
        key : str
            Result key (see :func:`neurocompare.records.keys.unit_key`).
        rows : sequence of mapping
            Flat rows of numbers, strings, booleans or None.
        """
        if not rows:
            raise input_error("rows", "at least one result row", rows)
        self.folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist([dict(r) for r in rows])
        tmp = self.folder / f".{key}.{uuid.uuid4().hex}.tmp"
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, self.path(key))
        finally:
            tmp.unlink(missing_ok=True)
        return self.path(key)

    def clean_partial(self) -> int:
        """Remove temporary files left by a killed run; return how many were removed."""
        if not self.folder.is_dir():
            return 0
        stale = list(self.folder.glob(".*.tmp"))
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)

    def query(self, sql: str) -> pd.DataFrame:
        """Run DuckDB ``sql`` in which the view ``results`` holds every stored row."""
        if not self.keys():
            raise input_error("results folder", "stored results", f"no results in {self.folder}")
        import duckdb  # imported here: writing results needs only pyarrow

        con = duckdb.connect()
        try:
            pattern = str(self.folder / "*.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW results AS SELECT * FROM "
                        f"read_parquet('{pattern}', union_by_name=true)")
            return con.execute(sql).df()
        finally:
            con.close()

    def table(self) -> pd.DataFrame:
        """Every stored row, ordered by dataset, pipeline, subject, session and fold."""
        return self.query("SELECT * FROM results ORDER BY dataset, pipeline, subject, session, "
                          "fold")

    def export(self, path: str | Path) -> Path:
        """Write all rows into one Parquet file (for sharing) and return its path."""
        path = Path(path)
        self.table().to_parquet(path, index=False)
        return path
