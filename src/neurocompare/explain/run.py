"""Explain fitted pipelines on their test folds and store tidy importance rows.

:func:`explain_fold` runs the requested methods that apply to a fitted pipeline and returns
one row per (method, group type, group); :class:`ImportanceStore` keeps them as Parquet files
under ``<out>/importance`` (same layout and atomic writes as the results store);
:func:`explain_and_store` is the hook the runner calls after a fold is evaluated, and
:func:`explain_results` re-creates the folds and models of a stored run (same splitter, same
registry pipelines, same seeding as :mod:`neurocompare.runner`) to explain it afterwards.

Methods (``METHODS``) and what they apply to:

======================== ===================================================== ==============
method                   pipelines                                             group types
======================== ===================================================== ==============
``permutation``          every pipeline (score drop, the common unit)           channel, band,
                                                                                time
``shap``                 band power -> tree ensemble or linear model            channel, band,
                                                                                channel_band
``patterns``             band power -> linear model (Haufe patterns); CSP ->    channel, band,
                         linear model (CSP patterns, channels only)             channel_band
``integrated-gradients`` deep networks                                          all four
``saliency``             deep networks                                          all four
======================== ===================================================== ==============

Methods that do not apply to a pipeline are skipped silently (logged at debug level).
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from neurocompare._errors import input_error
from neurocompare.data.containers import NeuralData
from neurocompare.explain._layout import final_estimator, split_pipeline
from neurocompare.explain.grouped import grouped_importance
from neurocompare.explain.model_specific import (
    _TREES,
    GRADIENT_METHODS,
    csp_channel_importance,
    gradient_attributions,
    linear_patterns,
    shap_bandpower,
)
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.protocols.splitters import Fold
from neurocompare.records.keys import canonical_params, params_key, unit_key
from neurocompare.records.store import ResultStore

__all__ = [
    "DEFAULT_METHODS",
    "DEFAULT_OPTIONS",
    "METHODS",
    "OPTIONS",
    "ImportanceStore",
    "applicable_methods",
    "explain_and_store",
    "explain_fold",
    "explain_results",
    "importance_key",
    "importance_table",
]

logger = logging.getLogger(__name__)

METHODS = ("permutation", "shap", "patterns", *GRADIENT_METHODS)
DEFAULT_METHODS = METHODS
#: Options of :func:`explain_fold` (see :func:`~neurocompare.explain.grouped
#: .grouped_importance`).
DEFAULT_OPTIONS: dict[str, Any] = {"n_repeats": 10, "scoring": "balanced_accuracy",
                                   "group_types": ("channel", "band", "time"), "bands": None,
                                   "window": 0.5, "band_mode": "permute"}
OPTIONS = tuple(DEFAULT_OPTIONS)


def _check(methods: Sequence[str], options: Mapping[str, Any]) -> None:
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise input_error("methods", f"some of {list(METHODS)}", unknown)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise input_error("explain options", f"some of {list(OPTIONS)}", unknown)


class ImportanceStore(ResultStore):
    """Importance rows under ``<root>/importance`` (a :class:`ResultStore` in another folder).

    Query with DuckDB: ``read_parquet('<out>/importance/*.parquet', union_by_name=true)``; in
    :meth:`query` the view is still called ``results``.
    """

    @property
    def folder(self) -> Path:
        """Folder holding the importance Parquet files."""
        return self.root / "importance"


def applicable_methods(estimator: BaseEstimator) -> list[str]:
    """The :data:`METHODS` that can explain a fitted pipeline."""
    steps, last = split_pipeline(estimator)
    model = final_estimator(last)
    out = ["permutation"]
    bandpower = any(isinstance(s, BandPower) for _, s in steps)
    linear = hasattr(model, "coef_") or type(model).__name__ in (
        "LinearDiscriminantAnalysis", "LogisticRegression")
    if bandpower and (linear or type(model).__name__ in _TREES):
        out.append("shap")
    csp = any(hasattr(s, "patterns_") or type(s).__name__ == "CSPLogVariance" for _, s in steps)
    if (bandpower or csp) and linear:
        out.append("patterns")
    if hasattr(last, "module_") or type(last).__name__ == "DeepClassifier":
        out += list(GRADIENT_METHODS)
    return out


def _matrix_rows(matrix: np.ndarray, channels: Sequence[str], bands: Sequence[str],
                 ) -> list[tuple[str, str, float]]:
    """(group_type, group, importance) of a channel x band matrix."""
    rows = [("channel", c, float(v)) for c, v in zip(channels, matrix.sum(axis=1), strict=True)]
    rows += [("band", b, float(v)) for b, v in zip(bands, matrix.sum(axis=0), strict=True)]
    rows += [("channel_band", f"{c}|{b}", float(matrix[i, j]))
             for i, c in enumerate(channels) for j, b in enumerate(bands)]
    return rows


def _method_rows(method: str, estimator: BaseEstimator, data: NeuralData, fold: Fold,
                 seed: int, options: Mapping[str, Any]) -> list[dict[str, Any]]:
    X_test, y_test = data.X[fold.test], data.y[fold.test]
    X_train = data.X[fold.train]
    options = DEFAULT_OPTIONS | dict(options)
    bands, window = options["bands"], options["window"]
    if method == "permutation":
        frame = grouped_importance(
            estimator, X_test, y_test, data.info, options["group_types"],
            n_repeats=options["n_repeats"], seed=seed, scoring=options["scoring"], bands=bands,
            window=window, band_mode=options["band_mode"])
        return frame.to_dict("records")
    if method in GRADIENT_METHODS:
        cube, channels, band_names, windows = gradient_attributions(
            estimator, X_test, y_test, data.info, method, bands=bands, window=window)
        triples = _matrix_rows(cube.sum(axis=2), channels, band_names)
        triples += [("time", w, float(v)) for w, v in zip(windows, cube.sum(axis=(0, 1)),
                                                          strict=True)]
    elif method == "shap":
        triples = _matrix_rows(*shap_bandpower(estimator, X_train, X_test, data.info))
    elif any(isinstance(s, BandPower) for _, s in split_pipeline(estimator)[0]):
        triples = _matrix_rows(*linear_patterns(estimator, X_train, data.info))
    else:
        importance, channels = csp_channel_importance(estimator, X_train, data.info)
        triples = [("channel", c, float(v)) for c, v in zip(channels, importance, strict=True)]
    return [{"group_type": t, "group": g, "importance": v, "importance_sd": float("nan"),
             "baseline": float("nan"), "n_repeats": 0} for t, g, v in triples]


def explain_fold(name: str, fitted_estimator: BaseEstimator, data: NeuralData, fold: Fold,
                 methods: Sequence[str] = DEFAULT_METHODS, seed: int = 0, *,
                 dataset: str = "", **options: Any) -> list[dict[str, Any]]:
    """Explain one fitted pipeline on the test trials of one fold.

    Parameters
    ----------
    name : str
        Pipeline label (as in the results store).
    fitted_estimator : BaseEstimator
        The pipeline fitted on ``fold.train``.
    data : NeuralData
        The data the fold's positions refer to.
    fold : Fold
    methods : sequence of str
        Some of :data:`METHODS`; those not applicable to the pipeline are skipped.
    seed : int
        Seed of the permutations.
    dataset : str
        Dataset name written in the rows.
    **options
        ``n_repeats`` (10), ``scoring`` ("balanced_accuracy"), ``group_types`` of the
        permutation method (channel, band, time), ``bands``, ``window`` (0.5 s),
        ``band_mode`` ("permute"); see :func:`~neurocompare.explain.grouped.grouped_importance`.

    Returns
    -------
    list of dict
        Tidy rows: dataset, subject, session, pipeline, fold, fold_digest, method,
        group_type, group, importance, importance_sd, baseline, n_repeats, seed. Empty for
        data that are not epochs (other kinds have no channels, bands or time).
    """
    _check(methods, options)
    if data.info.kind != "epochs":
        logger.debug("%s: %s data is not explained (epochs only)", name, data.info.kind)
        return []
    usable = applicable_methods(fitted_estimator)
    base = {"dataset": dataset, "subject": str(fold.subject), "session": str(fold.session),
            "pipeline": name, "fold": fold.id, "fold_digest": fold.digest, "seed": int(seed)}
    rows = []
    for method in methods:
        if method not in usable:
            logger.debug("%s: %s does not apply, skipped", name, method)
            continue
        for row in _method_rows(method, fitted_estimator, data, fold, seed, options):
            rows.append({**base, "method": method, **row})
    return rows


def importance_key(key: str, methods: Sequence[str], options: Mapping[str, Any]) -> str:
    """Key of the importances of result ``key`` for these methods and options (a rerun with
    the same ones finds them stored)."""
    return unit_key(result=key, methods=sorted(methods),
                    options=canonical_params(DEFAULT_OPTIONS | dict(options)))


def explain_and_store(out: str | Path, name: str, estimator: BaseEstimator, data: NeuralData,
                      fold: Fold, methods: Sequence[str], seed: int, key: str, *,
                      dataset: str = "", **options: Any) -> int:
    """Explain a fitted pipeline on its fold and store the rows (skipped when stored).

    Parameters
    ----------
    out : str or Path
        Output folder of the run; rows go to ``<out>/importance``.
    name, estimator, data, fold, methods, seed, dataset, options
        See :func:`explain_fold`.
    key : str
        The result key of this (pipeline, fold) in the results store; written as
        ``result_key`` so importances join their scores.

    Returns
    -------
    int
        Rows written (0 when already stored or no method applies).
    """
    store = ImportanceStore(out)
    ikey = importance_key(key, methods, options)
    if store.has(ikey):
        return 0
    rows = explain_fold(name, estimator, data, fold, methods, seed, dataset=dataset, **options)
    if not rows:
        return 0
    store.write(ikey, [{**row, "result_key": key, "key": ikey} for row in rows])
    return len(rows)


def _configs(out: str | Path) -> list[dict[str, Any]]:
    from neurocompare.records.manifest import read_runs

    seen, configs = set(), []
    for run in read_runs(out):
        config = run.get("config") or {}
        ident = repr({k: config.get(k) for k in ("datasets", "pipelines", "protocol",
                                                 "protocol_params", "seed", "jobs")})
        if config and ident not in seen:
            seen.add(ident)
            configs.append(config)
    if not configs:
        raise input_error("RESULTS", "an output folder with runs.jsonl (a finished run)",
                          str(out))
    return configs


def explain_results(out: str | Path, methods: Sequence[str] = DEFAULT_METHODS,
                    pipelines: Sequence[str] | None = None, *,
                    subjects: Sequence[Any] | None = None, jobs: int = 1, **options: Any
                    ) -> dict[str, Any]:
    """Re-fit every (pipeline, fold) of the runs stored in ``out`` and store importances.

    Folds, models and seeds are those of the run: the splitter from ``make_splitter(protocol,
    seed, **protocol_params)``, pipelines from ``make_pipeline`` seeded by the runner's
    ``seeded``. Already-stored importances are skipped, so an
    interrupted call resumes.

    Parameters
    ----------
    out : str or Path
        Output folder of ``neurocompare run`` (reads ``<out>/runs.jsonl``).
    methods : sequence of str
        See :func:`explain_fold`.
    pipelines : sequence of str, optional
        Only these pipeline labels (or registry names) of the run.
    subjects : sequence, optional
        Only these subjects (within-subject protocols).
    jobs : int
        Local worker processes, one (dataset, subject) unit at a time each.
    **options
        Passed to :func:`explain_fold`.

    Returns
    -------
    dict
        ``computed`` and ``skipped`` (pipeline, fold) counts, and ``errors`` messages.
    """
    from neurocompare.data.registry import make_dataset
    from neurocompare.pipelines.registry import get_spec
    from neurocompare.protocols.registry import make_splitter

    if not isinstance(jobs, int) or jobs < 1:
        raise input_error("jobs", "a positive integer", jobs)
    _check(methods, options)
    wanted = None if subjects is None else {str(s) for s in subjects}
    units = []
    for config in _configs(out):
        seed = int(config.get("seed", 42))
        run = {"seed": seed, "protocol": config.get("protocol", "within-session"),
               "protocol_params": dict(config.get("protocol_params") or {}),
               "n_threads": max(1, (os.cpu_count() or 1) // int(config.get("jobs", 1))),
               "names": [p for p in config.get("pipelines", []) if pipelines is None
                         or p in pipelines or get_spec(p).name in pipelines]}
        scope = make_splitter(run["protocol"], seed, **run["protocol_params"]).scope
        for ds_name, ds_params in config.get("datasets", []):
            if scope != "subject":
                units.append((run, ds_name, dict(ds_params), None))
                continue
            units += [(run, ds_name, dict(ds_params), s)
                      for s in make_dataset(ds_name, **dict(ds_params)).subjects()
                      if wanted is None or str(s) in wanted]
    if jobs == 1 or len(units) <= 1:
        reports = [_explain_unit(out, *unit, methods, options) for unit in units]
    else:
        from joblib import Parallel, delayed

        reports = Parallel(n_jobs=jobs, backend="loky")(
            delayed(_explain_unit)(out, *unit, methods, options) for unit in units)
    return {"computed": sum(r["computed"] for r in reports),
            "skipped": sum(r["skipped"] for r in reports),
            "errors": [e for r in reports for e in r["errors"]]}


def _explain_unit(out: str | Path, run: Mapping[str, Any], ds_name: str,
                  ds_params: Mapping[str, Any], subject: Any, methods: Sequence[str],
                  options: Mapping[str, Any]) -> dict[str, Any]:
    """Explain every fold of one subject (or of the whole dataset) of a stored run."""
    import torch
    from threadpoolctl import threadpool_limits

    from neurocompare.data.registry import make_dataset
    from neurocompare.protocols.registry import make_splitter
    from neurocompare.runner import load_all

    report: dict[str, Any] = {"computed": 0, "skipped": 0, "errors": []}
    dataset = make_dataset(ds_name, **dict(ds_params))
    splitter = make_splitter(run["protocol"], run["seed"], **run["protocol_params"])
    threads = torch.get_num_threads()
    torch.set_num_threads(run["n_threads"])  # as the runner's worker does
    try:
        with threadpool_limits(limits=run["n_threads"]):
            data = load_all(dataset) if subject is None else dataset.load_subject(subject)
            for fold in splitter.folds(data.metadata, data.y):
                _explain_fold_of_run(out, dataset, data, fold, run, methods, options, report)
    finally:
        torch.set_num_threads(threads)
    return report


def _explain_fold_of_run(out: str | Path, dataset, data: NeuralData, fold: Fold,
                         run: Mapping[str, Any], methods: Sequence[str],
                         options: Mapping[str, Any], report: dict[str, Any]) -> None:
    """Fit and explain every pipeline of a stored run on one fold (runner seeding)."""
    from neurocompare.pipelines.registry import get_spec, make_pipeline
    from neurocompare.runner import seeded

    store = ImportanceStore(out)
    for name in run["names"]:
        if get_spec(name).applicable(data.info):
            continue
        estimator = seeded(make_pipeline(name, data.info), run["seed"])
        key = unit_key(dataset=dataset.fingerprint(), protocol=run["protocol"],
                       protocol_params=run["protocol_params"], fold=fold.id, pipeline=name,
                       pipeline_key=params_key(estimator), seed=run["seed"], permutation=0)
        if store.has(importance_key(key, methods, options)):
            report["skipped"] += 1
            continue
        try:
            estimator.fit(data.X[fold.train], data.y[fold.train])
            explain_and_store(out, name, estimator, data, fold, methods, run["seed"], key,
                              dataset=dataset.name, **options)
        except Exception as exc:  # keep going, as the runner does
            logger.debug(traceback.format_exc())
            report["errors"].append(f"{name} on {fold.id}: {type(exc).__name__}: {exc}")
            continue
        report["computed"] += 1
        logger.info("explained %s on %s", name, fold.id)


def importance_table(out: str | Path) -> pd.DataFrame:
    """Every stored importance row of an output folder."""
    return ImportanceStore(out).table()
