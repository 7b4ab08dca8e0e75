"""What a run is: :class:`RunConfig`, plain data from a TOML file or the CLI, and its checks."""

from __future__ import annotations

import numbers
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurocompare._errors import check_option, input_error
from neurocompare._parallel import START_METHODS
from neurocompare.data.registry import DEFAULT_DATASET
from neurocompare.evaluation.fold import ProbeBudget
from neurocompare.explain.run import check_methods
from neurocompare.pipelines.registry import DEFAULT_PIPELINES, get_spec
from neurocompare.runner.selection import check_subjects

__all__ = ["SEED_LIMIT", "RunConfig", "check_config", "check_out"]


@dataclass
class RunConfig:
    """Everything a run needs; plain data (a TOML file or the CLI fills it).

    Parameters
    ----------
    datasets : list of (str, dict)
        Dataset names and parameters.
    pipelines : list of str
        Registered pipeline names.
    protocol : str
        Registered protocol name.
    protocol_params : dict
        Extra splitter parameters (e.g. ``{"n_splits": 10}``).
    out : str or Path
        Output folder (results store, report).
    jobs : int
        Parallel worker processes (local joblib) when no scheduler is given; defaults to the
        number of CPU cores.
    seed : int
        Seed for splits and every ``random_state`` parameter of every pipeline.
    scheduler : str, optional
        Address of a Dask scheduler; work units are sent there instead of local processes.
    start_method : {"auto", "fork", "loky"}
        How local worker processes start (:func:`execute`).
    permutations : int
        Label-permutation runs per subject and pipeline (the chance-level test): each
        re-evaluates every fold with labels shuffled within each (subject, session); stored
        with ``permutation`` = 1..N (0 is the real run).
    tune : int
        Optuna trials per pipeline and training fold (0: no tuning). Tuned results are stored
        as ``"<pipeline> (optuna N)"``.
    tune_cpu_s : float, optional
        CPU-second cap per study, the same for every pipeline.
    explain : list of str
        Interpretability methods run on every fitted (pipeline, fold) (see
        :data:`neurocompare.explain.run.METHODS`); importances go to ``<out>/importance``.
        A stored result whose importances are missing is fitted again to be explained.
    explain_options : dict
        Options of the interpretability methods (e.g. ``{"n_repeats": 10}``).
    probe_share : float
        Largest share of a pipeline's compute time spent measuring per-prediction costs
        (latency, operation ledger) in a work unit; the first fold is always measured
        (:class:`~neurocompare.evaluation.fold.ProbeBudget`; ``inf``: every fold).
    subjects : list or dict, optional
        Only these subjects: a list of ids for every dataset, or a table dataset name ->
        ids (datasets left out keep all theirs); None: every subject. Within-subject
        protocols keep the keys of a full run; others, whose folds change, get keys that
        include the selection (:mod:`neurocompare.runner.selection`).
    """

    datasets: list[tuple[str, dict[str, Any]]] = field(
        default_factory=lambda: [(DEFAULT_DATASET, {})])
    pipelines: list[str] = field(default_factory=lambda: list(DEFAULT_PIPELINES))
    protocol: str = "within-session"
    protocol_params: dict[str, Any] = field(default_factory=dict)
    out: str | Path = "neurocompare-results"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    seed: int = 42
    scheduler: str | None = None
    start_method: str = "auto"
    permutations: int = 0
    tune: int = 0
    tune_cpu_s: float | None = None
    explain: list[str] = field(default_factory=list)
    explain_options: dict[str, Any] = field(default_factory=dict)
    probe_share: float = 0.02
    subjects: list[Any] | dict[str, list[Any]] | None = None

    def __post_init__(self) -> None:
        # one name given bare (``explain = "permutation"`` in TOML) is a list of one, not
        # a list of its letters
        for name in ("pipelines", "explain"):
            if isinstance(getattr(self, name), str):
                setattr(self, name, [getattr(self, name)])


#: Seeds accepted: what NumPy and scikit-learn take as a ``random_state``.
SEED_LIMIT = 2**32


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_int(name: str, value: Any, low: int, expected: str) -> None:
    if not _is_int(value) or value < low:
        raise input_error(name, expected, value)


def _check_types(config: RunConfig) -> None:
    """Check the type of every field a TOML file can give wrongly."""
    if not isinstance(config.datasets, list | tuple) or not all(
            isinstance(entry, list | tuple) and len(entry) == 2 and isinstance(entry[0], str)
            and isinstance(entry[1], dict) for entry in config.datasets):
        raise input_error("datasets", "a list of (name, parameters) pairs", config.datasets)
    for name in ("pipelines", "explain"):
        value = getattr(config, name)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise input_error(name, "a list of names (strings)", value)
    for name in ("protocol_params", "explain_options"):
        if not isinstance(getattr(config, name), dict):
            raise input_error(name, "a table of parameters (a dict)", getattr(config, name))
    if not isinstance(config.protocol, str):
        raise input_error("protocol", "a protocol name (a string)", config.protocol)
    if config.scheduler is not None and (
            not isinstance(config.scheduler, str)
            or not re.fullmatch(r"(tcp|tls|ws|wss|ucx|inproc)://[^\s:/]+(:\d+)?/?",
                                config.scheduler)):
        raise input_error("scheduler", "a Dask scheduler address such as 'tcp://host:8786'",
                          config.scheduler)
    if not isinstance(config.out, str | os.PathLike) or not str(config.out).strip():
        raise input_error("out", "an output folder path", config.out)
    check_subjects(config.subjects, [name for name, _ in config.datasets])


def check_out(out: str | os.PathLike[str]) -> None:
    """Check that the output folder ``out`` can be created and written, before any work.

    The folder (and its ``results/`` subfolder when present) gets a probe file written and
    removed, so a file in the way, a read-only filesystem or a folder without write
    permission is one clear error instead of a failure after the first unit.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise input_error("out", "an output folder", f"{path} (an existing file)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise input_error("out", "an output folder that can be created",
                          f"{path} ({exc.strerror or exc})") from exc
    results = path / "results"
    if results.exists() and not results.is_dir():
        raise input_error("out", f"{results} to be a folder", f"{results} (an existing file)")
    for folder in (path, results) if results.is_dir() else (path,):
        probe = folder / f".write-probe-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise input_error("out", "an output folder this user can write to",
                              f"{folder} ({exc.strerror or exc})") from exc


def check_config(config: RunConfig) -> None:
    """Check every field of ``config`` that can be checked before loading data, and that the
    output folder can be written (:func:`check_out`)."""
    _check_types(config)
    if not config.pipelines:
        raise input_error("pipelines", "at least one pipeline name", config.pipelines)
    for name in config.pipelines:
        get_spec(name)
    _check_int("jobs", config.jobs, 1, "a positive integer")
    check_option("start_method", config.start_method, START_METHODS)
    _check_int("permutations", config.permutations, 0, "a non-negative integer")
    _check_int("tune", config.tune, 0, "a non-negative number of Optuna trials")
    if not _is_int(config.seed) or not 0 <= config.seed < SEED_LIMIT:
        raise input_error("seed", f"an integer in [0, 2**32) = [0, {SEED_LIMIT})", config.seed)
    cap = config.tune_cpu_s
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, numbers.Real)
                            or not cap > 0):
        raise input_error("tune_cpu_s", "a positive number of CPU seconds (or none: no cap)",
                          cap)
    check_methods(config.explain, config.explain_options)
    ProbeBudget(config.probe_share)  # checks it
    check_out(config.out)
