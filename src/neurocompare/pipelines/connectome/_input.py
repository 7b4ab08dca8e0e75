"""Input validation of the ROI time-series estimators.

Time-series estimators take one series per subject, each of shape (n_timepoints_i, n_rois):

* a 1-D object array (the ``timeseries`` kind of :class:`~neurocompare.data.containers.
  NeuralData`) or a list of 2-D arrays, lengths may differ;
* a 3-D numeric array (n_subjects, n_timepoints, n_rois);
* a 2-D numeric array (n_subjects, n_timepoints) -- or a list of 1-D rows -- read as
  **single-ROI** series (as the EEG estimators read a 2-D array as single-channel epochs).
  This is what scikit-learn's generic estimator checks feed; a single ROI has a 1x1
  connectome, so connectivity pipelines see a constant there.

``n_features_in_`` is the number of ROIs (the number of columns for 2-D input, whose
column count is then fixed at fit, as for epochs). Series are returned through
:class:`Float32Series`, which converts each stored series (float16, a memory map...) to
float32 only when it is read, one subject at a time, so a fold never holds a converted copy
of the whole dataset.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_array

__all__ = ["Float32Series", "as_timeseries"]


class Float32Series(Sequence):
    """Read-only sequence of series, each converted to a float32 ndarray when read.

    Parameters
    ----------
    series : sequence of array-like, each shape (n_timepoints_i, n_rois)
    """

    def __init__(self, series: Sequence[np.ndarray]):
        self._series = series

    def __len__(self) -> int:
        return len(self._series)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Float32Series(self._series[index])
        return np.array(self._series[index], dtype=np.float32)

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]


def _check_one(x, i: int) -> tuple[int, int]:
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        x = np.asarray(x)
    if x.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if x.dtype.kind not in "fiub":
        raise ValueError(f"X[{i}]: expected a numeric series, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"X[{i}]: expected a 2-D series (n_timepoints, n_rois), got "
                         f"{x.ndim} dimension(s)")
    if x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"X[{i}]: expected >= 2 time points and >= 1 ROI, got shape "
                         f"{x.shape}")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise ValueError(f"X[{i}]: Input contains NaN or infinity.")
    return x.shape


def _record(estimator: BaseEstimator, n_features: int, shape: tuple, reset: bool) -> None:
    if reset:
        estimator.n_features_in_ = n_features
        estimator.signal_shape_ = shape
        return
    expected = getattr(estimator, "signal_shape_", None)
    if expected is None:
        return
    # 2-D input fixes the number of columns; series input fixes the number of ROIs only
    got = shape if len(expected) == 1 else shape[-1:]
    want = tuple(expected) if len(expected) == 1 else tuple(expected)[-1:]
    if len(shape) != len(expected) or tuple(got) != want:
        raise ValueError(f"X has {n_features} features, but {type(estimator).__name__} is "
                         f"expecting {estimator.n_features_in_} features as input (series "
                         f"shape {tuple(expected)}, got {tuple(shape)}).")


def as_timeseries(estimator: BaseEstimator, X, *, reset: bool) -> Float32Series:
    """Validate ``X`` as per-subject ROI time series and record or check its shape.

    Parameters
    ----------
    estimator : BaseEstimator
        The validating estimator; ``n_features_in_`` and ``signal_shape_`` are set when
        ``reset`` and checked otherwise.
    X : object array or list of arrays (n_timepoints_i, n_rois), or ndarray of shape
        (n_subjects, n_timepoints, n_rois) or (n_subjects, n_timepoints)
    reset : bool
        True in ``fit``, False in ``predict``/``transform``.

    Returns
    -------
    Float32Series
        ``n_subjects`` series, each read as float32 of shape (n_timepoints_i, n_rois).

    Raises
    ------
    ValueError
        Empty input, non-numeric or non-finite samples, fewer than 2 time points, or a
        number of ROIs (columns for 2-D input) that differs from the one seen in ``fit``.
    """
    numeric = isinstance(X, np.ndarray) and (X.dtype != object or X.ndim >= 2)
    nested = isinstance(X, (list, tuple)) and len(X) > 0 and np.ndim(X[0]) < 2  # rows
    if numeric or nested or not isinstance(X, (np.ndarray, list, tuple)):
        X = check_array(X, allow_nd=True, dtype="numeric", ensure_min_samples=1,
                        input_name="X", estimator=estimator)
        if X.ndim not in (2, 3):
            raise ValueError(f"X: expected a 2-D or 3-D array, got {X.ndim} dimensions")
        _record(estimator, X.shape[1] if X.ndim == 2 else X.shape[2], X.shape[1:], reset)
        if X.shape[1] < 2:
            raise ValueError(f"X has {X.shape[1]} feature(s) (time points); at least 2 are "
                             f"needed per series.")
        return Float32Series(X[:, :, None] if X.ndim == 2 else X)
    if len(X) == 0:
        raise ValueError("Found array with 0 sample(s) (shape=(0,)) while a minimum of 1 is "
                         "required.")
    shapes = [_check_one(x, i) for i, x in enumerate(X)]
    widths = {s[1] for s in shapes}
    if len(widths) > 1:
        raise ValueError(f"X: expected series with one number of ROIs, got {sorted(widths)}")
    n_rois = widths.pop()
    _record(estimator, n_rois, (None, n_rois), reset)
    return Float32Series(list(X))
