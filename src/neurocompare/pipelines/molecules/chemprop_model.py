"""chemprop's directed message-passing network (D-MPNN): :class:`ChempropClassifier`,
:class:`ChempropRegressor`.

chemprop 2 (Yang et al. 2019, J. Chem. Inf. Model. 59:3370; Heid et al. 2024, J. Chem.
Inf. Model. 64:9), the field's standard molecular network, built from chemprop's Python API
(``chemprop.data``, ``chemprop.nn``, ``chemprop.models.MPNN``) and trained with lightning as
``chemprop train`` does, with the defaults of chemprop 2.3's command line
(``chemprop/cli/train.py``, ``cli/common.py``): bond message passing of depth 3, 300 hidden
units, ``norm`` aggregation (sum of atom states / 100), no batch normalisation, one FFN
layer of 300 units, dropout 0, batch size 64, at most 50 epochs, and
:class:`~chemprop.models.MPNN`'s Noam-like schedule (Adam; 2 warm-up epochs from 1e-4 to
1e-3, then exponential decay to 1e-4). Regression targets are standardised on the training
fold and un-standardised by chemprop's ``UnscaleTransform``, as the CLI does.

What differs from the CLI: the validation split is carved from the training fold
(stratified for classification, random for regression, seeded:
:func:`~.training.validation_split`) and, like every network here, training stops after
``patience`` epochs without improvement of the validation loss (the CLI's default trains all
50 epochs and keeps the best checkpoint); the best weights are restored from memory by a
callback of ours, so nothing is written to disk (lightning's root directory is a temporary
directory, removed after fit). Lightning's console output is silenced, torch threads are
``n_threads`` and the global torch RNG is left as it was; the same seed gives the same model.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import tempfile
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.deep.estimator import resolve_device
from neurocompare.pipelines.molecules.featurize import SmilesInputMixin, as_smiles, parse_smiles
from neurocompare.pipelines.molecules.training import (
    ClassifierOutputs,
    check_counts,
    check_device,
    check_fraction,
    check_threads,
    encode_targets,
    r2_score,
    summarise_fit,
    torch_scope,
    validation_split,
)

__all__ = ["ChempropClassifier", "ChempropRegressor"]

logger = logging.getLogger(__name__)

#: Loggers whose INFO lines (devices, model summary) are silenced during fit.
_QUIET = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning",
          "chemprop")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Lightning's and chemprop's console output (devices, model summary, hints) and
    warnings silenced, restored on exit."""
    levels = {name: logging.getLogger(name).level for name in _QUIET}
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _raw_outputs(model: Any, loader: Any, n_classes: int) -> torch.Tensor:
    """Pre-transform outputs in evaluation mode: logits (n, n_classes) for classifiers
    (a binary model's single logit l becomes [0, l]), standardised values (n, 1) else."""
    model.eval()
    model.predictor.output_transform.train()  # as chemprop validates: loss-scale outputs
    outputs = []
    with torch.no_grad():
        for bmg, V_d, X_d, *_ in loader:
            bmg.to(model.device)
            raw = model.predictor.train_step(model.fingerprint(bmg, V_d, X_d))
            raw = raw.reshape(raw.shape[0], -1)
            if n_classes == 2:
                raw = torch.cat([torch.zeros_like(raw), raw], dim=1)
            outputs.append(raw.cpu())
    model.predictor.output_transform.eval()
    return torch.cat(outputs)


def _loss(outputs: torch.Tensor, targets: np.ndarray, classification: bool) -> float:
    """Cross-entropy of logits, or mean squared error of standardised predictions."""
    functional, truth = torch.nn.functional, torch.as_tensor(targets)
    return float(functional.cross_entropy(outputs, truth) if classification
                 else functional.mse_loss(outputs[:, 0], truth))


