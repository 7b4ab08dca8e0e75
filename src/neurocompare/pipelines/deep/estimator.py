"""A scikit-learn classifier around any PyTorch network of :mod:`.modules`.

Deep and traditional pipelines share one evaluation path because every deep model is a plain
scikit-learn estimator. The signal-shape contract (n_chans, n_times, sfreq, n_outputs) is
inferred from the data at fit time. Everything the network learns comes from the training
fold it is given:

* per-channel standardisation statistics are computed on the training fold;
* early stopping monitors a validation split carved (stratified, seeded) from the training
  fold only -- never from the test fold;
* the best weights (lowest validation loss) are restored at the end.

Seeds are fixed through ``random_state`` without touching the global torch RNG (on CUDA,
cuDNN is switched to deterministic algorithms during fit), and the torch thread count can be
limited (``n_threads``) so that parallel folds do not oversubscribe. Prediction runs in
float64 on a copy of the trained network, so a trial's output does not depend on its batch.

Why a loop of our own and not skorch's (which braindecode's ``EEGClassifier`` is): the
networks are braindecode's, the loop is 60 lines, and it does what the comparison needs
without per-option plumbing -- folds smaller than one batch train (``EEGClassifier`` drops
the last incomplete batch by default, so on a 26-trial SSVEP session fold it trains on
nothing), the validation split is stratified and seeded like every other split here,
the global torch RNG is left alone, every epoch's record and the kept weights' training
accuracy feed the "did it learn?" columns, the tuner's pruning hook ends an epoch loop,
and augmentation touches training batches only. Same recipe, same folds, it scores as
braindecode's own training does and takes about as long
(``benchmarks/results/braindecode_side_by_side_*.md``).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn

from neurocompare._errors import check_option, input_error
from neurocompare.cost.macs import count_macs
from neurocompare.pipelines.common.checks import as_epochs
from neurocompare.pipelines.common.early_stopping import BestWeights
from neurocompare.pipelines.deep.augmentation import (
    augment,
    check_augmentation,
    make_augmentations,
)
from neurocompare.pipelines.deep.modules import MODULES

__all__ = ["AUGMENTATION_PARAMS", "DeepClassifier", "resolve_device"]

#: The augmentation parameters; the other networks' classifiers leave them out
#: (:func:`~neurocompare.pipelines.common.params.derived_params`), so they train on the data
#: as given and their parameter keys stay those of results stored before augmentation.
AUGMENTATION_PARAMS = ("augmentation", "augmentation_probability")

logger = logging.getLogger(__name__)


def resolve_device(device: str) -> torch.device:
    """Map ``"auto"`` to CUDA when available, else CPU; pass other names through."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _batches(n: int, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return list(torch.split(order, batch_size))


