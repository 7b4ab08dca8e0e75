"""One data model for every kind of neural data.

A :class:`NeuralData` holds samples ``X``, targets ``y``, a metadata table with one row per
sample and a :class:`SignalInfo`. Five kinds share it:

========== ==================================================== ===========================
kind       X                                                    typical source
========== ==================================================== ===========================
epochs     float ndarray, shape (n_trials, n_channels, n_times) EEG/MEG trials
timeseries object ndarray of n_subjects float arrays, each        fMRI ROI time series
           shape (n_timepoints_i, n_rois); lengths may differ
tabular    float ndarray, shape (n_samples, n_features)          clinical / structural tables
molecules  object ndarray of SMILES strings, shape (n_samples,)  drug-discovery sets
pairs      object ndarray, shape (n_pairs, 2): (SMILES, amino-   drug-target affinities
           acid sequence) per drug-target pair
========== ==================================================== ===========================

Structure is validated once, here, by :func:`validate_data`; loaders call it through
:meth:`neurocompare.data.base.Dataset.load_subject`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from neurocompare._errors import check_option, input_error

__all__ = [
    "DATA_KINDS",
    "METADATA_COLUMNS",
    "NeuralData",
    "SignalInfo",
    "concat_data",
    "validate_data",
]

DATA_KINDS = ("epochs", "timeseries", "tabular", "molecules", "pairs")
TASKS = ("classification", "regression")
#: Columns every metadata table carries (other columns such as site, onset, group, age are
#: optional and dataset-specific).
METADATA_COLUMNS = ("subject", "session", "run")


@dataclass(frozen=True)
class SignalInfo:
    """Description of the samples shared by every row of a :class:`NeuralData`.

    Parameters
    ----------
    kind : {"epochs", "timeseries", "tabular", "molecules", "pairs"}
        Which of the five data kinds ``X`` holds.
    task : {"classification", "regression"}
        What ``y`` encodes.
    class_names : tuple of str
        For classification, the name of each integer class code: ``y == i`` means
        ``class_names[i]``. Empty for regression.
    sfreq : float, optional
        Sampling rate in Hz (epochs and time series).
    ch_names : tuple of str
        Channel (epochs), region (time series) or feature (tabular) names.
    ch_types : str
        MNE channel type of the channels, e.g. ``"eeg"``.
    montage : str, optional
        Name of an MNE built-in montage giving the channel positions, e.g. ``"colin27_1005"``.
    units : str
        Physical unit of ``X`` (``"V"``, ``"uV"``, ``"a.u."``); documents caveats such as
        mislabelled scaling.
    tmin : float
        Time of the first sample of an epoch relative to its event, in seconds.
    ground_truth : mapping, optional
        Planted effects of a simulated dataset (which channels and bands carry the effect),
        used to score interpretability.
    extra : mapping
        Any further dataset-specific description.
    """

    kind: str
    task: str = "classification"
    class_names: tuple[str, ...] = ()
    sfreq: float | None = None
    ch_names: tuple[str, ...] = ()
    ch_types: str = "eeg"
    montage: str | None = None
    units: str = "a.u."
    tmin: float = 0.0
    ground_truth: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names)


@dataclass
class NeuralData:
    """Samples, targets, per-sample metadata and signal info.

    Parameters
    ----------
    X : ndarray
        Samples; shape depends on ``info.kind`` (see the module docstring).
    y : ndarray, shape (n_samples,)
        Integer class codes (classification) or floats (regression).
    metadata : DataFrame, shape (n_samples, n_columns)
        One row per sample with at least ``subject``, ``session`` and ``run``.
    info : SignalInfo
        Shared description.
    """

    X: np.ndarray
    y: np.ndarray
    metadata: pd.DataFrame
    info: SignalInfo

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index: Sequence[int] | np.ndarray) -> NeuralData:
        """Return the samples at ``index`` (positions), metadata re-indexed from 0."""
        index = np.asarray(index)
        return NeuralData(
            X=self.X[index],
            y=self.y[index],
            metadata=self.metadata.iloc[index].reset_index(drop=True),
            info=self.info,
        )


def _object_array(items: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def concat_data(parts: Sequence[NeuralData]) -> NeuralData:
    """Concatenate several :class:`NeuralData` of the same kind and classes.

    Parameters
    ----------
    parts : sequence of NeuralData
        Typically one per subject.

    Returns
    -------
    NeuralData
        Samples in the order given; metadata index reset.
    """
    if not parts:
        raise input_error("parts", "at least one NeuralData", parts)
    info = parts[0].info
    for part in parts[1:]:
        if part.info.kind != info.kind or part.info.class_names != info.class_names:
            raise input_error(
                "parts",
                f"data of one kind and classes ({info.kind}, {info.class_names})",
                (part.info.kind, part.info.class_names),
            )
        if info.kind == "epochs" and part.X.shape[1:] != parts[0].X.shape[1:]:
            raise input_error(
                "parts", f"epochs of shape (n, {parts[0].X.shape[1:]})", part.X.shape
            )
    if info.kind in ("timeseries", "molecules"):
        X = _object_array([x for part in parts for x in part.X])
    else:
        X = np.concatenate([part.X for part in parts])
    return NeuralData(
        X=X,
        y=np.concatenate([part.y for part in parts]),
        metadata=pd.concat([part.metadata for part in parts], ignore_index=True),
        info=info,
    )


def _validate_X(X: Any, info: SignalInfo, source: str) -> None:
    name = f"{source}: X"
    if info.kind == "epochs":
        if not isinstance(X, np.ndarray) or X.ndim != 3:
            raise input_error(name, "an array of shape (n_trials, n_channels, n_times)",
                              getattr(X, "shape", type(X).__name__))
        if info.ch_names and X.shape[1] != len(info.ch_names):
            raise input_error(name, f"{len(info.ch_names)} channels (as in ch_names)",
                              f"{X.shape[1]} channels")
        if not np.issubdtype(X.dtype, np.floating) or not np.isfinite(X).all():
            raise input_error(name, "finite floating-point samples", "NaN, inf or non-float")
        if info.sfreq is None or info.sfreq <= 0:
            raise input_error(f"{source}: sfreq", "a positive sampling rate in Hz", info.sfreq)
    elif info.kind == "timeseries":
        widths = {np.shape(x)[1] if np.ndim(x) == 2 else -1 for x in X}
        if -1 in widths or len(widths) > 1:
            raise input_error(name, "2-D arrays (n_timepoints, n_rois) with one n_rois",
                              sorted(widths))
    elif info.kind == "tabular":
        if not isinstance(X, np.ndarray) or X.ndim != 2:
            raise input_error(name, "an array of shape (n_samples, n_features)",
                              getattr(X, "shape", type(X).__name__))
    elif info.kind == "molecules":
        if not all(isinstance(s, str) and s for s in X):
            raise input_error(name, "non-empty SMILES strings", "a non-string or empty entry")
    elif info.kind == "pairs":
        if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != 2:
            raise input_error(name, "an object array of shape (n_pairs, 2): (SMILES, "
                              "sequence)", getattr(X, "shape", type(X).__name__))
        if not all(isinstance(s, str) and s for s in X.ravel()):
            raise input_error(name, "non-empty SMILES and sequence strings",
                              "a non-string or empty entry")


def validate_data(data: NeuralData, source: str = "dataset") -> NeuralData:
    """Check the structure of ``data`` once, centrally, and return it.

    Parameters
    ----------
    data : NeuralData
        What a loader produced.
    source : str
        Dataset name or file, named in every error message.

    Returns
    -------
    NeuralData
        ``data`` itself, unchanged.

    Raises
    ------
    InputError
        When lengths disagree, metadata columns are missing, shapes are wrong for the kind,
        samples are not finite, or labels fall outside the declared classes.
    """
    info = data.info
    check_option(f"{source}: kind", info.kind, DATA_KINDS)
    check_option(f"{source}: task", info.task, TASKS)
    n = len(data.y)
    if n == 0:
        raise input_error(source, "at least one sample", "0 samples")
    if len(data.X) != n or len(data.metadata) != n:
        raise input_error(source, f"X, y and metadata of equal length ({n} targets)",
                          f"len(X)={len(data.X)}, len(metadata)={len(data.metadata)}")
    missing = [c for c in METADATA_COLUMNS if c not in data.metadata.columns]
    if missing:
        raise input_error(f"{source}: metadata", f"columns {list(METADATA_COLUMNS)}",
                          f"missing {missing}")
    if info.task == "classification":
        if not np.issubdtype(np.asarray(data.y).dtype, np.integer):
            raise input_error(f"{source}: y", "integer class codes", np.asarray(data.y).dtype)
        if info.n_classes < 2:
            raise input_error(f"{source}: class_names", "at least two classes", info.class_names)
        bad = np.setdiff1d(np.unique(data.y), np.arange(info.n_classes))
        if bad.size:
            raise input_error(f"{source}: y", f"codes in 0..{info.n_classes - 1} "
                              f"({', '.join(info.class_names)})", bad.tolist())
    _validate_X(data.X, info, source)
    return data