def _make_callback(estimator: _ChempropBase, valid_loader: Any, valid_targets: np.ndarray,
                   n_classes: int) -> Any:
    """A lightning callback that records each epoch, keeps the best weights in memory and
    stops after ``patience`` epochs without improvement."""
    from lightning import pytorch as pl

    classification = n_classes > 0

    class _Tracker(pl.Callback):
        def __init__(self) -> None:
            self.history: list[dict[str, Any]] = []
            self.best_loss, self.best_state, self.best_epoch, self.waited = np.inf, None, 0, 0
            self.stop_reason, self.start = "max_epochs", time.perf_counter()

        def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            metrics = trainer.callback_metrics
            loss = metrics.get("train_loss_epoch", metrics.get("train_loss"))
            record = {"epoch": trainer.current_epoch + 1,
                      "train_loss": float(loss) if loss is not None else float("nan")}
            if valid_loader is None:
                self.best_epoch = record["epoch"]
            else:
                outputs = _raw_outputs(pl_module, valid_loader, n_classes)
                pl_module.train()
                record["valid_loss"] = _loss(outputs, valid_targets, classification)
                if classification:
                    record["valid_accuracy"] = float(np.mean(outputs.argmax(1).numpy()
                                                             == valid_targets))
                else:
                    record["valid_r2"] = r2_score(valid_targets, outputs[:, 0].numpy())
                if record["valid_loss"] < self.best_loss - 1e-6:
                    self.best_loss, self.waited = record["valid_loss"], 0
                    self.best_epoch = record["epoch"]
                    self.best_state = copy.deepcopy(pl_module.state_dict())
                else:
                    self.waited += 1
                    if self.waited >= estimator.patience:
                        self.stop_reason = "early_stopping"
                        trainer.should_stop = True
            record["seconds"] = time.perf_counter() - self.start
            self.history.append(record)

    return _Tracker()


