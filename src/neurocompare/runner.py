"""Plan and execute a comparison: work units over datasets x subjects (or folds).

A :class:`WorkUnit` is one dataset and one subject (for protocols that split within a
subject) or one fold (for cross-subject protocols), with all pipelines of the run. A unit
loads only the data it needs, iterates its folds, runs each pipeline not yet stored (sharing
fitted feature prefixes within the fold) and writes each (pipeline, fold) result atomically as
soon as it is done. Units are independent, so they run sequentially, in local joblib
processes, or on a Dask cluster, with identical results.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from neurocompare._errors import check_option, input_error
from neurocompare._parallel import START_METHODS, map_units, mark_baseline
from neurocompare.data.base import Dataset
from neurocompare.data.containers import NeuralData, concat_data
from neurocompare.data.registry import DEFAULT_DATASET, make_dataset
from neurocompare.evaluation.fold import (
    FoldCache,
    ProbeBudget,
    evaluate_fold,
    prefix_keys,
)
from neurocompare.pipelines.common.tuning import OptunaSearch, search_space_for
from neurocompare.pipelines.registry import DEFAULT_PIPELINES, get_spec, make_pipeline
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.keys import params_key, unit_key
from neurocompare.records.manifest import dataset_record
from neurocompare.records.rows import result_row
from neurocompare.records.store import ResultBuffer, ResultStore

__all__ = [
    "RunConfig",
    "UnitReport",
    "WorkUnit",
    "dataset_records",
    "execute",
    "plan",
    "run_unit",
]

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class WorkUnit:
    """One dataset subject (or one cross-subject fold) with all pipelines of the run."""

    dataset: str
    dataset_params: tuple[tuple[str, Any], ...]
    subject: Any
    fold_index: int | None
    pipelines: tuple[str, ...]
    protocol: str
    protocol_params: tuple[tuple[str, Any], ...]
    seed: int
    out: str
    n_threads: int
    permutations: int = 0
    tune: int = 0
    tune_cpu_s: float | None = None
    explain: tuple[str, ...] = ()
    explain_options: tuple[tuple[str, Any], ...] = ()
    probe_share: float = 0.02

    @property
    def label(self) -> str:
        """Short description for progress messages."""
        where = f"subject {self.subject}" if self.fold_index is None else f"fold {self.fold_index}"
        return f"{self.dataset} {where}"


@dataclass
class UnitReport:
    """What a unit did: results computed, skipped (already stored) and failed, and the
    process that ran it (``MainProcess``, ``ForkPoolWorker-N``, ``LokyProcess-N``, ...)."""

    label: str
    computed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    worker: str = field(default_factory=lambda: multiprocessing.current_process().name)


_INFO_CACHE: dict[str, Any] = {}
_DATA_CACHE: dict[str, NeuralData] = {}


#: The subject :func:`_first_info` loaded, kept for the unit that needs it (one at a time).
_PRELOADED: dict[tuple[str, Any], NeuralData] = {}


def _first_info(dataset: Dataset):
    """Signal info of a dataset, read from its first subject (cached per process).

    The loaded subject is kept for :func:`_load_unit_data`, so a run does not read it twice
    (worker processes started by fork inherit it).
    """
    key = dataset.fingerprint()
    if key not in _INFO_CACHE:
        subject = dataset.subjects()[0]
        data = dataset.load_subject(subject)
        _INFO_CACHE[key] = data.info
        _PRELOADED.clear()
        _PRELOADED[(key, subject)] = data
    return _INFO_CACHE[key]


def _load_subject(dataset: Dataset, subject: Any) -> NeuralData:
    """One subject, taken from :func:`_first_info`'s copy when it is that one."""
    data = _PRELOADED.pop((dataset.fingerprint(), subject), None)
    return dataset.load_subject(subject) if data is None else data


def _load_unit_data(dataset: Dataset, unit: WorkUnit) -> NeuralData:
    if unit.fold_index is not None:
        return load_all(dataset)
    return _load_subject(dataset, unit.subject)


def dataset_records(config: RunConfig) -> list[dict[str, Any]]:
    """Provenance of every dataset of a run (parameters, signal info, file checksums)."""
    out = []
    for name, params in config.datasets:
        dataset = make_dataset(name, **params)
        out.append(dataset_record(dataset, dataset.subjects(), _first_info(dataset)))
    return out


