"""Run pipelines on one fold and return tidy result rows (no storage here).

Features shared by several pipelines are computed once per fold: when two pipelines start
with the same transformer steps (same classes, same parameters), the fitted prefix and its
train/test outputs are reused. Each pipeline's recorded fit time still includes the shared
prefix's cost (as measured when it was computed), so cost comparisons stay honest while the
wall time is saved.

Side information (subjects as ``domains``, acquisition sites as ``sites``) reaches the
pipelines through scikit-learn's metadata routing, never through labels or features; see
:mod:`neurocompare.evaluation.routing` for what is passed and why routing is enabled only
around the fits and predictions that pass metadata.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from neurocompare._errors import input_error
from neurocompare.cost.ledger import (
    ENERGY_BASIS,
    LEDGER_COLUMNS,
    energy_estimate,
    operation_ledger,
)
from neurocompare.cost.timing import Cost, measure
from neurocompare.data.containers import NeuralData
from neurocompare.evaluation.metrics import fold_metrics
from neurocompare.evaluation.routing import routed_metadata, routing
from neurocompare.pipelines.common.steps import switched_off
from neurocompare.protocols.splitters import Fold

__all__ = [
    "FoldCache",
    "ProbeBudget",
    "count_macs",
    "count_parameters",
    "evaluate_fold",
    "fit_predict",
    "ledger_columns",
    "prefix_keys",
    "training_device",
]

logger = logging.getLogger(__name__)


@dataclass
class _Prefix:
    steps: list[tuple[str, BaseEstimator]]
    train: Any
    test: Any
    fit_cost: Cost
    transform_cost: Cost


def _add(a: Cost, b: Cost) -> Cost:
    return Cost(a.wall_s + b.wall_s, a.cpu_s + b.cpu_s, max(a.peak_mem_mb, b.peak_mem_mb))


@dataclass
class FoldCache:
    """Fitted pipeline prefixes of one fold, keyed by the steps' classes and parameters."""

    entries: dict[str, _Prefix] = field(default_factory=dict)
    hits: int = 0


def _step_key(step: BaseEstimator | str | None) -> str:
    return "passthrough" if switched_off(step) else joblib.hash((type(step).__qualname__,
                                                            step.get_params(deep=True)))


def prefix_keys(pipeline: Pipeline) -> tuple[str, ...]:
    """Cache keys of the transformer steps of ``pipeline`` (classes and parameters); equal
    for every clone, so a caller evaluating clones of one pipeline can compute them once."""
    return tuple(_step_key(step) for _, step in pipeline.steps[:-1])


def _fit_prefix(pipeline: Pipeline, X_train, y_train, X_test, cache: FoldCache,
                step_keys: Sequence[str] | None = None) -> _Prefix:
    """Fit the transformer steps of ``pipeline`` reusing the longest cached prefix."""
    steps = list(pipeline.steps[:-1])
    step_keys = prefix_keys(pipeline) if step_keys is None else step_keys
    done = _Prefix([], X_train, X_test, Cost(), Cost())
    for k in range(len(steps), 0, -1):
        hit = cache.entries.get("/".join(step_keys[:k]))
        if hit is not None:
            done, cache.hits = hit, cache.hits + 1
            break
    for k in range(len(done.steps), len(steps)):
        name, step = steps[k]
        with measure() as fit_cost:
            train = done.train if switched_off(step) else step.fit_transform(done.train, y_train)
        with measure() as transform_cost:
            test = done.test if switched_off(step) else step.transform(done.test)
        done = _Prefix([*done.steps, (name, step)], train, test,
                       _add(done.fit_cost, fit_cost), _add(done.transform_cost, transform_cost))
        cache.entries["/".join(step_keys[: k + 1])] = done
    return done


def training_device(estimator: BaseEstimator) -> str:
    """``"cuda"``/``"cpu"`` for pipelines holding a network, else ``"cpu"``."""
    steps = [s for _, s in estimator.steps] if isinstance(estimator, Pipeline) else [estimator]
    devices = {getattr(s, "device_", "cpu") for s in steps}
    return "cuda" if any(d.startswith("cuda") for d in devices) else "cpu"


