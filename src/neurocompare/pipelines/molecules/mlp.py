"""A multilayer perceptron on molecular fingerprints: :class:`FingerprintMLPClassifier`,
:class:`FingerprintMLPRegressor`.

Input: a numeric matrix (n_samples, n_features), in the registry the Morgan fingerprint of
each molecule (:class:`~neurocompare.pipelines.molecules.featurize.MorganFingerprint`, 2048
bits of radius 2). Network: n_features -> 512 -> 128 -> outputs, ReLU and dropout after
each hidden layer. The fingerprint-DNN baseline of MoleculeNet (Wu et al. 2018, DeepChem's
``MultitaskClassifier``/``MultitaskRegressor``: ReLU hidden layers with dropout on ECFP4,
Adam at lr 1e-3) with two narrowing hidden layers instead of one of 1000 units, and dropout
0.2 rather than 0.5, so that the few hundred molecules of a small training fold are fitted
within the epoch budget. Trained by :mod:`.training` (Adam, batch 64, at most 100 epochs,
early stopping with patience 10 on a validation split of the training fold).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.validation import validate_data
from torch import nn

from neurocompare._errors import input_error
from neurocompare.cost.macs import count_macs
from neurocompare.pipelines.connectome.networks import MLP
from neurocompare.pipelines.molecules.training import (
    ClassifierOutputs,
    MolNetBase,
    RegressorOutputs,
)

__all__ = ["FingerprintMLPClassifier", "FingerprintMLPRegressor"]


class _FingerprintMLPBase(MolNetBase):
    """Parameters and input handling shared by the classifier and the regressor.

    Parameters
    ----------
    hidden : sequence of int
        Widths of the hidden layers.
    dropout : float
        Dropout after each hidden layer.
    max_epochs, batch_size, lr, weight_decay, valid_size, patience : see :mod:`.training`
        Adam learning rate and weight decay; the fraction of the training fold held out for
        early stopping (0 trains ``max_epochs`` epochs) and the epochs waited for its loss to
        improve.
    device : str
        ``"cpu"`` (default), ``"cuda[:i]"`` or ``"auto"`` (CUDA when available).
    random_state : int
        Seed of the weights, the validation split, dropout and the batch order.
    n_threads : int or None
        Torch threads during fit and predict (None leaves the setting as is).

    Attributes
    ----------
    n_features_in_ : int
    module_ : neurocompare.pipelines.connectome.networks.MLP
        The trained network, on the CPU.
    history_ : list of dict
        Per epoch: ``train_loss``, ``train_accuracy`` (classifier) or ``train_r2``
        (regressor, standardised scale), ``valid_loss``, ``valid_accuracy`` / ``valid_r2``,
        ``seconds``.
    best_epoch_, n_epochs_, stop_reason_, n_train_fit_, valid_indices_, device_, n_params_
        As :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`'s.
    macs_ : int
        Multiply-accumulates of one prediction.
    """

    def __init__(self, hidden: Sequence[int] = (512, 128), dropout: float = 0.2,
                 max_epochs: int = 100, batch_size: int = 64, lr: float = 1e-3,
                 weight_decay: float = 0.0, valid_size: float = 0.1, patience: int = 10,
                 device: str = "cpu", random_state: int = 0, n_threads: int | None = 1):
        self.hidden = hidden
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.valid_size = valid_size
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_params(self) -> None:
        widths = self.hidden if isinstance(self.hidden, (list, tuple)) else None
        if widths is None or not all(isinstance(w, (int, np.integer)) and not isinstance(
                w, bool) and w > 0 for w in widths):
            raise input_error("hidden", "a sequence of positive layer widths", self.hidden)

    def _encode(self, X: Any, reset: bool) -> torch.Tensor:
        X = validate_data(self, X, reset=reset, dtype=np.float32)
        return torch.as_tensor(np.ascontiguousarray(X))

    def _build(self, n_outputs: int) -> nn.Module:
        return MLP(self.n_features_in_, n_outputs, tuple(self.hidden), self.dropout)

    def _forward(self, module: nn.Module, inputs: torch.Tensor, rows: np.ndarray,
                 device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        return module(inputs[torch.as_tensor(rows)].to(device=device, dtype=dtype))

    def _macs(self, module: nn.Module, inputs: torch.Tensor) -> int:
        return count_macs(module, (1, self.n_features_in_))


class FingerprintMLPClassifier(ClassifierOutputs, ClassifierMixin, _FingerprintMLPBase):
    """MLP classifier on fingerprints (see :class:`_FingerprintMLPBase` for the parameters).

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    train_accuracy_, majority_rate_ : float
        Accuracy of the kept weights on the rows they were trained on, and the share of the
        most frequent class among those rows.
    """

    _task = "classification"


class FingerprintMLPRegressor(RegressorOutputs, RegressorMixin, _FingerprintMLPBase):
    """MLP regressor on fingerprints (see :class:`_FingerprintMLPBase` for the parameters).

    Targets are standardised with the training fold's mean and standard deviation inside
    ``fit`` and predictions returned in the original units.

    Attributes
    ----------
    y_mean_, y_scale_ : float
        Training-fold target mean and standard deviation.
    train_r2_, train_pearson_ : float
        R^2 and Pearson correlation of the kept weights' predictions on the rows they were
        trained on.
    """

    _task = "regression"