def load_all(dataset: Dataset) -> NeuralData:
    """Whole dataset, cached per process (cross-subject units share it; one at a time)."""
    key = dataset.fingerprint()
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = concat_data([_load_subject(dataset, s) for s in dataset.subjects()])
    return _DATA_CACHE[key]


def seeded(estimator: BaseEstimator, seed: int) -> BaseEstimator:
    """A clone of ``estimator`` with every ``random_state`` parameter set to ``seed``.

    Thread counts are set per worker process (torch and BLAS), not as parameters, so that
    result keys do not depend on the machine's core count or the number of jobs.
    """
    estimator = clone(estimator)
    params = estimator.get_params(deep=True)
    return estimator.set_params(**{k: seed for k in params
                                   if k.split("__")[-1] == "random_state"})


def permuted(data: NeuralData, permutation: int, seed: int) -> NeuralData:
    """``data`` with labels shuffled within each (subject, session); 0 returns ``data``."""
    if permutation == 0:
        return data
    rng = np.random.default_rng([seed, permutation])
    y = data.y.copy()
    for rows in data.metadata.groupby(["subject", "session"], sort=False).indices.values():
        y[rows] = y[rng.permutation(rows)]
    return NeuralData(data.X, y, data.metadata, data.info)


def _build(name: str, info: Any, unit: WorkUnit) -> BaseEstimator:
    """The pipeline ``name``, wrapped in a nested Optuna search when the run tunes."""
    estimator = make_pipeline(name, info)
    if not unit.tune:
        return estimator
    return OptunaSearch(estimator, search_space_for(name), n_trials=unit.tune,
                        cpu_budget_s=unit.tune_cpu_s, random_state=unit.seed)


def _explain(unit: WorkUnit, report: UnitReport, dataset: Dataset, name: str,
             estimator: BaseEstimator, data: NeuralData, fold: Any, key: str) -> None:
    """Store importances of a freshly fitted pipeline (a failure is reported, not raised)."""
    from neurocompare.explain.run import explain_and_store

    try:
        explain_and_store(unit.out, name, estimator, data, fold, unit.explain, unit.seed, key,
                          dataset=dataset.name, **dict(unit.explain_options))
    except Exception as exc:  # the result itself is stored; importances can be redone
        logger.debug(traceback.format_exc())
        report.errors.append(f"explain {name} on {fold.id}: {type(exc).__name__}: {exc}")


def run_unit(unit: WorkUnit) -> UnitReport:
    """Evaluate every pipeline on every fold of ``unit`` not yet in the store.

    Results are stored as they finish (millisecond ones gathered for up to
    :data:`~neurocompare.records.store.FLUSH_S` seconds), so an interruption loses at most
    the fit in progress and those seconds. A failing pipeline is reported and does not stop
    the others.
    """
    import torch
    from threadpoolctl import threadpool_limits

    report = UnitReport(unit.label)
    store = ResultStore(unit.out)
    done = store.keys()  # units never share keys: read once
    dataset = make_dataset(unit.dataset, **dict(unit.dataset_params))
    fingerprint = dataset.fingerprint()
    torch.set_num_threads(unit.n_threads)
    with threadpool_limits(limits=unit.n_threads), ResultBuffer(store) as buffer:
        data = _load_unit_data(dataset, unit)
        splitter = make_splitter(unit.protocol, unit.seed, **dict(unit.protocol_params))
        folds = list(splitter.folds(data.metadata, data.y))
        if unit.fold_index is not None:
            folds = [folds[unit.fold_index]]
        # built, seeded and hashed once per unit; each fold fits a fresh clone
        templates = {name: seeded(_build(name, data.info, unit), unit.seed)
                     for name in unit.pipelines if not get_spec(name).applicable(data.info)}
        template_keys = {name: params_key(est) for name, est in templates.items()}
        step_keys = {name: prefix_keys(est) for name, est in templates.items()
                     if isinstance(est, Pipeline)}
        probes = ProbeBudget(unit.probe_share)
        for permutation, fold in itertools.product(range(unit.permutations + 1), folds):
            fold_data = permuted(data, permutation, unit.seed)
            cache = FoldCache()
            for name, template in templates.items():
                key = unit_key(dataset=fingerprint, protocol=unit.protocol,
                               protocol_params=dict(unit.protocol_params), fold=fold.id,
                               pipeline=name, pipeline_key=template_keys[name],
                               seed=unit.seed, permutation=permutation)
                if key in done:
                    report.skipped += 1
                    continue
                estimator = clone(template)
                try:
                    result = evaluate_fold({name: estimator}, fold_data, fold, cache,
                                           probes=probes, step_keys=step_keys)[name]
                except Exception as exc:  # keep going: other pipelines' results still count
                    logger.debug(traceback.format_exc())
                    report.errors.append(f"{name} on {fold.id}: {type(exc).__name__}: {exc}")
                    continue
                buffer.add(result_row(
                    dataset=dataset.name, dataset_key=fingerprint, pipeline=name,
                    family=get_spec(name).family, estimator=estimator, result=result, key=key,
                    protocol=unit.protocol, protocol_params=dict(unit.protocol_params),
                    seed=unit.seed, permutation=permutation,
                    n_classes=data.info.n_classes, tune=unit.tune))
                report.computed += 1
                if unit.explain and permutation == 0:
                    _explain(unit, report, dataset, name, result["estimator"], fold_data, fold,
                             key)
    return report


