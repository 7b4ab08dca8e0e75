"""The sanity check of deep pipelines: can each network overfit a small training set?

A network that cannot reach near-perfect accuracy on a few dozen trials it is trained on,
with no validation split and no early stopping, has broken wiring, a wrong input scale or a
dead learning rate, and any comparison it enters would only measure that. The check trains
each deep (and spiking) pipeline of a run on a small class-balanced subset of the first
subject of every dataset and reports its training accuracy against :data:`PASS_ACCURACY`.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score

from neurocompare._errors import input_error
from neurocompare.data.registry import make_dataset
from neurocompare.pipelines.registry import get_spec, make_pipeline
from neurocompare.pipelines.seeding import seeded
from neurocompare.runner.config import RunConfig

__all__ = ["PASS_ACCURACY", "SanityResult", "sanity_check"]

logger = logging.getLogger(__name__)

#: Training accuracy a network must reach on the small set to pass.
PASS_ACCURACY = 0.95


@dataclass(frozen=True)
class SanityResult:
    """One pipeline on one dataset: training accuracy on ``n_trials`` trials, epochs run."""

    dataset: str
    pipeline: str
    n_trials: int
    train_accuracy: float
    epochs: int
    error: str = ""

    @property
    def passed(self) -> bool:
        """Whether the network overfit the small set (and trained without error)."""
        return not self.error and self.train_accuracy >= PASS_ACCURACY


def _balanced_subset(y: np.ndarray, n_trials: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per_class = max(1, n_trials // len(classes))
    picks = [rng.permutation(np.flatnonzero(y == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(picks))


def sanity_check(config: RunConfig, n_trials: int = 40) -> list[SanityResult]:
    """Train every deep and spiking pipeline of ``config`` on ``n_trials`` trials of each
    dataset's first subject, without validation split or early stopping, and score it on
    those same trials.

    Parameters
    ----------
    config : RunConfig
        The run whose pipelines are checked (traditional ones are skipped).
    n_trials : int
        Size of the class-balanced training set.
    """
    if not isinstance(n_trials, int) or n_trials < 4:
        raise input_error("n_trials", "an integer of at least 4", n_trials)
    results = []
    for name, params in config.datasets:
        dataset = make_dataset(name, **params)
        data = dataset.load_subject(dataset.subjects()[0])
        keep = _balanced_subset(data.y, n_trials, config.seed)
        X, y = data.X[keep], data.y[keep]
        for label in config.pipelines:
            spec = get_spec(label)
            if spec.family == "traditional" or spec.applicable(data.info):
                continue
            estimator = seeded(make_pipeline(label, data.info), config.seed)
            estimator.set_params(**{k: 0.0 for k in estimator.get_params(deep=True)
                                    if k.split("__")[-1] == "valid_size"})
            try:
                estimator.fit(X, y)
                accuracy = float(accuracy_score(y, estimator.predict(X)))
                net = estimator[-1] if hasattr(estimator, "steps") else estimator
                results.append(SanityResult(name, label, len(y), accuracy,
                                            int(getattr(net, "n_epochs_", 0))))
            except Exception as exc:  # reported, never raised: the check is advice
                logger.debug(traceback.format_exc())
                results.append(SanityResult(name, label, len(y), float("nan"), 0,
                                            f"{type(exc).__name__}: {exc}"))
    return results