def _is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (not a bool, not text)."""
    return isinstance(value, int | float | np.integer | np.floating) and \
        not isinstance(value, bool)


class DeepClassifier(ClassifierMixin, BaseEstimator):
    """Train a PyTorch EEG network with early stopping inside the training fold.

    Parameters
    ----------
    model : str
        Network name, one of :data:`neurocompare.pipelines.deep.modules.MODULES`.
    sfreq : float, optional
        Sampling rate in Hz; models use it to size their temporal kernels.
    model_params : mapping, optional
        Extra keyword arguments for the network builder.
    max_epochs : int
        Upper bound on training epochs.
    batch_size : int
        Mini-batch size.
    lr : float
        AdamW (initial) learning rate.
    weight_decay : float
        AdamW weight decay.
    valid_size : float
        Fraction of the training fold held out for early stopping (0 disables it and trains
        ``max_epochs`` epochs).
    patience : int
        Epochs without validation-loss improvement before stopping.
    standardize : bool
        z-score each channel with training-fold mean and standard deviation.
    device : str
        ``"auto"`` (CUDA if available), ``"cpu"`` or ``"cuda"``.
    random_state : int
        Seed for weight initialisation, the validation split and batch order.
    n_threads : int, optional
        Torch intra-op threads during fit/predict (default: leave as is).
    lr_schedule : {"cosine", "constant"}
        ``"cosine"`` anneals the learning rate from ``lr`` towards 0 over ``max_epochs``
        epochs (braindecode's default schedule); ``"constant"`` keeps ``lr``.
    augmentation : sequence of str, optional
        braindecode augmentations applied to training batches only, some of
        :data:`~neurocompare.pipelines.deep.augmentation.AUGMENTATIONS`
        (``"ft-surrogate"``, ``"smooth-time-mask"``, ``"channels-dropout"``,
        ``"sign-flip"``), or one string joining names with ``+``; None trains on the data
        as given.
    augmentation_probability : float
        Probability of applying each augmentation to a training trial.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    module_ : torch.nn.Module
        The trained network (on CPU after fit).
    history_ : list of dict
        Per-epoch ``train_loss``, ``train_accuracy`` (running, over the epoch's batches in
        training mode, as skorch reports it), ``valid_loss``, ``valid_accuracy``, ``seconds``.
    best_epoch_ : int
        Epoch (1-based) whose weights were kept.
    stop_reason_ : {"early_stopping", "max_epochs", "pruned"}
        Why training ended: validation loss did not improve for ``patience`` epochs, the
        epoch budget ran out, or the tuner pruned the trial.
    train_accuracy_ : float
        Accuracy of the kept weights on the trials they were trained on (evaluation mode),
        the quantity "did the network learn?" is judged on.
    n_train_fit_ : int
        Trials the weights were trained on (the training fold minus the validation split).
    majority_rate_ : float
        Share of the most frequent class among those trials: the accuracy of always
        answering that class, which a network that learned must beat.
    valid_indices_ : ndarray of int, shape (n_valid,)
        Rows of the ``X`` given to ``fit`` used for early stopping (empty without it).
    n_epochs_ : int
        Epochs actually run.
    mean_, scale_ : ndarray, shape (n_channels, 1)
        Training-fold standardisation statistics.
    n_params_ : int
        Trainable parameters.
    device_ : str
        Device the network was trained on (``"cpu"`` or ``"cuda"``); inference runs on the
        CPU.
    macs_ : int
        Multiply-accumulates of one prediction (one trial of the fitted shape), counted by
        :func:`neurocompare.cost.macs.count_macs`.
    """

    #: Network builders ``model`` names (``builder(n_chans, n_times, n_outputs, sfreq,
    #: **model_params) -> Module``); a subclass may offer another registry (e.g. the spiking
    #: networks of :mod:`neurocompare.pipelines.spiking`) and reuse the whole training path.
    modules: ClassVar[Mapping[str, Callable[..., nn.Module]]] = MODULES
    #: Defaults for subclasses that leave out :data:`AUGMENTATION_PARAMS`.
    augmentation: tuple[str, ...] | None = None
    augmentation_probability: float = 0.5

    def __init__(self, model: str = "shallow", sfreq: float | None = None,
                 model_params: Mapping[str, Any] | None = None, max_epochs: int = 100,
                 batch_size: int = 64, lr: float = 1e-3, weight_decay: float = 0.0,
                 valid_size: float = 0.2, patience: int = 15, standardize: bool = True,
                 device: str = "auto", random_state: int = 0, n_threads: int | None = None,
                 lr_schedule: str = "cosine", augmentation: tuple[str, ...] | None = None,
                 augmentation_probability: float = 0.5):
        self.model = model
        self.sfreq = sfreq
        self.model_params = model_params
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.valid_size = valid_size
        self.patience = patience
        self.standardize = standardize
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads
        self.lr_schedule = lr_schedule
        self.augmentation = augmentation
        self.augmentation_probability = augmentation_probability

    # -- validation ----------------------------------------------------------------------
    def _validate_params(self) -> None:
        if self.model not in self.modules:
            raise input_error("model", f"one of {sorted(self.modules)}", self.model)
        for name in ("max_epochs", "batch_size", "patience"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise input_error(name, "a positive integer", value)
        if not _is_real(self.valid_size) or not 0 <= self.valid_size < 1:
            raise input_error("valid_size", "a fraction in [0, 1)", self.valid_size)
        if not _is_real(self.lr) or not self.lr > 0:
            raise input_error("lr", "a positive learning rate", self.lr)
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise input_error("device", "'auto', 'cpu' or 'cuda[:i]'", self.device)
        check_option("lr_schedule", self.lr_schedule, ("cosine", "constant"))
        check_augmentation(self.augmentation, self.augmentation_probability)

    # -- fit -------------------------------------------------------------------------------
    def fit(self, X, y):
        """Train on ``X`` (the training fold), early-stopping on a split of it.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_times)
        y : array-like, shape (n_trials,)
        """
        self._validate_params()
        X = as_epochs(self, X, reset=True, dtype=np.float32)
        y = column_or_1d(y, warn=True)
        if len(y) != len(X):
            raise ValueError(f"y: expected {len(X)} labels (one per trial), got {len(y)}")
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"Classifier can't train when only one class is present: "
                             f"{self.classes_.tolist()}")
        self.mean_ = X.mean(axis=(0, 2))[:, None] if self.standardize \
            else np.zeros((X.shape[1], 1), np.float32)
        self.scale_ = X.std(axis=(0, 2))[:, None] if self.standardize \
            else np.ones((X.shape[1], 1), np.float32)
        self.scale_ = np.where(self.scale_ > 0, self.scale_, 1.0).astype(np.float32)
        X = (X - self.mean_) / self.scale_
        train_idx, valid_idx = self._split(codes)
        self.valid_indices_ = np.asarray(valid_idx, dtype=np.intp)
        device = resolve_device(self.device)
        self.device_ = str(device)
        threads = torch.get_num_threads()
        cudnn = torch.backends.cudnn
        cudnn_flags = cudnn.deterministic, cudnn.benchmark
        if self.n_threads:
            torch.set_num_threads(int(self.n_threads))
        if device.type == "cuda":  # same seed, same model on the GPU too
            cudnn.deterministic, cudnn.benchmark = True, False
        try:
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                torch.manual_seed(self.random_state)
                self._train(X, codes, train_idx, valid_idx, device)
        finally:
            torch.set_num_threads(threads)
            cudnn.deterministic, cudnn.benchmark = cudnn_flags
        return self

    def _split(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = np.arange(len(codes))
        n_valid = round(self.valid_size * len(codes))
        if self.valid_size == 0 or n_valid < len(self.classes_) or len(codes) - n_valid < 2:
            return index, index[:0]
        counts = np.bincount(codes)
        stratify = codes if counts.min() >= 2 else None
        return train_test_split(index, test_size=n_valid, stratify=stratify,
                                random_state=self.random_state)

    def _train(self, X: np.ndarray, codes: np.ndarray, train_idx: np.ndarray,
               valid_idx: np.ndarray, device: torch.device) -> None:
        module = self._build_network(X.shape[1], X.shape[2], len(self.classes_)).to(device)
        optimizer = torch.optim.AdamW(module.parameters(), lr=self.lr,
                                      weight_decay=self.weight_decay)
        scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, self.max_epochs)
                     if self.lr_schedule == "cosine" else None)
        loss_fn = nn.CrossEntropyLoss()
        Xt = torch.as_tensor(X, device=device)
        yt = torch.as_tensor(codes, dtype=torch.long, device=device)
        generator = torch.Generator().manual_seed(self.random_state)
        transforms = make_augmentations(
            check_augmentation(self.augmentation, self.augmentation_probability),
            self.augmentation_probability, X.shape[2], self.sfreq, self.random_state)
        self.history_, self.best_epoch_ = [], 0
        stopper = BestWeights(self.patience)
        for epoch in range(1, self.max_epochs + 1):
            start = time.perf_counter()
            module.train()
            total, correct = 0.0, 0
            for batch in _batches(len(train_idx), self.batch_size, generator):
                idx = torch.as_tensor(train_idx[batch.numpy()], device=device)
                if len(idx) < 2 and len(train_idx) >= 2:
                    continue  # batch norm cannot train on a single sample
                optimizer.zero_grad()
                batch_X = augment(transforms, Xt[idx], yt[idx]) if transforms else Xt[idx]
                logits = module(batch_X)
                loss = loss_fn(logits, yt[idx])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
                correct += int((logits.detach().argmax(1) == yt[idx]).sum())
            if scheduler is not None:
                scheduler.step()
            record = {"epoch": epoch, "train_loss": total / len(train_idx),
                      "train_accuracy": correct / len(train_idx)}
            if len(valid_idx):
                logits = self._logits(module, Xt[torch.as_tensor(valid_idx, device=device)])
                valid_loss = float(loss_fn(logits, yt[torch.as_tensor(valid_idx,
                                                                      device=device)]))
                record["valid_loss"] = valid_loss
                record["valid_accuracy"] = float(
                    (logits.argmax(1).cpu().numpy() == codes[valid_idx]).mean())
                stopper.update(epoch, valid_loss, module)
                self.best_epoch_ = stopper.best_epoch
            else:
                self.best_epoch_ = epoch
            record["seconds"] = time.perf_counter() - start
            self.history_.append(record)
            # hook of the tuner (Optuna pruning with epochs as the resource); not a parameter
            callback = getattr(self, "_epoch_callback", None)
            if callback is not None and callback(epoch, record):
                self.stop_reason_ = "pruned"
                break
            if len(valid_idx) and stopper.exhausted:
                self.stop_reason_ = "early_stopping"
                break
        else:
            self.stop_reason_ = "max_epochs"
        stopper.restore(module)
        self.n_epochs_ = len(self.history_)
        fitted = torch.as_tensor(train_idx, device=device)
        self.n_train_fit_ = len(train_idx)
        self.majority_rate_ = float(np.bincount(codes[train_idx]).max() / len(train_idx))
        self.train_accuracy_ = float(
            (self._logits(module, Xt[fitted]).argmax(1) == yt[fitted]).float().mean())
        self.module_ = module.cpu().eval()
        self.n_params_ = sum(p.numel() for p in module.parameters() if p.requires_grad)
        self.macs_ = count_macs(self.module_, (1, *X.shape[1:]))
        logger.debug("%s: %d epochs, best %d", self.model, self.n_epochs_, self.best_epoch_)

    def _build_network(self, n_chans: int, n_times: int, n_outputs: int) -> nn.Module:
        """The untrained network for inputs of shape (n_chans, n_times) (a subclass hook)."""
        return self.modules[self.model](n_chans=n_chans, n_times=n_times, n_outputs=n_outputs,
                                        sfreq=self.sfreq, **dict(self.model_params or {}))

    def _logits(self, module: nn.Module, X: torch.Tensor) -> torch.Tensor:
        # inference mode: the same outputs as no_grad, without autograd's version counter and
        # view tracking (benchmarks/results/deep_throughput.md)
        module.eval()
        with torch.inference_mode():
            return torch.cat([module(X[i:i + 256]) for i in range(0, len(X), 256)])

    # -- pickling --------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        # Some networks (EEGNet's max-norm convolution) use torch parametrizations, which
        # torch refuses to pickle: store the weights and rebuild the network on load.
        state = dict(super().__getstate__())
        if isinstance(state.get("module_"), nn.Module):
            state["module_"] = {key: value.detach().clone()
                                for key, value in state["module_"].state_dict().items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        weights = self.__dict__.get("module_")
        if isinstance(weights, Mapping):
            n_chans, n_times = (1, *self.signal_shape_) if len(self.signal_shape_) == 1 \
                else self.signal_shape_
            with torch.random.fork_rng(devices=[]):  # initialisation draws are discarded
                module = self._build_network(n_chans, n_times, len(self.classes_))
            module.load_state_dict(weights)
            self.module_ = module.eval()

    # -- predict ---------------------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_trials, n_classes), columns ordered as ``classes_``.

        Inference runs in float64 on a copy of the float32-trained network, so a trial's
        probabilities do not depend (beyond ~1e-12) on which other trials share its batch.
        """
        check_is_fitted(self)
        X = as_epochs(self, X, reset=False, dtype=np.float64)
        X = (X - self.mean_) / self.scale_
        threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(int(self.n_threads))
        try:
            module = copy.deepcopy(self.module_).double()
            logits = self._logits(module, torch.as_tensor(X, dtype=torch.float64))
        finally:
            torch.set_num_threads(threads)
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        """Most probable class per trial, shape (n_trials,)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
