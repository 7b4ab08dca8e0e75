"""What a work unit checks about the worker that runs it: the run's output folder and data.

A Dask worker is another process, often on another machine, started with its own working
folder and environment. Everything a unit needs from the planning machine therefore travels
inside it, resolved there (:func:`stamp`), and the worker checks it before any work:

* the **data root** (``--data-root``, ``NEUROCOMPARE_DATA_ROOT``) the planner resolved; the
  worker reads the data under it (:func:`neurocompare.config.using_data_root`), whatever its
  own environment says;
* the **data digest**: one SHA-256 over the names, sizes and contents of the files the unit
  reads (:func:`~neurocompare.records.manifest.files_digest`). The worker recomputes it from
  the files it is about to load and refuses the unit when it differs, so a worker that sees
  other files under the same path never stores their results under this run's keys; each
  result row keeps it (column ``data_sha256``), and a rerun whose files differ from those
  of the stored results it would resume is refused too (:func:`check_stored`);
* the **output folder**: planning writes a random id into ``<out>/.neurocompare-id`` once;
  a worker that does not find that id at the same absolute path (another machine without
  the shared folder, a relative path resolved elsewhere) refuses the unit instead of storing
  results where the planner never looks.

Before a Dask run sends any unit, :func:`check_workers` asks every connected worker the
same questions and stops the run with one error naming the folder and the worker.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import uuid
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from neurocompare._errors import input_error
from neurocompare.config import data_root
from neurocompare.data.base import Dataset
from neurocompare.data.registry import make_dataset
from neurocompare.records.manifest import files_digest
from neurocompare.records.store import ResultStore

__all__ = ["ID_FILE", "check_stored", "check_unit", "check_workers", "folder_id", "stamp",
           "unit_files", "worker_view"]

logger = logging.getLogger(__name__)

#: File in a run's output folder holding its random id.
ID_FILE = ".neurocompare-id"

#: A :class:`~neurocompare.runner.units.WorkUnit` (not imported: ``units`` imports this).
Unit = Any


def folder_id(out: str | Path) -> str:
    """The id of the output folder ``out``, created on first use (atomically: concurrent
    runs agree on one)."""
    path = Path(out) / ID_FILE
    if not path.is_file():
        tmp = path.with_name(f".{ID_FILE}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(uuid.uuid4().hex)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def unit_files(dataset: Dataset, subject: Any, subjects: Sequence[Any] | None) -> list[Path]:
    """The files a unit reads (as :func:`neurocompare.data.cache.load_unit` loads them):
    ``subject``'s, or, for a whole-dataset unit (``subject`` None), those of ``subjects``
    or of every subject (all of a ``loading_unit = "dataset"`` dataset, read whole)."""
    if subject is not None and subjects is None:
        names = [subject]
    elif subjects is None or dataset.loading_unit == "dataset":
        names = dataset.subjects()
    else:
        names = list(subjects)
    return [path for name in names for path in dataset.files(name)]


def _unit_files(unit: Unit, dataset: Dataset) -> list[Path]:
    return unit_files(dataset, unit.subject if unit.fold_index is None else None,
                      unit.subjects)


def stamp(units: Sequence[Unit]) -> list[Unit]:
    """``units`` with what their workers check: the data root resolved here, the digest of
    each unit's files, and the output folder's id (:func:`folder_id`)."""
    if not units:
        return []
    root, out_id = str(data_root()), folder_id(units[0].out)
    datasets: dict[tuple[str, int], Dataset] = {}
    stamped = []
    for unit in units:  # the units of one dataset share its parameters (which may hold arrays)
        ident = (unit.dataset, id(unit.dataset_params))
        if ident not in datasets:
            datasets[ident] = make_dataset(unit.dataset, **dict(unit.dataset_params))
        digest = files_digest(_unit_files(unit, datasets[ident]))
        stamped.append(dataclasses.replace(unit, data_root=root, data_sha256=digest,
                                           out_id=out_id))
    return stamped


def _folder_problem(out: str, out_id: str | None) -> str | None:
    """What is wrong with the output folder ``out`` as seen here (None: it is the run's)."""
    if out_id is None:
        return None
    try:
        found = (Path(out) / ID_FILE).read_text().strip()
    except OSError:
        return f"sees no output folder there (no {ID_FILE})"
    if found != out_id:
        return f"sees another folder there ({ID_FILE} holds {found!r}, not {out_id!r})"
    return None


def check_unit(unit: Unit, dataset: Dataset) -> None:
    """Refuse ``unit`` here unless this worker sees the run's output folder and the same
    data files as the planner (see the module docstring)."""
    problem = _folder_problem(unit.out, unit.out_id)
    if problem:
        raise input_error("out", f"the run's output folder {unit.out} on every worker",
                          f"{platform.node()} {problem}",
                          hint="Workers must see the output folder at the same absolute path "
                               "(a shared filesystem).")
    if unit.data_sha256 is None:
        return
    try:
        found = files_digest(_unit_files(unit, dataset))
    except OSError as exc:
        found = f"unreadable files ({exc})"
    if found != unit.data_sha256:
        raise input_error(f"{unit.label}: data files",
                          f"the files the run was planned with (SHA-256 "
                          f"{unit.data_sha256[:16]}...) under {unit.data_root}",
                          f"{platform.node()} read {(found or 'no files')[:60]}",
                          hint="Every worker must see the same data at the same path.")


def check_stored(unit: Unit, store: ResultStore, keys: Collection[str]) -> None:
    """Refuse to resume ``unit`` over stored results ``keys`` computed from other files
    (their ``data_sha256`` differs from the unit's; rows stored before the column existed
    have none and pass)."""
    if unit.data_sha256 is None or not keys:
        return
    other = {digest for digest in store.values("data_sha256", keys).values()
             if digest != unit.data_sha256}
    if other:
        raise input_error(f"{unit.label}: stored results in {unit.out}",
                          f"results of the files this run reads (SHA-256 "
                          f"{unit.data_sha256[:16]}...)",
                          f"results of other files (SHA-256 {sorted(other)[0][:16]}...)",
                          hint="The data changed since they were computed: use another "
                               "output folder, or move the old results away.")


def worker_view(out: str, out_id: str | None, roots: Sequence[str]) -> list[str]:
    """Run on each Dask worker by :func:`check_workers`: what this worker fails to see."""
    problems = []
    folder = _folder_problem(out, out_id)
    if folder:
        problems.append(folder)
    problems += [f"sees no data root {root}" for root in roots if not Path(root).is_dir()]
    return [f"{platform.node()} {problem}" for problem in problems]


def check_workers(client: Any, units: Sequence[Unit]) -> None:
    """Before a Dask run: check that every connected worker sees the run's output folder
    and data root at the planner's paths; one error naming the folder and the worker."""
    if not units:
        return
    out, out_id = units[0].out, units[0].out_id
    roots = sorted({u.data_root for u in units if u.data_sha256 is not None and u.data_root})
    answers = client.run(worker_view, out, out_id, roots)
    if not answers:
        logger.warning("no Dask worker connected yet: each unit checks the output folder "
                       "and its data on the worker that runs it")
        return
    problems = [f"{problem} (worker {address})" for address, found in sorted(answers.items())
                for problem in found]
    if problems:
        more = f" ({len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise input_error("out" if any(ID_FILE in p for p in problems) else "data root",
                          f"every Dask worker to see the output folder {out}"
                          + (f" and the data root {', '.join(roots)}" if roots else ""),
                          problems[0],
                          hint=f"Workers must share these folders at the same absolute "
                               f"paths.{more}")
