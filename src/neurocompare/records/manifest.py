"""Provenance of a run: command line, configuration, machine, data checksums, duration.

Each run appends one JSON line to ``<out>/runs.jsonl``; the report reads them back.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import platform
import sys
from collections.abc import Iterable
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from neurocompare.data.base import Dataset

__all__ = ["dataset_record", "files_digest", "machine_info", "package_versions", "read_runs",
           "sha256", "write_run"]

logger = logging.getLogger(__name__)

#: Packages whose versions shape the results (stored with every result row).
VERSIONED = ("neurocompare", "numpy", "scipy", "scikit-learn", "mne", "torch", "braindecode",
             "pyriemann", "moabb")


@functools.lru_cache(maxsize=1)
def package_versions() -> str:
    """JSON of the versions of the packages that shape the results."""
    out = {}
    for name in VERSIONED:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = None
    out["python"] = platform.python_version()
    return json.dumps(out, sort_keys=True)


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


#: SHA-256 of files already hashed by this process, by (path, inode, size, mtime): planning,
#: the run record and the work units of one run read each file's bytes once.
_HASHED: dict[tuple[str, int, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    """:func:`sha256` of ``path``, computed again only when the file changed."""
    stat = path.stat()
    signature = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if signature not in _HASHED:
        _HASHED[signature] = sha256(path)
    return _HASHED[signature]


def files_digest(paths: Iterable[Path]) -> str | None:
    """One SHA-256 over the names, sizes and contents of ``paths``, in their order (the
    order a loader reads them in); None for no files (data made in memory).

    It identifies the data a work unit reads wherever the files lie: the planner records it
    and the worker recomputes it from the files it is about to load.
    """
    digest, any_file = hashlib.sha256(), False
    for path in dict.fromkeys(Path(p) for p in paths):
        digest.update(f"{path.name}\0{path.stat().st_size}\0{_file_sha256(path)}\n".encode())
        any_file = True
    return digest.hexdigest() if any_file else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """CPU model, logical cores, memory, OS, Python and GPU (if torch sees one)."""
    import psutil
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": _cpu_model(), "cores": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "python": platform.python_version(), "gpu": gpu,
            "host": platform.node()}


def dataset_record(dataset: Dataset, subjects: Iterable[Any], info: Any) -> dict[str, Any]:
    """What a report needs about one dataset: parameters, signal info, file checksums."""
    subjects = list(subjects)
    files: dict[str, str] = {}
    for subject in subjects:
        for path in dataset.files(subject):
            if path.is_file() and str(path) not in files:
                files[str(path)] = _file_sha256(path)
    combined = hashlib.sha256("".join(sorted(files.values())).encode()).hexdigest()
    return {
        "name": dataset.name, "kind": dataset.kind, "description": dataset.description,
        "scope_note": dataset.scope_note, "fingerprint": dataset.fingerprint(),
        "params": {k: v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)
                   for k, v in dataset.get_params().items()},
        "n_subjects": len(subjects),
        "class_names": list(info.class_names), "ch_names": list(info.ch_names),
        "sfreq": info.sfreq, "units": info.units, "montage": info.montage,
        "n_files": len(files), "files_sha256": combined if files else None,
        "ground_truth": json.loads(json.dumps(info.ground_truth, default=str))
        if info.ground_truth else None,
        "task": info.task,
        "extra": json.loads(json.dumps(dict(info.extra), default=str)),
    }


def write_run(out: str | Path, record: dict[str, Any]) -> Path:
    """Append ``record`` (plus ``argv``) as one JSON line to ``<out>/runs.jsonl``."""
    path = Path(out) / "runs.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"argv": sys.argv, **record}
    with open(path, "a") as handle:
        handle.write(json.dumps(record, default=str, sort_keys=True) + "\n")
    return path


def read_runs(out: str | Path) -> list[dict[str, Any]]:
    """All run records of an output folder, oldest first (empty if none)."""
    path = Path(out) / "runs.jsonl"
    if not path.is_file():
        return []
    runs = []
    for line in path.read_text().splitlines():
        try:
            runs.append(json.loads(line))
        except json.JSONDecodeError:
            logger.warning("%s: skipping a malformed line", path)
    return runs
