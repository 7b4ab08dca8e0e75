"""A fair tuning budget: nested hyperparameter search with Optuna inside the training fold.

:class:`OptunaSearch` wraps any registered pipeline. ``fit`` runs a seeded Optuna study on the
training fold only -- an inner stratified k-fold for traditional pipelines; for deep
pipelines the network's own validation split (carved from the training fold;
:data:`TRIAL_VALID_SIZE` of it when the recipe trains on the whole fold) with
Hyperband pruning and epochs as the resource -- then refits the best configuration on the
whole training fold. Every pipeline gets the same budget (trials, optionally capped in CPU
seconds); the trials run and CPU seconds spent are kept as fitted attributes and stored with
the results.

Search spaces are data, declared by each pipeline (``PipelineSpec.search_space``, looked up
with :func:`neurocompare.pipelines.registry.search_space_for`): ``{param: spec}`` where
``param`` is a parameter of the pipeline's last step (or a full ``step__param`` path) and spec
is ``("log", low, high)``, ``("float", low, high)``, ``("int", low, high)`` or a list of
choices. Spaces shared by several pipelines are the constants below.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import optuna
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error

__all__ = ["C_SPACE", "DEEP_SPACE", "OptunaSearch"]

logger = logging.getLogger(__name__)

#: Inverse regularisation of a linear classifier (logistic regression, linear SVM).
C_SPACE: dict[str, Any] = {"C": ("log", 1e-3, 1e2)}
#: Optimiser settings of a network trained by ``DeepClassifier`` (step ``net``).
DEEP_SPACE: dict[str, Any] = {"net__lr": ("log", 1e-4, 1e-2),
                              "net__weight_decay": ("log", 1e-6, 1e-2),
                              "net__batch_size": [16, 32, 64]}
#: Validation share a deep trial holds out of the training fold when its recipe trains on
#: the whole fold (``valid_size=0``): the trial is scored, and pruned, on it.
TRIAL_VALID_SIZE = 0.2


def _suggest(trial: optuna.Trial, name: str, spec: Any) -> Any:
    if isinstance(spec, list):
        return trial.suggest_categorical(name, spec)
    kind, low, high = spec
    if kind == "log":
        return trial.suggest_float(name, low, high, log=True)
    if kind == "float":
        return trial.suggest_float(name, low, high)
    if kind == "int":
        return trial.suggest_int(name, low, high)
    raise input_error(f"search_space[{name!r}]", "'log', 'float', 'int' or a list", kind)


def _full_name(estimator: BaseEstimator, param: str) -> str:
    if "__" in param or not isinstance(estimator, Pipeline):
        return param
    return f"{estimator.steps[-1][0]}__{param}"


def _deep_step(estimator: BaseEstimator):
    """The network step of a pipeline (the one trained for ``max_epochs``), if any."""
    steps = [s for _, s in estimator.steps] if isinstance(estimator, Pipeline) else [estimator]
    return next((s for s in steps if hasattr(s, "max_epochs")), None)


class OptunaSearch(ClassifierMixin, BaseEstimator):
    """Nested Optuna search inside the training fold, then refit on the whole fold.

    Parameters
    ----------
    estimator : BaseEstimator
        The pipeline to tune.
    search_space : mapping
        ``{param: spec}`` (see the module docstring).
    n_trials : int
        Trials per study (the budget shared by every pipeline).
    cpu_budget_s : float, optional
        Stop starting new trials once the study has used this many CPU seconds.
    cv : int
        Inner stratified folds (traditional pipelines).
    random_state : int
        Seed of the TPE sampler and the inner folds.

    Attributes
    ----------
    best_params_ : dict
    best_score_ : float
    best_estimator_ : BaseEstimator
        Refitted on the whole training fold.
    n_trials_done_ : int
        Trials run (completed or pruned).
    n_pruned_ : int
        Trials stopped early by the Hyperband pruner (deep pipelines).
    trial_epochs_ : list of int
        Epochs each trial trained before it ended or was pruned (deep pipelines).
    tuning_cpu_s_ : float
        CPU seconds spent by the study (refit excluded).
    """

    def __init__(self, estimator: BaseEstimator, search_space: Mapping[str, Any] | None = None,
                 n_trials: int = 20, cpu_budget_s: float | None = None, cv: int = 3,
                 random_state: int = 0):
        self.estimator = estimator
        self.search_space = search_space
        self.n_trials = n_trials
        self.cpu_budget_s = cpu_budget_s
        self.cv = cv
        self.random_state = random_state

    def _objective(self, X, y, deep: bool):
        space = dict(self.search_space or {})

        def objective(trial: optuna.Trial) -> float:
            params = {_full_name(self.estimator, k): _suggest(trial, k, v)
                      for k, v in space.items()}
            candidate = clone(self.estimator).set_params(**params)
            if not deep:
                cv = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
                return float(cross_val_score(candidate, X, y, cv=cv, n_jobs=1).mean())
            net = _deep_step(candidate)
            if not net.valid_size:  # a recipe without a split: trials still need a score
                net.set_params(valid_size=TRIAL_VALID_SIZE)

            def report(epoch: int, record: dict) -> bool:
                trial.report(record.get("valid_accuracy", 0.0), epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned()
                return False

            net._epoch_callback = report
            candidate.fit(X, y)
            return max(r.get("valid_accuracy", 0.0) for r in net.history_)

        return objective

    def fit(self, X, y):
        """Run the study on (X, y) -- the training fold -- and refit the best configuration."""
        if not isinstance(self.n_trials, (int, np.integer)) or self.n_trials < 1:
            raise input_error("n_trials", "a positive integer", self.n_trials)
        deep = _deep_step(self.estimator) is not None
        sampler = optuna.samplers.TPESampler(seed=self.random_state)
        max_epochs = getattr(_deep_step(self.estimator), "max_epochs", 100) if deep else 1
        pruner = optuna.pruners.HyperbandPruner(min_resource=max(1, max_epochs // 27),
                                                max_resource=max_epochs) if deep \
            else optuna.pruners.NopPruner()
        study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
        start = time.process_time()

        def budget(study: optuna.Study, _trial) -> None:
            if self.cpu_budget_s is not None and time.process_time() - start \
                    >= self.cpu_budget_s:
                study.stop()

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        if self.search_space:
            study.optimize(self._objective(X, y, deep), n_trials=int(self.n_trials),
                           callbacks=[budget], catch=(ValueError, FloatingPointError))
        self.tuning_cpu_s_ = time.process_time() - start
        done = [t for t in study.trials if t.state in (optuna.trial.TrialState.COMPLETE,
                                                       optuna.trial.TrialState.PRUNED)]
        self.n_trials_done_ = len(done)
        self.n_pruned_ = sum(t.state == optuna.trial.TrialState.PRUNED for t in done)
        #: epochs each trial trained (its last reported step; deep pipelines only)
        self.trial_epochs_ = [t.last_step for t in done] if deep else []
        complete = [t for t in done if t.state == optuna.trial.TrialState.COMPLETE]
        self.best_params_ = {_full_name(self.estimator, k): v
                             for k, v in (study.best_params.items() if complete else [])}
        self.best_score_ = float(study.best_value) if complete else float("nan")
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        self.classes_ = self.best_estimator_.classes_
        logger.debug("tuned %d trials, best %s", self.n_trials_done_, self.best_params_)
        return self

    def predict(self, X):
        """Predictions of the refitted best configuration."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        """Probabilities of the refitted best configuration."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @property
    def macs_(self) -> int:
        """Multiply-accumulates of the refitted network (0 for traditional pipelines)."""
        check_is_fitted(self)
        net = _deep_step(self.best_estimator_)
        return int(getattr(net, "macs_", 0)) if net is not None else 0
