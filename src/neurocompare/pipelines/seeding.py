"""Seeding a pipeline: one seed for every ``random_state`` parameter at any depth."""

from __future__ import annotations

from sklearn.base import BaseEstimator, clone

__all__ = ["seeded"]


def seeded(estimator: BaseEstimator, seed: int) -> BaseEstimator:
    """A clone of ``estimator`` with every ``random_state`` parameter set to ``seed``.

    Thread counts are set per worker process (torch and BLAS), not as parameters, so that
    result keys do not depend on the machine's core count or the number of jobs.
    """
    estimator = clone(estimator)
    params = estimator.get_params(deep=True)
    return estimator.set_params(**{k: seed for k in params
                                   if k.split("__")[-1] == "random_state"})