class _ChempropBase(SmilesInputMixin, BaseEstimator):
    """chemprop D-MPNN trained on SMILES (parameters shared by classifier and regressor).

    Parameters
    ----------
    depth, hidden : int
        Message-passing steps and hidden units of the messages (chemprop defaults 3, 300).
    ffn_hidden, ffn_layers : int
        Units of each FFN hidden layer and FFN layers (chemprop defaults 300, 1).
    dropout : float
        Dropout in message passing and FFN (chemprop default 0).
    aggregation : {"norm", "mean", "sum"}
        Readout over atoms (chemprop's CLI default ``"norm"``: sum divided by 100).
    batch_norm : bool
        Batch normalisation after aggregation (chemprop default off).
    max_epochs, batch_size : int
        chemprop defaults 50 and 64.
    warmup_epochs, init_lr, max_lr, final_lr : int, float, float, float
        The Noam-like learning-rate schedule (chemprop defaults 2, 1e-4, 1e-3, 1e-4).
    valid_size : float
        Fraction of the training fold held out for early stopping (0 disables it).
    patience : int
        Epochs without validation-loss improvement before stopping.
    device : str
        ``"cpu"`` (default), ``"cuda[:i]"`` or ``"auto"`` (CUDA when available).
    random_state : int
        Seed of the weights, the validation split and the batch order.
    n_threads : int or None
        Torch threads during fit and predict (None leaves the setting as is).

    Attributes
    ----------
    model_ : chemprop.models.MPNN
        The trained network (best weights), on the CPU, in evaluation mode.
    history_ : list of dict
        Per epoch: ``train_loss`` (chemprop's criterion over the epoch's batches),
        ``valid_loss`` (cross-entropy, or MSE of standardised targets),
        ``valid_accuracy`` / ``valid_r2``, ``seconds``.
    best_epoch_, n_epochs_, stop_reason_, n_train_fit_, valid_indices_, device_, n_params_
        As :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`'s.
    """

    _task = "classification"

    def __init__(self, depth: int = 3, hidden: int = 300, ffn_hidden: int = 300,
                 ffn_layers: int = 1, dropout: float = 0.0, aggregation: str = "norm",
                 batch_norm: bool = False, max_epochs: int = 50, batch_size: int = 64,
                 warmup_epochs: int = 2, init_lr: float = 1e-4, max_lr: float = 1e-3,
                 final_lr: float = 1e-4, valid_size: float = 0.1, patience: int = 10,
                 device: str = "cpu", random_state: int = 0, n_threads: int | None = 1):
        self.depth = depth
        self.hidden = hidden
        self.ffn_hidden = ffn_hidden
        self.ffn_layers = ffn_layers
        self.dropout = dropout
        self.aggregation = aggregation
        self.batch_norm = batch_norm
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.warmup_epochs = warmup_epochs
        self.init_lr = init_lr
        self.max_lr = max_lr
        self.final_lr = final_lr
        self.valid_size = valid_size
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_params(self) -> None:
        check_counts(self, ("depth", "hidden", "ffn_hidden", "ffn_layers", "max_epochs",
                            "batch_size", "patience"))
        check_counts(self, ("warmup_epochs",), minimum=0)
        for name in ("init_lr", "max_lr", "final_lr"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise input_error(name, "a positive learning rate", value)
        check_fraction("dropout", self.dropout)
        check_fraction("valid_size", self.valid_size)
        check_option("aggregation", self.aggregation, ("norm", "mean", "sum"))
        if not isinstance(self.batch_norm, (bool, np.bool_)):
            raise input_error("batch_norm", "True or False", self.batch_norm)
        check_device(self.device)
        check_threads(self.n_threads)

    # -- data ------------------------------------------------------------------------------
    def _loader(self, mols: list[Any], targets: np.ndarray | None, shuffle: bool) -> Any:
        from chemprop import data

        dataset = data.MoleculeDataset([data.MoleculeDatapoint(
            mol, None if targets is None else np.atleast_1d(targets[i]).astype(float))
            for i, mol in enumerate(mols)])
        # a generator of its own: a DataLoader draws its base seed from the global RNG
        return data.build_dataloader(dataset, batch_size=self.batch_size,
                                     num_workers=0, shuffle=shuffle,
                                     seed=self.random_state if shuffle else None,
                                     drop_last=bool(shuffle and self.batch_norm
                                                    and len(mols) % self.batch_size == 1),
                                     generator=torch.Generator().manual_seed(0))

    def _build(self, n_classes: int) -> Any:
        from chemprop import models, nn

        message_passing = nn.BondMessagePassing(d_h=self.hidden, depth=self.depth,
                                                dropout=self.dropout)
        aggregation = {"norm": nn.NormAggregation, "mean": nn.MeanAggregation,
                       "sum": nn.SumAggregation}[self.aggregation]()
        ffn = {"input_dim": self.hidden, "hidden_dim": self.ffn_hidden,
               "n_layers": self.ffn_layers, "dropout": self.dropout}
        if n_classes == 0:
            predictor = nn.RegressionFFN(output_transform=nn.UnscaleTransform(
                [self.y_mean_], [self.y_scale_]), **ffn)
        elif n_classes == 2:
            predictor = nn.BinaryClassificationFFN(**ffn)
        else:
            predictor = nn.MulticlassClassificationFFN(n_classes=n_classes, **ffn)
        return models.MPNN(message_passing, aggregation, predictor, batch_norm=self.batch_norm,
                           warmup_epochs=self.warmup_epochs, init_lr=self.init_lr,
                           max_lr=self.max_lr, final_lr=self.final_lr)

    # -- fit -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> _ChempropBase:
        """Train on ``X`` (the training fold), early-stopping on a split of it.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)
            SMILES strings.
        y : array-like, shape (n_samples,)
            Class labels or regression targets.

        Returns
        -------
        self
        """
        from lightning import pytorch as pl

        self._check_params()
        mols = parse_smiles(as_smiles(X, "X"), "X")
        self.n_features_in_ = 1
        targets, n_outputs = encode_targets(self, y, len(mols))
        n_classes = n_outputs if self._task == "classification" else 0
        dataset_targets = targets.astype(float)  # chemprop's datapoints hold float targets
        train_idx, valid_idx = validation_split(targets, self.valid_size,
                                                stratify=n_classes > 0,
                                                random_state=self.random_state)
        self.valid_indices_ = np.asarray(valid_idx, dtype=np.intp)
        device = resolve_device(self.device)
        self.device_ = str(device)
        valid_loader = (self._loader([mols[i] for i in valid_idx], dataset_targets[valid_idx],
                                     shuffle=False) if len(valid_idx) else None)
        with torch_scope(self.n_threads, device, self.random_state), _quiet(), \
                tempfile.TemporaryDirectory(prefix="neurocompare-chemprop-") as root:
            model = self._build(n_classes)
            tracker = _make_callback(self, valid_loader, targets[valid_idx], n_classes)
            trainer = pl.Trainer(
                accelerator="cpu" if device.type == "cpu" else "gpu",
                devices=1 if device.index is None else [device.index],
                max_epochs=self.max_epochs, logger=False, enable_checkpointing=False,
                enable_progress_bar=False, enable_model_summary=False,
                limit_val_batches=0, num_sanity_val_steps=0, callbacks=[tracker],
                default_root_dir=root, deterministic=True if device.type == "cpu" else "warn")
            trainer.fit(model, self._loader([mols[i] for i in train_idx],
                                            dataset_targets[train_idx], shuffle=True))
            if tracker.best_state is not None:
                model.load_state_dict(tracker.best_state)
            self.model_ = model.cpu().eval()
            self.history_, self.best_epoch_ = tracker.history, tracker.best_epoch
            self.stop_reason_ = tracker.stop_reason
            self.n_epochs_ = len(self.history_)
            self._fit_summary(mols, targets, train_idx, n_classes)
        self.n_params_ = sum(p.numel() for p in self.model_.parameters() if p.requires_grad)
        return self

    def _fit_summary(self, mols: list[Any], targets: np.ndarray, train_idx: np.ndarray,
                     n_classes: int) -> None:
        loader = self._loader([mols[i] for i in train_idx], None, shuffle=False)
        summarise_fit(self, _raw_outputs(self.model_, loader, n_classes).numpy(),
                      targets[train_idx])

    # -- predict ---------------------------------------------------------------------------
    def _predict_outputs(self, X: Any) -> np.ndarray:
        """Logits (classifier; a binary model's logit l as [0, l]), or the targets
        un-standardised by chemprop's ``UnscaleTransform`` (regressor), shape
        (n_samples, n_outputs)."""
        check_is_fitted(self, "model_")
        loader = self._loader(parse_smiles(as_smiles(X, "X"), "X"), None, shuffle=False)
        threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(int(self.n_threads))
        try:
            if self._task == "classification":
                return _raw_outputs(self.model_, loader, len(self.classes_)).double().numpy()
            self.model_.eval()
            with torch.no_grad():
                out = torch.cat([self.model_(bmg, V_d, X_d) for bmg, V_d, X_d, *_ in loader])
            return out.reshape(out.shape[0], -1).double().numpy()
        finally:
            torch.set_num_threads(threads)


class ChempropClassifier(ClassifierOutputs, ClassifierMixin, _ChempropBase):
    """chemprop D-MPNN classifier (see :class:`_ChempropBase` for the parameters).

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    train_accuracy_, majority_rate_ : float
        Accuracy of the kept weights on the rows they were trained on, and the share of the
        most frequent class among those rows.
    """

    _task = "classification"


class ChempropRegressor(RegressorMixin, _ChempropBase):
    """chemprop D-MPNN regressor (see :class:`_ChempropBase` for the parameters).

    Attributes
    ----------
    y_mean_, y_scale_ : float
        Training-fold target mean and standard deviation (chemprop's ``UnscaleTransform``).
    train_r2_, train_pearson_ : float
        R^2 and Pearson correlation of the kept weights' predictions on the rows they were
        trained on.
    """

    _task = "regression"

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, shape (n_samples,), in the units of the training ``y``."""
        return self._predict_outputs(X)[:, 0]
