"""One work unit: a dataset subject (or one cross-subject fold) with every pipeline of a run.

:func:`run_unit` loads the unit's data, iterates its folds, evaluates each pipeline not yet
stored (sharing fitted feature prefixes within the fold), writes each result as soon as it is
done and, when the run asks for explanations, explains each fitted (pipeline, fold) and stores
its importances under a key that joins its result.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline

from neurocompare.config import using_data_root
from neurocompare.data import cache
from neurocompare.data.containers import NeuralData
from neurocompare.data.registry import make_dataset
from neurocompare.evaluation.fold import FoldCache, ProbeBudget, evaluate_fold, prefix_keys
from neurocompare.explain.molecules import morgan_step
from neurocompare.explain.run import explain_and_store, importance_key
from neurocompare.pipelines.common.tuning import OptunaSearch
from neurocompare.pipelines.registry import get_spec, make_pipeline, search_space_for
from neurocompare.pipelines.seeding import seeded
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.importance import ImportanceStore
from neurocompare.records.keys import params_key, unit_key
from neurocompare.records.rows import result_row
from neurocompare.records.store import ResultBuffer, ResultStore
from neurocompare.runner.config import RunConfig
from neurocompare.runner.workers import check_stored, check_unit

__all__ = ["UnitReport", "WorkUnit", "permuted", "run_unit"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkUnit:
    """One dataset subject (or one cross-subject fold) with all pipelines of the run.

    ``config`` is the run's whole configuration; ``out`` is its output folder resolved on the
    planning machine, so workers elsewhere write to the same place. ``subjects`` is the run's
    subject selection where it changes the unit's data (a cross-subject fold, a whole-dataset
    unit): the unit loads only those subjects and its result keys include them
    (:mod:`neurocompare.runner.selection`); None otherwise. ``data_root`` (the data root
    resolved by the planner), ``data_sha256`` (the digest of the unit's files) and
    ``out_id`` (the output folder's id) are what the worker checks before any work
    (:mod:`neurocompare.runner.workers`).
    """

    dataset: str
    dataset_params: tuple[tuple[str, Any], ...]
    subject: Any
    fold_index: int | None
    config: RunConfig
    out: str
    n_threads: int
    subjects: tuple[Any, ...] | None = None
    data_root: str | None = None
    data_sha256: str | None = None
    out_id: str | None = None

    @property
    def dataset_label(self) -> str:
        """The ``dataset`` column of the unit's rows: the name, or ``name:key=value,...``
        when the run holds the same dataset with other parameters too (their rows must not
        pool)."""
        if sum(name == self.dataset for name, _ in self.config.datasets) < 2 \
                or not self.dataset_params:
            return self.dataset
        return self.dataset + ":" + ",".join(f"{k}={v}" for k, v in self.dataset_params)

    @property
    def label(self) -> str:
        """Short description for progress messages."""
        where = f"subject {self.subject}" if self.fold_index is None else f"fold {self.fold_index}"
        return f"{self.dataset} {where}"


@dataclass
class UnitReport:
    """What a unit did: results computed, (pipeline, fold) pairs explained, skipped (nothing
    left to do) and failed, and the process that ran it (``MainProcess``,
    ``ForkPoolWorker-N``, ``LokyProcess-N``, ...)."""

    label: str
    computed: int = 0
    explained: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    worker: str = field(default_factory=lambda: multiprocessing.current_process().name)


def permuted(data: NeuralData, permutation: int, seed: int) -> NeuralData:
    """``data`` with labels shuffled within each (subject, session); 0 returns ``data``."""
    if permutation == 0:
        return data
    rng = np.random.default_rng([seed, permutation])
    y = data.y.copy()
    for rows in data.metadata.groupby(["subject", "session"], sort=False).indices.values():
        y[rows] = y[rng.permutation(rows)]
    return NeuralData(data.X, y, data.metadata, data.info)


def _build(name: str, info: Any, config: RunConfig) -> BaseEstimator:
    """The pipeline ``name``, wrapped in a nested Optuna search when the run tunes."""
    estimator = make_pipeline(name, info)
    if not config.tune:
        return estimator
    return OptunaSearch(estimator, search_space_for(name), n_trials=config.tune,
                        cpu_budget_s=config.tune_cpu_s, random_state=config.seed)


def _explain(unit: WorkUnit, report: UnitReport, name: str,
             estimator: BaseEstimator, data: NeuralData, fold: Any, key: str) -> None:
    """Store importances of a fitted pipeline (a failure is reported, not raised)."""
    config = unit.config
    try:
        explain_and_store(unit.out, name, estimator, data, fold, config.explain, config.seed,
                          key, dataset=unit.dataset_label, **config.explain_options)
    except Exception as exc:  # the result itself is stored; importances can be redone
        logger.debug(traceback.format_exc())
        report.errors.append(f"explain {name} on {fold.id}: {type(exc).__name__}: {exc}")
        return
    report.explained += 1


def run_unit(unit: WorkUnit) -> UnitReport:
    """Evaluate (and explain, if asked) every pipeline on every fold of ``unit`` not yet done.

    Results are stored as they finish (millisecond ones gathered for up to
    :data:`~neurocompare.records.store.FLUSH_S` seconds), so an interruption loses at most
    the fit in progress and those seconds. A stored result whose importances are asked for
    and missing is fitted again, on the same fold with the same seed, to be explained; its
    stored row is kept. A failing pipeline is reported and does not stop the others; a
    failing unit (its data cannot be loaded or split) is reported in its
    :class:`UnitReport`, not raised, so that the other units of a run, in this process or in
    a pool of workers that one exception would stop, keep their results.
    """
    report = UnitReport(unit.label)
    try:
        with using_data_root(unit.data_root):
            _run_unit(unit, report)
    except Exception as exc:  # results finished before the failure are already stored
        logger.debug(traceback.format_exc())
        report.errors.append(f"{unit.label}: {type(exc).__name__}: {exc}")
    return report


def _run_unit(unit: WorkUnit, report: UnitReport) -> None:
    """The work of :func:`run_unit`, counted in ``report``."""
    import torch
    from threadpoolctl import threadpool_limits

    config = unit.config
    store = ResultStore(unit.out)
    done = store.keys()  # units never share keys: read once
    explained = ImportanceStore(unit.out).keys() if config.explain else set()
    dataset = make_dataset(unit.dataset, **dict(unit.dataset_params))
    check_unit(unit, dataset)  # the run's output folder and data files, before any work
    fingerprint = dataset.fingerprint()
    torch.set_num_threads(unit.n_threads)
    with threadpool_limits(limits=unit.n_threads), ResultBuffer(store) as buffer:
        data = cache.load_unit(dataset, unit.subject if unit.fold_index is None else None,
                               unit.subjects)
        # a selection that changes the data changes the keys; otherwise keys are a full run's
        selected = {} if unit.subjects is None else {"subjects": list(unit.subjects)}
        splitter = make_splitter(config.protocol, config.seed, **config.protocol_params)
        folds = list(splitter.folds(data.metadata, data.y))
        if unit.fold_index is not None:
            folds = [folds[unit.fold_index]]
        # built, seeded and hashed once per unit; each fold fits a fresh clone
        templates = {name: seeded(_build(name, data.info, config), config.seed)
                     for name in config.pipelines if not get_spec(name).applicable(data.info)}
        template_keys = {name: params_key(est) for name, est in templates.items()}
        step_keys = {name: prefix_keys(est) for name, est in templates.items()
                     if isinstance(est, Pipeline)}
        # explain_fold explains epochs and molecules: other kinds would be refitted for nothing
        explains = bool(config.explain) and data.info.kind in ("epochs", "molecules")
        # molecule attributions read Morgan bits: other molecule pipelines store none, and
        # refitting them on every rerun would be for nothing
        explainable = {name: data.info.kind != "molecules" or morgan_step(t) is not None
                       for name, t in templates.items()}
        runs = list(itertools.product(range(config.permutations + 1), folds))
        keys = {(permutation, fold.id, name): unit_key(
                    dataset=fingerprint, protocol=config.protocol,
                    protocol_params=dict(config.protocol_params), fold=fold.id, pipeline=name,
                    pipeline_key=template_keys[name], seed=config.seed, permutation=permutation,
                    **selected)
                for permutation, fold in runs for name in templates}
        check_stored(unit, store, done & set(keys.values()))  # stored from the same files?
        probes = ProbeBudget(config.probe_share)
        for permutation, fold in runs:
            fold_data = permuted(data, permutation, config.seed)
            fold_cache = FoldCache()
            for name, template in templates.items():
                key = keys[permutation, fold.id, name]
                explain = explains and permutation == 0 and explainable[name] \
                    and importance_key(key, config.explain,
                                       config.explain_options) not in explained
                if key in done and not explain:
                    report.skipped += 1
                    continue
                estimator = clone(template)
                try:
                    result = evaluate_fold({name: estimator}, fold_data, fold, fold_cache,
                                           probes=probes, step_keys=step_keys)[name]
                except Exception as exc:  # keep going: other pipelines' results still count
                    logger.debug(traceback.format_exc())
                    report.errors.append(f"{name} on {fold.id}: {type(exc).__name__}: {exc}")
                    continue
                if key not in done:
                    buffer.add(result_row(
                        dataset=unit.dataset_label, dataset_key=fingerprint, pipeline=name,
                        family=get_spec(name).family, estimator=estimator, result=result,
                        key=key, protocol=config.protocol,
                        protocol_params=dict(config.protocol_params), seed=config.seed,
                        permutation=permutation, n_classes=data.info.n_classes,
                        tune=config.tune, data_sha256=unit.data_sha256))
                    report.computed += 1
                if explain:
                    _explain(unit, report, name, result["estimator"], fold_data, fold,
                             key)
