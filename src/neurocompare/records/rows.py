"""One stored result row: a fold's metrics and costs with the provenance to trust them."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sklearn.base import BaseEstimator

from neurocompare.evaluation.training import training_columns
from neurocompare.records.keys import canonical_params, params_key
from neurocompare.records.manifest import package_versions

__all__ = ["result_row"]

#: Items of an evaluation result that are objects, not columns.
_OBJECTS = frozenset({"estimator", "y_pred", "scores"})


def result_row(*, dataset: str, dataset_key: str, pipeline: str, family: str,
               estimator: BaseEstimator, result: Mapping[str, Any], key: str, protocol: str,
               protocol_params: Mapping[str, Any], seed: int, permutation: int,
               n_classes: int, tune: int = 0, data_sha256: str | None = None
               ) -> dict[str, Any]:
    """The flat row stored for one evaluated (pipeline, fold).

    Parameters
    ----------
    dataset, dataset_key : str
        Dataset name and fingerprint.
    pipeline, family : str
        Registered pipeline name and its family.
    estimator : BaseEstimator
        The fitted estimator (its canonical parameters are stored; with ``tune`` an
        :class:`~neurocompare.pipelines.common.tuning.OptunaSearch`).
    result : mapping
        One pipeline's :func:`~neurocompare.evaluation.fold.evaluate_fold` result.
    key : str
        The result key.
    protocol : str
    protocol_params : mapping
    seed, permutation : int
    n_classes : int
        Classes of the dataset (chance level and metrics depend on it).
    tune : int
        Optuna trials per fold (0: untuned); tuned rows are named ``"<pipeline> (optuna N)"``
        and carry ``tuning_trials``, ``tuning_cpu_s`` and ``tuned_params``.
    data_sha256 : str, optional
        Digest of the data files the result was computed from
        (:func:`~neurocompare.records.manifest.files_digest`, checked by the worker against
        the planner's); None for data made in memory. Rows stored before this column
        existed lack it.

    Returns
    -------
    dict
        Numbers, strings and booleans only (nested values as JSON). Rows of pipelines that
        train a network carry its training diagnostics
        (:func:`~neurocompare.evaluation.training.training_columns`: epochs, best epoch, stop
        reason, final losses and accuracies, ``learned``, the per-epoch ``training_curve``).
    """
    canonical = canonical_params(estimator)
    row = {"dataset": dataset, "dataset_key": dataset_key, "data_sha256": data_sha256,
           "pipeline": pipeline,
           "family": family, "pipeline_key": params_key(estimator, canonical),
           "protocol": protocol, "protocol_params": json.dumps(dict(protocol_params),
                                                               sort_keys=True),
           "seed": seed, "permutation": permutation, "n_classes": n_classes}
    row |= {k: v for k, v in result.items() if k not in _OBJECTS}
    row |= training_columns(estimator)
    row["subject"] = str(row["subject"])
    row["session"] = str(row["session"])
    row |= {"params": json.dumps(canonical, sort_keys=True, default=repr),
            "versions": package_versions(), "host": platform.node(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "key": key}
    if tune:
        row |= {"pipeline": f"{pipeline} (optuna {tune})",
                "tuning_trials": int(estimator.n_trials_done_),
                "tuning_cpu_s": float(estimator.tuning_cpu_s_),
                "tuned_params": json.dumps(estimator.best_params_, default=str)}
    return row
