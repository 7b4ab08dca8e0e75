"""Input validation shared by every neurocompare estimator.

EEG estimators take epochs of shape (n_trials, n_channels, n_times). A 2-D array
(n_trials, n_times) is read as single-channel epochs, which is also what lets the estimators
run scikit-learn's generic estimator checks.

:func:`check_params` validates a built pipeline's parameters without fitting it, so a run
rejects a bad value before any work instead of once per fold.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array

from neurocompare._errors import input_error

__all__ = ["as_epochs", "check_params"]

#: Methods that validate an estimator's own parameters without data: scikit-learn's
#: ``_validate_params`` (its ``_parameter_constraints``; the deep estimators override it) and
#: the ``_check_params`` / ``_check_training_params`` the other estimators call first in fit.
_VALIDATORS = ("_validate_params", "_check_training_params", "_check_params")


def _validators(part: BaseEstimator) -> list[Callable[[], object]]:
    out = []
    for name in _VALIDATORS:
        method = getattr(type(part), name, None)
        if method is None:
            continue
        if method is BaseEstimator._validate_params and not hasattr(part,
                                                                   "_parameter_constraints"):
            continue  # scikit-learn's method, but no constraints declared to check
        out.append(getattr(part, name))
    return out


def check_params(estimator: BaseEstimator, label: str, what: str = "pipeline") -> None:
    """Validate the parameters of ``estimator`` and of every estimator nested in it, without
    fitting: what each one's ``fit`` would reject first.

    Parameters
    ----------
    estimator : BaseEstimator
        A built, unfitted pipeline (steps ``None`` or ``"passthrough"`` are skipped).
    label : str
        The pipeline as the user named it, shown in the error.
    what : str
        What ``label`` names (``"pipeline"``, ``"generator"``).

    Raises
    ------
    InputError
        Naming ``label``, the step (its ``get_params`` path) and the check's message.
    """
    parts = [("", estimator)] + [(path, value) for path, value in
                                 estimator.get_params(deep=True).items()
                                 if isinstance(value, BaseEstimator)]
    for path, part in parts:
        for validate in _validators(part):
            try:
                validate()
            except (ValueError, TypeError) as exc:  # InputError, InvalidParameterError
                step = f"step {path!r}" if path else "the estimator"
                raise input_error(f"{what} {label!r}", "parameters its steps accept",
                                  f"{step}: {type(part).__name__}",
                                  hint=" ".join(str(exc).split())) from exc


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
