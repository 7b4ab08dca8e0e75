"""The results store: Parquet files of (pipeline, fold) results, queried with DuckDB.

Layout::

    <out>/results/<key>.parquet        one finished (dataset, protocol, pipeline, fold, seed)
    <out>/results/batch-<id>.parquet   several results written together (column ``key``)

Each file is written to a temporary name and atomically renamed, so a killed run leaves
either a complete file or none, never a partial one, and parallel workers never write the
same file. A rerun with the same configuration finds the keys already present and skips
them; a changed pipeline parameter changes the key. Results that take milliseconds are
gathered by a :class:`ResultBuffer` and written together at most every
:data:`FLUSH_S` seconds (a Parquet file costs about as much as fitting such a fold); slower
results are written one by one as soon as they are done. Nothing is pickled: every column is a
plain number or string (JSON for nested values such as the confusion matrix).

Query it from Python (:meth:`ResultStore.table`, :meth:`ResultStore.query`) or from any DuckDB
client: ``SELECT * FROM read_parquet('<out>/results/*.parquet', union_by_name=true)``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from neurocompare._errors import input_error

__all__ = ["FLUSH_S", "ResultBuffer", "ResultStore"]

logger = logging.getLogger(__name__)

#: Seconds a :class:`ResultBuffer` may hold finished results before writing them: what a run
#: killed without warning can lose at most.
FLUSH_S = 2.0
_BATCH = "batch-"
#: Keys of batch files already read (files are written once under a unique name).
_BATCH_KEYS: dict[str, frozenset[str]] = {}


def _batch_keys(path: Path) -> frozenset[str]:
    keys = _BATCH_KEYS.get(str(path))
    if keys is None:
        column = pq.read_table(path, columns=["key"]).column("key").to_pylist()
        keys = _BATCH_KEYS[str(path)] = frozenset(column)
    return keys


class ResultStore:
    """Tidy result rows under ``<root>/results``.

    Parameters
    ----------
    root : str or Path
        Output folder of a run (created on first write).
    """

    #: Columns that order :meth:`table` (those present); the last ones make the order complete
    #: (one result row per key).
    ORDER_BY: tuple[str, ...] = ("dataset", "pipeline", "subject", "session", "fold", "key")

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
        """Whether result ``key`` is stored (alone or in a batch file)."""
        if self.path(key).is_file():
            return True
        return self.folder.is_dir() and any(
            key in _batch_keys(p) for p in self.folder.glob(f"{_BATCH}*.parquet"))

    def keys(self) -> set[str]:
        """All stored keys."""
        if not self.folder.is_dir():
            return set()
        keys: set[str] = set()
        for path in self.folder.glob("*.parquet"):
            if path.stem.startswith(_BATCH):
                keys |= _batch_keys(path)
            else:
                keys.add(path.stem)
        return keys

    def write(self, key: str, rows: Sequence[Mapping[str, Any]]) -> Path:
        """Atomically store ``rows`` under ``key`` (replacing an older ``<key>.parquet``; a
        key already inside a batch file is not looked for: the runner never rewrites keys).

        Parameters
        ----------
        key : str
            Result key (see :func:`neurocompare.records.keys.unit_key`).
        rows : sequence of mapping
            Flat rows of numbers, strings, booleans or None.
        """
        if not rows:
            raise input_error("rows", "at least one result row", rows)
        return self._write(self.path(key), rows)

    def write_many(self, rows: Sequence[Mapping[str, Any]]) -> Path:
        """Atomically store several results, one row each, keyed by their ``key`` column.

        One row is stored as :meth:`write` does; more go into one ``batch-<id>.parquet``.
        """
        if not rows or any("key" not in r for r in rows):
            raise input_error("rows", "result rows that each have a 'key'", rows)
        if len(rows) == 1:
            return self.write(rows[0]["key"], rows)
        return self._write(self.folder / f"{_BATCH}{uuid.uuid4().hex}.parquet", rows)

    def _write(self, path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        # from_pylist takes its columns from the first row only: name every column any row
        # has (deep rows carry training columns that traditional rows sharing a batch lack)
        columns = list(dict.fromkeys(k for r in rows for k in r))
        table = pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])
        tmp = self.folder / f".{path.stem}.{uuid.uuid4().hex}.tmp"
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

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
        """Every stored row, in the complete order of :attr:`ORDER_BY` (the same order however
        the rows are spread over files, so everything computed from the table is repeatable)."""
        present = set(self.query("SELECT * FROM results LIMIT 0").columns)
        order = [f'"{c}"' for c in self.ORDER_BY if c in present]
        clause = f" ORDER BY {', '.join(order)}" if order else ""
        return self.query(f"SELECT * FROM results{clause}")

    def export(self, path: str | Path) -> Path:
        """Write all rows into one Parquet file (for sharing) and return its path."""
        path = Path(path)
        self.table().to_parquet(path, index=False)
        return path


class ResultBuffer:
    """Finished result rows on their way into a :class:`ResultStore`.

    :meth:`add` writes the rows gathered so far once ``flush_s`` seconds have passed since
    the last write, so a result that took longer than that is stored at once and
    millisecond results share a file. Use it as a context manager: leaving the block (also
    through an exception) writes what is left.

    Parameters
    ----------
    store : ResultStore
    flush_s : float
        Longest time a finished result waits (0: write every result alone).
    """

    def __init__(self, store: ResultStore, flush_s: float = FLUSH_S):
        self.store = store
        self.flush_s = flush_s
        self.rows: list[Mapping[str, Any]] = []
        self._last = time.monotonic()

    def add(self, row: Mapping[str, Any]) -> None:
        """Queue one result row (with its ``key``); write the queue when it is due."""
        self.rows.append(row)
        if time.monotonic() - self._last >= self.flush_s:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows now."""
        if self.rows:
            self.store.write_many(self.rows)
            self.rows = []
        self._last = time.monotonic()

    def __enter__(self) -> ResultBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
