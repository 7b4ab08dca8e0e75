"""The training loop shared by the molecule networks (graph network and fingerprint MLP).

:class:`MolNetBase` trains any network built by a subclass on any input the subclass encodes
(graphs of SMILES, fingerprint matrices), for classification or regression, with the same
rules as :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`:

* everything learned comes from the training fold: early stopping monitors a validation
  split carved from the training fold only (stratified for classification, random for
  regression, both seeded), and regression targets are standardised with the mean and
  standard deviation of the training fold (undone at prediction);
* Adam, seeded mini-batch order, cross-entropy or mean squared error, early stopping after
  ``patience`` epochs without validation-loss improvement, best weights restored;
* seeded through ``random_state`` without touching the global torch RNG; ``n_threads``
  torch threads (1 by default) during fit and predict, restored afterwards; ``device="auto"``
  trains on CUDA when available, inference runs in float64 on the CPU, so a molecule's
  output does not depend on its batch.

The fitted attributes are those :mod:`neurocompare.evaluation.training` reads
(``history_``, ``best_epoch_``, ``n_epochs_``, ``stop_reason_``, ``n_train_fit_``, and for
classifiers ``train_accuracy_``/``majority_rate_``); regressors record ``train_r2_`` and
``train_pearson_`` of the kept weights on the rows they were trained on instead.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn

from neurocompare._errors import input_error
from neurocompare.pipelines.common.early_stopping import BestWeights
from neurocompare.pipelines.deep.estimator import resolve_device

__all__ = [
    "ClassifierOutputs",
    "MolNetBase",
    "RegressorOutputs",
    "check_counts",
    "check_device",
    "check_fraction",
    "check_threads",
    "encode_targets",
    "r2_score",
    "summarise_fit",
    "target_scaling",
    "torch_scope",
    "validation_split",
]

logger = logging.getLogger(__name__)

#: Rows per inference batch.
_PREDICT_BATCH = 512


def validation_split(y: np.ndarray, valid_size: float, *, stratify: bool,
                     random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation positions inside a training fold.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        Class codes (``stratify=True``) or targets.
    valid_size : float
        Fraction held out; 0 (or too few samples to hold any out) gives no validation rows.
    stratify : bool
        Keep class proportions (when every class has at least 2 samples).
    random_state : int

    Returns
    -------
    train_idx, valid_idx : ndarray of int
    """
    index = np.arange(len(y))
    n_valid = round(valid_size * len(y))
    n_classes = len(np.unique(y)) if stratify else 1
    if valid_size == 0 or n_valid < max(n_classes, 1) or len(y) - n_valid < 2:
        return index, index[:0]
    strata = y if stratify and np.bincount(y).min() >= 2 else None
    train_idx, valid_idx = train_test_split(index, test_size=n_valid, stratify=strata,
                                            random_state=random_state)
    return np.sort(train_idx), np.sort(valid_idx)


def target_scaling(y: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of regression targets (scale 1 for constant targets)."""
    mean, scale = float(np.mean(y)), float(np.std(y))
    return mean, scale if scale > 0 else 1.0


def r2_score(y: np.ndarray, prediction: np.ndarray) -> float:
    """Coefficient of determination (NaN for constant ``y``)."""
    total = float(np.sum((y - np.mean(y)) ** 2))
    return 1.0 - float(np.sum((y - prediction) ** 2)) / total if total > 0 else float("nan")


def check_device(device: Any) -> None:
    """Raise an input error unless ``device`` is ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``."""
    if device not in ("auto", "cpu", "cuda") and not str(device).startswith("cuda:"):
        raise input_error("device", "'auto', 'cpu' or 'cuda[:i]'", device)


def check_counts(owner: Any, names: tuple[str, ...], minimum: int = 1) -> None:
    """Raise an input error unless each parameter ``names`` of ``owner`` is an integer
    (not a bool) of at least ``minimum``."""
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                or value < minimum:
            raise input_error(name, f"an integer >= {minimum}", value)


def check_fraction(name: str, value: Any) -> None:
    """Raise an input error unless ``value`` is a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise input_error(name, "a number in [0, 1)", value)


def check_threads(n_threads: Any) -> None:
    """Raise an input error unless ``n_threads`` is None or a positive integer."""
    if n_threads is not None and (isinstance(n_threads, bool) or not isinstance(
            n_threads, (int, np.integer)) or n_threads < 1):
        raise input_error("n_threads", "a positive integer or None", n_threads)


@contextlib.contextmanager
def torch_scope(n_threads: int | None, device: torch.device, seed: int) -> Iterator[None]:
    """Seed torch for a fit without touching the caller's state.

    Inside: ``n_threads`` torch threads (None: unchanged), a forked RNG (CPU, and
    ``device`` if CUDA) seeded with ``seed``. On exit the thread count, the RNG, the
    deterministic-algorithm flags and ``CUBLAS_WORKSPACE_CONFIG`` (which lightning's
    ``deterministic=True`` sets) are as they were.
    """
    threads = torch.get_num_threads()
    flags = (torch.are_deterministic_algorithms_enabled(),
             torch.is_deterministic_algorithms_warn_only_enabled())
    env = os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    if n_threads:
        torch.set_num_threads(int(n_threads))
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(flags[0], warn_only=flags[1])
        if env is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = env


def encode_targets(estimator: BaseEstimator, y: Any, n: int) -> tuple[np.ndarray, int]:
    """Training targets of ``estimator`` (its ``_task``) and its output width.

    Classification: sets ``classes_``, returns the class codes (int64) and the number of
    classes. Regression: sets ``y_mean_``/``y_scale_`` (:func:`target_scaling` of ``y``),
    returns the standardised targets (float32) and 1.
    """
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the "
                         f"target y is None.")
    y = column_or_1d(y, warn=True)
    if len(y) != n:
        raise input_error("y", f"{n} targets (one per sample)", f"{len(y)} targets")
    if estimator._task == "classification":
        check_classification_targets(y)
        estimator.classes_, codes = np.unique(y, return_inverse=True)
        if len(estimator.classes_) < 2:
            raise ValueError(f"Classifier can't train when only one class is present: "
                             f"{estimator.classes_.tolist()}")
        return codes.astype(np.int64), len(estimator.classes_)
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise input_error("y", "numeric regression targets", y) from error
    assert_all_finite(values, input_name="y")  # scikit-learn's own NaN / infinity messages
    estimator.y_mean_, estimator.y_scale_ = target_scaling(values)
    return ((values - estimator.y_mean_) / estimator.y_scale_).astype(np.float32), 1