def count_macs(estimator: BaseEstimator) -> int:
    """Multiply-accumulates per prediction of the networks in a fitted estimator (0 if none)."""
    steps = [s for _, s in estimator.steps] if isinstance(estimator, Pipeline) else [estimator]
    return int(sum(getattr(s, "macs_", 0) for s in steps))


def count_parameters(estimator: BaseEstimator) -> int:
    """Trainable parameters of the torch modules inside a fitted estimator (0 if none)."""
    estimators = [s for _, s in estimator.steps] if isinstance(estimator, Pipeline) \
        else [estimator]
    total = 0
    for est in estimators:
        module = getattr(est, "module_", None)
        if module is not None:
            total += sum(p.numel() for p in module.parameters() if p.requires_grad)
    return total


#: Single-trial predictions timed per fold (after the whole test fold was predicted, so
#: one-off warm-up costs are already paid); ``latency_ms`` is their median.
LATENCY_PROBES = 3
#: Test trials the operation ledger runs on per fold.
LEDGER_SAMPLE = 16


def ledger_columns(estimator: BaseEstimator, X_test) -> dict[str, Any]:
    """Operation-ledger columns of a fitted estimator, measured on up to 16 test trials.

    Never raises: a ledger failure is logged and gives NaNs, so the fold's result is kept.

    Returns
    -------
    dict
        ``ledger_<column>`` for each of
        :data:`~neurocompare.cost.ledger.LEDGER_COLUMNS` (per prediction), ``energy_j``
        (:func:`~neurocompare.cost.ledger.energy_estimate` at FP32: an estimate of
        compute energy that ignores memory traffic, see ``energy_basis``) and
        ``ledger_time_s`` (time spent counting).
    """
    start = time.perf_counter()
    try:
        ledger = operation_ledger(estimator, X_test[:LEDGER_SAMPLE])
        energy = energy_estimate(ledger, "fp32")
    except Exception as exc:  # the ledger is a side measurement: never lose a result to it
        logger.warning("operation ledger failed for %s: %s: %s", type(estimator).__name__,
                       type(exc).__name__, exc)
        ledger, energy = _NO_LEDGER, math.nan
    return _ledger_row(ledger, energy, time.perf_counter() - start)


_NO_LEDGER = dict.fromkeys(LEDGER_COLUMNS, math.nan)


def _ledger_row(ledger: Mapping[str, float], energy: float, seconds: float) -> dict[str, Any]:
    return {**{f"ledger_{key}": float(ledger[key]) for key in LEDGER_COLUMNS},
            "energy_j": float(energy), "energy_basis": ENERGY_BASIS, "ledger_time_s": seconds}


def _scores(estimator, X, params: Mapping[str, Any]) -> np.ndarray | None:
    if hasattr(estimator, "predict_proba"):
        try:
            return np.asarray(estimator.predict_proba(X, **params))
        except (AttributeError, NotImplementedError):
            pass
    if hasattr(estimator, "decision_function"):
        scores = np.asarray(estimator.decision_function(X, **params))
        return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores
    return None


def _probe(estimator: BaseEstimator, X_test, params: Mapping[str, Any]) -> dict[str, Any]:
    """Per-prediction costs: single-trial latency and the operation ledger."""
    start = time.perf_counter()
    latencies = []
    for i in range(min(LATENCY_PROBES, len(X_test))):
        trial = {key: value[i:i + 1] for key, value in params.items()}  # per-row metadata
        begin = time.perf_counter()
        estimator.predict(X_test[i:i + 1], **trial)
        latencies.append(time.perf_counter() - begin)
    out = {"latency_ms": 1000 * float(np.median(latencies)) if latencies else math.nan,
           **ledger_columns(estimator, X_test)}
    return out | {"probed": True, "probe_time_s": time.perf_counter() - start}


#: Columns of a fold whose per-prediction costs were not probed (see :class:`ProbeBudget`).
_NOT_PROBED = {"latency_ms": math.nan, **_ledger_row(_NO_LEDGER, math.nan, 0.0),
               "probed": False, "probe_time_s": 0.0}