def plan(config: RunConfig) -> list[WorkUnit]:
    """Turn a configuration into work units, checking every name and parameter first."""
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
    ProbeBudget(config.probe_share)  # checks it
    splitter = make_splitter(config.protocol, config.seed, **config.protocol_params)
    n_threads = max(1, (os.cpu_count() or 1) // config.jobs)
    units = []
    for name, params in config.datasets:
        dataset = make_dataset(name, **params)
        base = {"dataset": name, "dataset_params": tuple(sorted(params.items())),
                "pipelines": tuple(config.pipelines), "protocol": config.protocol,
                "protocol_params": tuple(sorted(config.protocol_params.items())),
                "seed": config.seed, "out": str(config.out), "n_threads": n_threads,
                "permutations": config.permutations, "tune": config.tune,
                "tune_cpu_s": config.tune_cpu_s, "explain": tuple(config.explain),
                "explain_options": tuple(sorted(config.explain_options.items())),
                "probe_share": config.probe_share}
        subjects = dataset.subjects()
        if not subjects:
            raise input_error(f"dataset {name!r}", "at least one subject", "none found")
        info = _first_info(dataset)
        for label in config.pipelines:  # fail now, not mid-run, on bad pipeline parameters
            reason = get_spec(label).applicable(info)
            if reason:
                logger.warning("%s is skipped on %s: %s", label, name, reason)
            else:
                make_pipeline(label, info)
        if splitter.scope == "subject":
            units += [WorkUnit(subject=s, fold_index=None, **base) for s in subjects]
        else:
            data = load_all(dataset)
            n_folds = sum(1 for _ in splitter.folds(data.metadata, data.y))
            units += [WorkUnit(subject=None, fold_index=k, **base) for k in range(n_folds)]
    return units


def execute(units: Sequence[WorkUnit], *, jobs: int = 1, scheduler: str | None = None,
            on_done: Callable[[UnitReport], None] | None = None,
            start_method: str = "auto") -> list[UnitReport]:
    """Run ``units`` sequentially, in ``jobs`` local processes, or on a Dask scheduler.

    Parameters
    ----------
    units : sequence of WorkUnit
    jobs : int
        Local worker processes (ignored with ``scheduler``).
    scheduler : str, optional
        Dask scheduler address (``tcp://host:port``).
    on_done : callable, optional
        Called with each :class:`UnitReport` as units finish (progress bars).
    start_method : {"auto", "fork", "loky"}
        How local workers start: ``"auto"`` forks them (instant, sharing the imports and
        the subject the planner loaded) when no OpenMP work has run in this process, else
        starts loky workers (see :mod:`neurocompare._parallel`).
    """
    if units:
        ResultStore(units[0].out).clean_partial()
    reports = []
    for report in map_units(run_unit, units, jobs=jobs, scheduler=scheduler,
                            start_method=start_method):
        reports.append(report)
        if on_done is not None:
            on_done(report)
    _PRELOADED.clear()  # the planner's subject is not needed after the run
    return reports


def results_path(out: str | Path) -> Path:
    """Folder of the Parquet results of a run."""
    return ResultStore(out).folder


mark_baseline()  # threads after the heavy imports: more threads later means OpenMP work ran
