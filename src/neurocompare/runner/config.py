"""What a run is: :class:`RunConfig`, plain data from a TOML file or the CLI, and its checks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurocompare._errors import check_option, input_error
from neurocompare._parallel import START_METHODS
from neurocompare.data.registry import DEFAULT_DATASET
from neurocompare.evaluation.fold import ProbeBudget
from neurocompare.explain.run import check_methods
from neurocompare.pipelines.registry import DEFAULT_PIPELINES, get_spec

__all__ = ["RunConfig", "check_config"]


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


def check_config(config: RunConfig) -> None:
    """Check every field of ``config`` that can be checked before loading data."""
    if not config.pipelines:
        raise input_error("pipelines", "at least one pipeline name", config.pipelines)
    for name in config.pipelines:
        get_spec(name)
    if not isinstance(config.jobs, int) or config.jobs < 1:
        raise input_error("jobs", "a positive integer", config.jobs)
    check_option("start_method", config.start_method, START_METHODS)
    if not isinstance(config.permutations, int) or config.permutations < 0:
        raise input_error("permutations", "a non-negative integer", config.permutations)
    if not isinstance(config.tune, int) or config.tune < 0:
        raise input_error("tune", "a non-negative number of Optuna trials", config.tune)
    check_methods(config.explain, config.explain_options)
    ProbeBudget(config.probe_share)  # checks it
