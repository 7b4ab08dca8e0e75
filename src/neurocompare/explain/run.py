"""Explain fitted pipelines on their test folds and store tidy importance rows.

:func:`explain_fold` runs the requested methods that apply to a fitted pipeline and returns
one row per (method, group type, group); :func:`explain_and_store` writes them to the
:class:`~neurocompare.records.importance.ImportanceStore` (``<out>/importance``) under
:func:`importance_key`. The runner calls it for every fitted (pipeline, fold) of a run that
asks for explanations, including runs re-opened to be explained afterwards
(:func:`neurocompare.runner.explain_results`), so importances always join a stored result.

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
Molecule data (``info.kind == "molecules"``) are explained by
:func:`neurocompare.explain.molecules.explain_molecules`: ``shap`` and ``permutation`` over
the Morgan-fingerprint bits of pipelines whose model reads a Morgan step (other molecule
pipelines give no rows); any other method on molecule data raises.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import get_scorer_names

from neurocompare._errors import check_option, input_error
from neurocompare.data.containers import NeuralData
from neurocompare.explain._layout import final_estimator, split_pipeline
from neurocompare.explain.grouped import BAND_MODES, GROUP_TYPES, SCORERS, grouped_importance
from neurocompare.explain.model_specific import (
    _TREES,
    GRADIENT_METHODS,
    csp_channel_importance,
    gradient_attributions,
    linear_patterns,
    shap_bandpower,
)
from neurocompare.explain.molecules import explain_molecules
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.protocols.splitters import Fold
from neurocompare.records.importance import ImportanceStore
from neurocompare.records.keys import canonical_params, unit_key

__all__ = [
    "DEFAULT_METHODS",
    "DEFAULT_OPTIONS",
    "METHODS",
    "OPTIONS",
    "applicable_methods",
    "check_methods",
    "explain_and_store",
    "explain_fold",
    "importance_key",
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


def check_methods(methods: Sequence[str], options: Mapping[str, Any]) -> None:
    """Check explanation method names and options (the error lists the valid ones)."""
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise input_error("methods", f"some of {list(METHODS)}", unknown)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise input_error("explain options", f"some of {list(OPTIONS)}", unknown)
    _check_option_values(options)


def _check_option_values(options: Mapping[str, Any]) -> None:
    """Check the values of explanation options before any fold is fitted."""
    repeats = options.get("n_repeats", 1)
    if isinstance(repeats, bool) or not isinstance(repeats, int | np.integer) or repeats < 1:
        raise input_error("explain option n_repeats", "a positive integer", repeats)
    scoring = options.get("scoring", "accuracy")
    if not isinstance(scoring, str) or (scoring not in SCORERS
                                        and scoring not in get_scorer_names()):
        raise input_error("explain option scoring", f"one of {list(SCORERS)} (molecule data: "
                          "a scikit-learn scorer name)", scoring)
    check_option("explain option band_mode", options.get("band_mode", "permute"), BAND_MODES)
    types = options.get("group_types", GROUP_TYPES)
    if isinstance(types, str) or not isinstance(types, Sequence) or not types or \
            not set(types) <= set(GROUP_TYPES):
        raise input_error("explain option group_types", f"a list of some of {GROUP_TYPES}",
                          types)
    window = options.get("window", 0.5)
    if isinstance(window, bool) or not isinstance(window, int | float) or not window > 0:
        raise input_error("explain option window", "a positive length in seconds", window)
    bands = options.get("bands")
    if bands is not None and (not isinstance(bands, Mapping) or not bands or not all(
            isinstance(b, Sequence) and len(b) == 2 and all(
                isinstance(f, int | float) and not isinstance(f, bool) for f in b)
            and 0 <= b[0] < b[1] for b in bands.values())):
        raise input_error("explain option bands", "a table name -> (low, high) in Hz, "
                          "0 <= low < high", bands)


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
        group_type, group, importance, importance_sd, baseline, n_repeats, seed (molecule
        data: bit and example-molecule rows, see :func:`~neurocompare.explain.molecules
        .explain_molecules`). Empty for other kinds (no channels, bands, time or bits).
    """
    check_methods(methods, options)
    base = {"dataset": dataset, "subject": str(fold.subject), "session": str(fold.session),
            "pipeline": name, "fold": fold.id, "fold_digest": fold.digest, "seed": int(seed)}
    if data.info.kind == "molecules":
        scoring = options.get("scoring", DEFAULT_OPTIONS["scoring"])
        if data.info.task == "regression" and scoring == DEFAULT_OPTIONS["scoring"]:
            scoring = None  # the default is a classification score: the model's own (R^2)
        found = explain_molecules(fitted_estimator, data, fold, methods, seed, scoring=scoring,
                                  n_repeats=options.get("n_repeats",
                                                        DEFAULT_OPTIONS["n_repeats"]))
        return [{**base, **row} for row in found]
    if data.info.kind != "epochs":
        logger.debug("%s: %s data is not explained (epochs, molecules only)", name,
                     data.info.kind)
        return []
    usable = applicable_methods(fitted_estimator)
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
