"""Input validation shared by every neurocompare estimator.

EEG estimators take epochs of shape (n_trials, n_channels, n_times). A 2-D array
(n_trials, n_times) is read as single-channel epochs, which is also what lets the estimators
run scikit-learn's generic estimator checks.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array

__all__ = ["as_epochs"]


def as_epochs(estimator: BaseEstimator, X, *, reset: bool, dtype=np.float64) -> np.ndarray:
    """Validate ``X`` as finite epochs and record or check its shape on ``estimator``.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator validating its input; ``n_features_in_`` (channels of 3-D input, samples
        of 2-D input) and ``signal_shape_`` are set when ``reset`` and checked otherwise.
    X : array-like, shape (n_trials, n_channels, n_times) or (n_trials, n_times)
    reset : bool
        True in ``fit``, False in ``predict``/``transform``.
    dtype : numpy dtype
        Output dtype.

    Returns
    -------
    ndarray, shape (n_trials, n_channels, n_times)
    """
    fast = (isinstance(X, np.ndarray) and X.dtype == dtype and X.ndim in (2, 3)
            and X.shape[0] >= 1 and X.size and np.isfinite(X.sum()))
    if not fast:  # scikit-learn's validation (and its error messages) for anything else
        X = check_array(X, allow_nd=True, dtype=dtype, ensure_min_samples=1,
                        input_name="X", estimator=estimator)
    if X.ndim not in (2, 3):
        raise ValueError(f"X: expected a 2-D or 3-D array, got {X.ndim} dimensions")
    n_features = X.shape[1]
    if reset:
        estimator.n_features_in_ = n_features
        estimator.signal_shape_ = X.shape[1:]
    else:
        expected = getattr(estimator, "signal_shape_", None)
        if expected is not None and tuple(X.shape[1:]) != tuple(expected):
            raise ValueError(
                f"X has {n_features} features, but {type(estimator).__name__} is expecting "
                f"{estimator.n_features_in_} features as input (signal shape {tuple(expected)}, "
                f"got {tuple(X.shape[1:])})."
            )
    return X[:, None, :] if X.ndim == 2 else X