@dataclass
class ProbeBudget:
    """Which folds measure per-prediction costs (latency probes and operation ledger).

    Those costs depend mostly on the fitted model's shape (steps, sizes, support vectors,
    trees), little on the fold, and on millisecond folds measuring them costs as much as
    the fit. A pipeline's first fold in a work unit is always probed; a later fold is
    probed while the probing so far has taken at most ``share`` of that pipeline's fit and
    predict time so far. Seconds-long fits (deep networks) are therefore probed on every
    fold; a fit that takes about as long as its probes, once per ``1 / share`` folds.
    Unprobed folds store NaN latency and ledger and ``probed = False``; per-pipeline
    summaries average the probed folds.

    Parameters
    ----------
    share : float
        Largest fraction of compute time spent probing (``inf``: probe every fold).
    """

    share: float = 0.02
    spent: dict[str, float] = field(default_factory=dict)
    compute: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.share, (int, float)) or math.isnan(self.share) \
                or self.share < 0:
            raise input_error("probe_share", "a fraction >= 0 (inf: probe every fold)",
                              self.share)

    def due(self, name: str) -> bool:
        """Whether pipeline ``name``'s next fold should be probed."""
        if name not in self.spent or math.isinf(self.share):
            return True
        return self.spent[name] <= self.share * self.compute[name]

    def record(self, name: str, result: Mapping[str, Any]) -> None:
        """Account one evaluated fold of pipeline ``name`` (a :func:`fit_predict` result)."""
        self.spent[name] = self.spent.get(name, 0.0) + result["probe_time_s"]
        self.compute[name] = (self.compute.get(name, 0.0) + result["fit_time_s"]
                              + result["predict_time_s"])


