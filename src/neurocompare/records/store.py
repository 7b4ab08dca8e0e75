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

A file that is not readable Parquet (damaged on disk, truncated or emptied by hand or by a full
disk) is never taken as stored: reading the keys checks each file cheaply (its footer, and a
batch file's key column) and moves an unreadable one to ``<out>/results-quarantine/`` with a
warning, so the store stays usable and a resumed run computes its keys again; a file whose
footer reads but whose data does not is found and moved the same way when a query fails on it.

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
#: Keys of files already checked, with the (inode, size, mtime) they had then: a file
#: replaced by a rewrite of its key is checked again.
_CHECKED: dict[str, tuple[tuple[int, int, int], frozenset[str]]] = {}


def _file_keys(path: Path) -> frozenset[str] | None:
    """Keys held by the result file ``path`` (empty once it is gone), or None when it is not
    readable Parquet: its footer is read, and a batch file's ``key`` column."""
    try:
        stat = path.stat()
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        cached = _CHECKED.get(str(path))
        if cached is not None and cached[0] == signature:
            return cached[1]
        if path.stem.startswith(_BATCH):
            column = pq.read_table(path, columns=["key"]).column("key").to_pylist()
            keys = frozenset(column)
        else:
            pq.read_metadata(path)
            keys = frozenset([path.stem])
    except FileNotFoundError:  # moved aside by another process meanwhile
        return frozenset()
    except PermissionError as exc:  # readable by someone else: not damaged, not ours to move
        raise input_error(str(path), "a results file this user can read", str(exc)) from exc
    except (pa.ArrowException, OSError):
        return None
    _CHECKED[str(path)] = (signature, keys)
    return keys


def _unreadable(path: Path) -> bool:
    """Whether reading all of ``path`` fails (the deep check, run when a query failed)."""
    try:
        pq.read_table(path)
    except FileNotFoundError:
        return False
    except PermissionError:
        raise
    except (pa.ArrowException, OSError):
        return True
    return False


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

    @property
    def quarantine(self) -> Path:
        """Folder that unreadable files are moved to (``<folder>-quarantine``)."""
        return self.folder.with_name(self.folder.name + "-quarantine")

    def has(self, key: str) -> bool:
        """Whether result ``key`` is stored (alone or in a batch file) in a readable file."""
        if self.path(key).is_file() and key in self._checked(self.path(key)):
            return True
        return self.folder.is_dir() and any(
            key in self._checked(p) for p in sorted(self.folder.glob(f"{_BATCH}*.parquet")))

    def keys(self) -> set[str]:
        """All stored keys (of readable files; unreadable ones are quarantined)."""
        return set().union(*self.files().values())

    def files(self) -> dict[Path, frozenset[str]]:
        """Every readable result file with its keys; unreadable files are quarantined."""
        if not self.folder.is_dir():
            return {}
        found = {path: self._checked(path) for path in sorted(self.folder.glob("*.parquet"))}
        return {path: keys for path, keys in found.items() if keys}

    def _checked(self, path: Path) -> frozenset[str]:
        """Keys of ``path``; empty, after quarantining it, when it is not readable Parquet."""
        keys = _file_keys(path)
        if keys is None:
            self._quarantine(path)
            return frozenset()
        return keys

    def _quarantine(self, path: Path) -> None:
        """Move the unreadable ``path`` aside (never delete it) and say so."""
        target = self.quarantine / path.name
        try:
            self.quarantine.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target = self.quarantine / f"{path.stem}.{uuid.uuid4().hex[:8]}{path.suffix}"
            os.replace(path, target)
        except FileNotFoundError:  # another process moved it first
            return
        except OSError as exc:  # a read-only store: leave it, still never read it
            logger.warning("%s is not readable Parquet and could not be moved aside (%s); "
                           "its results are ignored", path, exc)
            return
        logger.warning("%s is not readable Parquet: moved to %s; its results will be "
                       "computed again by the next run", path, target)

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
        """Run DuckDB ``sql`` in which the view ``results`` holds every stored row.

        Only files that passed the check of :meth:`files` are read. If DuckDB still fails on
        one (a readable footer over damaged data), every file is read in full, the
        unreadable ones are quarantined and the query runs once more.
        """
        import duckdb  # imported here: writing results needs only pyarrow

        files = list(self.files())
        try:
            return self._query(files, sql)
        except duckdb.Error:
            damaged = [path for path in files if _unreadable(path)]
            if not damaged:
                raise
        for path in damaged:
            self._quarantine(path)
        return self._query([path for path in files if path not in damaged], sql)

    def _query(self, files: Sequence[Path], sql: str) -> pd.DataFrame:
        if not files:
            raise input_error("results folder", "stored results", f"no results in {self.folder}")
        import duckdb

        con = duckdb.connect()
        try:
            listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
            con.execute(f"CREATE VIEW results AS SELECT * FROM "
                        f"read_parquet([{listed}], union_by_name=true)")
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
