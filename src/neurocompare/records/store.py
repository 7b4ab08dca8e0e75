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

At the end of a run :meth:`ResultStore.compact` merges the files into one ``batch-<id>``
file, written whole before the old files are removed. A key's rows are always written together
in one file, so when a key is in several files (a compaction killed before removing the old
files, two runs computing the same key at once) only the newest file's rows of it are read:
:meth:`ResultStore.query` gives one result per key whatever the files hold (a plain DuckDB
client reading ``*.parquet`` sees such duplicates until the next compaction).

Query it from Python (:meth:`ResultStore.table`, :meth:`ResultStore.query`) or from any DuckDB
client: ``SELECT * FROM read_parquet('<out>/results/*.parquet', union_by_name=true)``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
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


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


def _owners(files: Mapping[Path, frozenset[str]]) -> dict[Path, frozenset[str]]:
    """For each file, the keys whose rows are read from it: every key's rows come from one
    file, the newest holding it (ties by name); files left with no key are not read."""
    owner: dict[str, Path] = {}
    for path in sorted(files, key=lambda p: (-_mtime(p), p.name)):
        for key in files[path]:
            owner.setdefault(key, path)
    owned = {path: frozenset(k for k in keys if owner[k] == path) for path, keys in files.items()}
    return {path: keys for path, keys in owned.items() if keys}


def _sql_path(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


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
        return self._query(sql)[0]

    def _query(self, sql: str) -> tuple[pd.DataFrame, dict[Path, frozenset[str]]]:
        """:meth:`query`, also returning the files it read with their keys. A file removed
        meanwhile (by a compaction in another process) makes it list the files again."""
        import duckdb  # imported here: writing results needs only pyarrow

        failures = 0
        while True:
            files = self.files()
            try:
                return self._read(files, sql), files
            except duckdb.Error:
                failures += 1
                damaged = [path for path in files if _unreadable(path)]
                if failures == 3 or (not damaged and set(self.files()) == set(files)):
                    raise
            for path in damaged:
                self._quarantine(path)

    def _read(self, files: Mapping[Path, frozenset[str]], sql: str) -> pd.DataFrame:
        """Run ``sql`` over ``files`` with the views ``results`` (one key's rows from one
        file, see :func:`_owners`) and ``results_files`` (the same with ``filename``)."""
        if not files:
            raise input_error("results folder", "stored results", f"no results in {self.folder}")
        import duckdb

        owned = _owners(files)
        con = duckdb.connect()
        try:
            listed = ", ".join(_sql_path(path) for path in sorted(owned))
            rows = f"read_parquet([{listed}], union_by_name=true, filename=true)"
            dropped = [(str(path), key) for path, keys in owned.items()
                       for key in files[path] - keys]
            if dropped:  # a file sharing keys with a newer one: skip those keys' rows in it
                con.register("dropped", pd.DataFrame(dropped, columns=["filename", "key"]))
                rows = (f"(SELECT r.* FROM {rows} AS r ANTI JOIN dropped AS d "
                        f"ON r.filename = d.filename AND r.key = d.key)")
            con.execute(f"CREATE VIEW results_files AS SELECT * FROM {rows}")
            con.execute("CREATE VIEW results AS SELECT * EXCLUDE (filename) FROM results_files")
            return con.execute(sql).df()
        finally:
            con.close()

    def values(self, column: str, keys: Iterable[str]) -> dict[str, Any]:
        """Key -> ``column`` of the stored results ``keys`` that hold a value in it, read from
        the files holding them only."""
        wanted, out = set(keys), {}
        for path, owned in _owners(self.files()).items():
            if not wanted & owned:
                continue
            try:
                names = pq.read_schema(path).names
                if column not in names:
                    continue
                table = pq.read_table(path, columns=[c for c in ("key", column) if c in names])
            except FileNotFoundError:
                continue
            values = table.column(column).to_pylist()
            found = table.column("key").to_pylist() if "key" in names else [path.stem] * len(values)
            out |= {k: v for k, v in zip(found, values, strict=True) if k in wanted & owned}
        return {k: v for k, v in out.items() if v is not None}

    def compact(self) -> Path | None:
        """Merge every result file into one ``batch-<id>.parquet``, one row set per key; return
        it, or None when there were fewer than two files.

        The new file is written whole (a temporary name, then an atomic rename) before the
        files it merges are removed, so a run killed in between loses nothing and shows no
        duplicate: a key found in several files is read from the newest only. Files written
        meanwhile by another process are left alone. Rows of a ``<key>.parquet`` without a
        ``key`` column get it from the file name."""
        files = self.files()
        if len(files) < 2:
            return None
        present = set().union(*(pq.read_schema(path).names for path in files))  # no query
        order = ", ".join(f'"{c}"' for c in self.ORDER_BY if c in present)
        stem = r"regexp_extract(filename, '([^/\\]+)\.parquet$', 1)"
        select = (f"* EXCLUDE (filename) REPLACE (coalesce(key, {stem}) AS key)"
                  if "key" in present else f"* EXCLUDE (filename), {stem} AS key")
        target = self.folder / f"{_BATCH}{uuid.uuid4().hex}.parquet"
        tmp = self.folder / f".{target.stem}.tmp"
        try:
            _, merged = self._query(f"COPY (SELECT {select} FROM results_files"
                                    f"{' ORDER BY ' + order if order else ''}) "
                                    f"TO {_sql_path(tmp)} (FORMAT PARQUET)")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        for path in merged:
            path.unlink(missing_ok=True)
            _CHECKED.pop(str(path), None)
        logger.info("compacted %d result files into %s", len(merged), target.name)
        return target

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