def summarise_fit(estimator: BaseEstimator, outputs: np.ndarray, truth: np.ndarray) -> None:
    """Set the "did it learn?" attributes from the kept weights' outputs on the rows they
    were trained on: ``n_train_fit_``, and ``train_accuracy_``/``majority_rate_``
    (classifier: ``outputs`` are scores, shape (n, n_classes)) or ``train_r2_``/
    ``train_pearson_`` (regressor: standardised predictions, shape (n, 1))."""
    estimator.n_train_fit_ = len(truth)
    if estimator._task == "classification":
        estimator.train_accuracy_ = float(np.mean(outputs.argmax(1) == truth))
        estimator.majority_rate_ = float(np.bincount(truth).max() / len(truth))
        return
    fitted, truth = outputs[:, 0].astype(np.float64), truth.astype(np.float64)
    estimator.train_r2_ = r2_score(truth, fitted)
    ok = len(truth) > 2 and np.std(fitted) > 0 and np.std(truth) > 0
    estimator.train_pearson_ = float(np.corrcoef(truth, fitted)[0, 1]) if ok else float("nan")


class MolNetBase(BaseEstimator):
    """Base of the molecule networks' estimators: the training loop, no network.

    A subclass sets ``_task`` (``"classification"`` or ``"regression"``) and implements
    ``_encode(X, reset)`` (inputs for the network, indexable by row), ``_build(n_outputs)``
    (the untrained network) and ``_forward(module, inputs, rows, device, dtype)`` (outputs
    of shape (len(rows), n_outputs)). Its ``__init__`` stores ``dropout``, ``max_epochs``,
    ``batch_size``,
    ``lr``, ``weight_decay``, ``valid_size``, ``patience``, ``device``, ``random_state`` and
    ``n_threads``.
    """

    _task: ClassVar[str] = "classification"

    # -- hooks -----------------------------------------------------------------------------
    def _encode(self, X: Any, reset: bool) -> Any:
        raise NotImplementedError

    def _build(self, n_outputs: int) -> nn.Module:
        raise NotImplementedError

    def _forward(self, module: nn.Module, inputs: Any, rows: np.ndarray,
                 device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        raise NotImplementedError

    def _macs(self, module: nn.Module, inputs: Any) -> int:
        """Multiply-accumulates of one prediction (a subclass hook; 0 when not counted)."""
        return 0

    # -- validation ------------------------------------------------------------------------
    def _check_training_params(self) -> None:
        check_counts(self, ("max_epochs", "batch_size", "patience"))
        check_fraction("valid_size", self.valid_size)
        check_fraction("dropout", self.dropout)
        if not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise input_error("lr", "a positive learning rate", self.lr)
        if not isinstance(self.weight_decay, (int, float)) or self.weight_decay < 0:
            raise input_error("weight_decay", "a non-negative number", self.weight_decay)
        check_device(self.device)
        check_threads(self.n_threads)

    # -- fit -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> MolNetBase:
        """Train on ``X`` (the training fold), early-stopping on a split of it.

        Parameters
        ----------
        X : array-like, shape (n_samples,) or (n_samples, n_features)
            What the subclass reads (SMILES strings, fingerprints).
        y : array-like, shape (n_samples,)
            Class labels or regression targets.

        Returns
        -------
        self
        """
        self._check_training_params()
        self._check_params()
        inputs = self._encode(X, reset=True)
        targets, n_outputs = encode_targets(self, y, len(inputs))
        train_idx, valid_idx = validation_split(
            targets, self.valid_size, stratify=self._task == "classification",
            random_state=self.random_state)
        self.valid_indices_ = np.asarray(valid_idx, dtype=np.intp)
        device = resolve_device(self.device)
        self.device_ = str(device)
        with torch_scope(self.n_threads, device, self.random_state):
            module = self._build(n_outputs).to(device)
            self._train(module, inputs, targets, train_idx, valid_idx, device)
            self.module_ = module.cpu().eval()
            self._fit_summary(inputs, targets, train_idx)
        self.n_params_ = sum(p.numel() for p in self.module_.parameters() if p.requires_grad)
        self.macs_ = int(self._macs(self.module_, inputs))
        return self

    def _loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self._task == "classification":
            return nn.functional.cross_entropy(outputs, targets)
        return nn.functional.mse_loss(outputs[:, 0], targets)

    def _score(self, outputs: np.ndarray, targets: np.ndarray) -> tuple[str, float]:
        """The epoch record's quality measure: accuracy or R^2 (standardised scale)."""
        if self._task == "classification":
            return "accuracy", float(np.mean(outputs.argmax(1) == targets))
        return "r2", r2_score(targets, outputs[:, 0])

    def _train(self, module: nn.Module, inputs: Any, targets: np.ndarray,
               train_idx: np.ndarray, valid_idx: np.ndarray, device: torch.device) -> None:
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr,
                                     weight_decay=self.weight_decay)
        target_t = torch.as_tensor(targets, device=device)
        generator = torch.Generator().manual_seed(self.random_state)
        self.history_, self.best_epoch_ = [], 0
        stopper = BestWeights(self.patience)
        self.stop_reason_ = "max_epochs"
        for epoch in range(1, self.max_epochs + 1):
            start = time.perf_counter()
            module.train()
            total, seen, outputs_seen, rows_seen = 0.0, 0, [], []
            order = torch.randperm(len(train_idx), generator=generator).numpy()
            for begin in range(0, len(order), self.batch_size):
                rows = train_idx[order[begin:begin + self.batch_size]]
                optimizer.zero_grad()
                outputs = self._forward(module, inputs, rows, device, torch.float32)
                loss = self._loss(outputs, target_t[torch.as_tensor(rows, device=device)])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(rows)
                seen += len(rows)
                outputs_seen.append(outputs.detach().cpu().numpy())
                rows_seen.append(rows)
            measure, value = self._score(np.concatenate(outputs_seen),
                                         targets[np.concatenate(rows_seen)])
            record = {"epoch": epoch, "train_loss": total / seen, f"train_{measure}": value}
            if len(valid_idx):
                outputs = self._outputs(module, inputs, valid_idx, device, torch.float32)
                valid_loss = float(self._loss(outputs, target_t[torch.as_tensor(
                    valid_idx, device=device)]))
                record["valid_loss"] = valid_loss
                record[f"valid_{measure}"] = self._score(outputs.cpu().numpy(),
                                                         targets[valid_idx])[1]
                stopper.update(epoch, valid_loss, module)
                self.best_epoch_ = stopper.best_epoch
            else:
                self.best_epoch_ = epoch
            record["seconds"] = time.perf_counter() - start
            self.history_.append(record)
            if len(valid_idx) and stopper.exhausted:
                self.stop_reason_ = "early_stopping"
                break
        stopper.restore(module)
        self.n_epochs_ = len(self.history_)
        logger.debug("%s: %d epochs, best %d", type(self).__name__, self.n_epochs_,
                     self.best_epoch_)

    def _fit_summary(self, inputs: Any, targets: np.ndarray, train_idx: np.ndarray) -> None:
        outputs = self._outputs(copy.deepcopy(self.module_).double(), inputs, train_idx,
                                torch.device("cpu"), torch.float64).numpy()
        summarise_fit(self, outputs, targets[train_idx])

    def _outputs(self, module: nn.Module, inputs: Any, rows: np.ndarray,
                 device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """Network outputs in evaluation mode, shape (len(rows), n_outputs)."""
        module.eval()
        with torch.no_grad():
            return torch.cat([self._forward(module, inputs, rows[i:i + _PREDICT_BATCH], device,
                                            dtype)
                              for i in range(0, len(rows), _PREDICT_BATCH)])

    # -- predict ---------------------------------------------------------------------------
    def _predict_outputs(self, X: Any) -> np.ndarray:
        """Float64 CPU outputs of the kept network, shape (n_samples, n_outputs)."""
        check_is_fitted(self, "module_")
        inputs = self._encode(X, reset=False)
        threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(int(self.n_threads))
        try:
            module = copy.deepcopy(self.module_).double()
            return self._outputs(module, inputs, np.arange(len(inputs)), torch.device("cpu"),
                                 torch.float64).numpy()
        finally:
            torch.set_num_threads(threads)


class ClassifierOutputs:
    """``predict_proba`` and ``predict`` of a :class:`MolNetBase` classifier."""

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns ordered as
        ``classes_``."""
        return torch.softmax(torch.as_tensor(self._predict_outputs(X)), dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class, shape (n_samples,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class RegressorOutputs:
    """``predict`` of a :class:`MolNetBase` regressor (targets un-standardised)."""

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shape (n_samples,), in the units of the training ``y``."""
        return self._predict_outputs(X)[:, 0] * self.y_scale_ + self.y_mean_