def fit_predict(estimator: BaseEstimator, X_train, y_train, X_test,
                cache: FoldCache | None = None, *, probe: bool = True,
                step_keys: Sequence[str] | None = None,
                fit_params: Mapping[str, Any] | None = None,
                predict_params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Fit ``estimator`` on the training fold and predict the test fold, measuring cost.

    Metadata (``fit_params``, ``predict_params``) is routed by scikit-learn: when either is
    given, the fit and every prediction run with ``enable_metadata_routing`` on, and the
    prefix cache is not used (its step-by-step fit does not route).

    Parameters
    ----------
    estimator : BaseEstimator
        Unfitted (it is fitted in place).
    X_train, y_train, X_test : array-like
    cache : FoldCache, optional
        Prefix cache of this fold (pipelines only).
    probe : bool
        Measure per-prediction costs (latency, operation ledger); NaN when False.
    step_keys : sequence of str, optional
        :func:`prefix_keys` of ``estimator`` when the caller has them.
    fit_params, predict_params : mapping of str to array-like, optional
        Per-row metadata for ``fit`` (training rows) and for the predictions (test rows,
        shape (n_test,) each), e.g. from
        :func:`~neurocompare.evaluation.routing.routed_metadata`.

    Returns
    -------
    dict
        ``estimator`` (fitted), ``y_pred``, ``scores`` (class scores or None) and costs:
        ``fit_time_s``, ``fit_cpu_s``, ``predict_time_s``, ``latency_ms`` (median single-trial
        prediction time over up to :data:`LATENCY_PROBES` trials), ``peak_mem_mb``,
        ``n_params``, ``macs``, ``train_device``, the operation ledger of one prediction
        (:func:`ledger_columns`: ``ledger_*`` counts, ``energy_j``, ``energy_basis``,
        ``ledger_time_s``), ``probed`` and ``probe_time_s`` (seconds spent probing).
    """
    fit_params, predict_params = dict(fit_params or {}), dict(predict_params or {})
    routed = bool(fit_params or predict_params)
    with routing(routed):
        out = _fit_predict(estimator, X_train, y_train, X_test, None if routed else cache,
                           probe, step_keys, fit_params, predict_params)
    return out


def _fit_predict(estimator: BaseEstimator, X_train, y_train, X_test, cache: FoldCache | None,
                 probe: bool, step_keys: Sequence[str] | None, fit_params: Mapping[str, Any],
                 predict_params: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(estimator, Pipeline) and cache is not None and len(estimator.steps) > 1:
        prefix = _fit_prefix(estimator, X_train, y_train, X_test, cache, step_keys)
        final_name, final = estimator.steps[-1]
        with measure() as final_cost:
            final.fit(prefix.train, y_train)
        estimator.steps[:] = [*prefix.steps, (final_name, final)]
        fit = _add(prefix.fit_cost, final_cost)
        with measure() as pred_cost:
            y_pred = final.predict(prefix.test)
        scores = _scores(final, prefix.test, {})
        pred_cost = _add(prefix.transform_cost, pred_cost)
    else:
        with measure() as fit:
            estimator.fit(X_train, y_train, **fit_params)
        with measure() as pred_cost:
            y_pred = estimator.predict(X_test, **predict_params)
        scores = _scores(estimator, X_test, predict_params)
    return {
        "estimator": estimator,
        "y_pred": np.asarray(y_pred),
        "scores": scores,
        "fit_time_s": fit.wall_s,
        "fit_cpu_s": fit.cpu_s,
        "predict_time_s": pred_cost.wall_s,
        "peak_mem_mb": max(fit.peak_mem_mb, pred_cost.peak_mem_mb),
        "n_params": count_parameters(estimator),
        "macs": count_macs(estimator),
        "train_device": training_device(estimator),
        **(_probe(estimator, X_test, predict_params) if probe else _NOT_PROBED),
    }


def _extra_columns(extra: Mapping[str, Any]) -> dict[str, Any]:
    """Protocol facts of a fold as store-friendly columns (numbers as floats, else text)."""
    out: dict[str, Any] = {}
    for key, value in extra.items():
        if isinstance(value, (bool, np.bool_)):
            out[key] = bool(value)
        elif isinstance(value, (int, float, np.integer, np.floating)):
            out[key] = float(value)
        else:
            out[key] = str(value)
    return out


def evaluate_fold(pipelines: Mapping[str, BaseEstimator], data: NeuralData, fold: Fold,
                  cache: FoldCache | None = None, *, probes: ProbeBudget | None = None,
                  step_keys: Mapping[str, Sequence[str]] | None = None,
                  ) -> dict[str, dict[str, Any]]:
    """Evaluate several unfitted pipelines on one fold.

    Parameters
    ----------
    pipelines : mapping of str to BaseEstimator
        Name -> unfitted estimator (each is fitted in place).
    data : NeuralData
        The data the fold's row positions refer to.
    fold : Fold
    cache : FoldCache, optional
        Shared-prefix cache; a fresh one is made when omitted.
    probes : ProbeBudget, optional
        Decides which pipelines measure per-prediction costs on this fold and is updated;
        every pipeline is probed when omitted.
    step_keys : mapping of str to sequence of str, optional
        :func:`prefix_keys` per pipeline name, when the caller evaluates clones of the same
        pipelines fold after fold.

    Returns
    -------
    dict of str to dict
        Per pipeline: the fold metrics
        (:func:`~neurocompare.evaluation.metrics.fold_metrics`) merged with the costs of
        :func:`fit_predict`, plus ``n_train``, ``n_test``, ``fold``, ``fold_digest``,
        ``subject``, ``session``; the fitted estimator and predictions under ``estimator`` and
        ``y_pred``.
    """
    cache = FoldCache() if cache is None else cache
    X_train, y_train = data.X[fold.train], data.y[fold.train]
    X_test, y_test = data.X[fold.test], data.y[fold.test]
    results = {}
    for name, estimator in pipelines.items():
        fit_params, predict_params = routed_metadata(estimator, name, data, fold)
        out = fit_predict(estimator, X_train, y_train, X_test, cache,
                          probe=probes is None or probes.due(name),
                          step_keys=(step_keys or {}).get(name), fit_params=fit_params,
                          predict_params=predict_params)
        if probes is not None:
            probes.record(name, out)
        scores = out["scores"]
        if scores is not None and scores.shape[1] != data.info.n_classes:
            scores = None  # a training fold missed a class; AUC is undefined
        metrics = fold_metrics(y_test, out["y_pred"], scores, data.info.n_classes,
                               data.info.extra.get("affinity_threshold"))
        results[name] = {**metrics, **out, "n_train": len(fold.train), "n_test": len(fold.test),
                         "fold": fold.id, "fold_digest": fold.digest, "subject": fold.subject,
                         "session": fold.session, **_extra_columns(fold.extra)}
        logger.debug("%s %s: accuracy %.3f, mae %.3g", fold.id, name, metrics["accuracy"],
                     metrics["mae"])
    return results
