"""Pre-train on source subjects, fine-tune on the target's calibration trials."""

from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.common.params import derived_params
from neurocompare.pipelines.deep.estimator import (
    AUGMENTATION_PARAMS,
    DeepClassifier,
    resolve_device,
)

__all__ = ["FineTunedClassifier"]

logger = logging.getLogger(__name__)


@derived_params(DeepClassifier, drop=AUGMENTATION_PARAMS, target_domain=None, finetune="all",
                finetune_epochs=30, finetune_lr=1e-4)
class FineTunedClassifier(DeepClassifier):
    """:class:`DeepClassifier` that fine-tunes on a target domain after pre-training.

    Given ``domains`` (routed as metadata: ``fit`` requests it by default, see
    :mod:`neurocompare.pipelines.transfer.alignment`), ``fit`` pre-trains on every trial outside
    ``target_domain`` exactly as :class:`DeepClassifier` does (standardisation and early
    stopping from the source trials), then fine-tunes on the target's calibration trials
    for ``finetune_epochs`` epochs at ``finetune_lr`` -- all weights, or only the output
    layer. Without domains, or with no target trial (k = 0), it is a plain DeepClassifier.

    Parameters
    ----------
    target_domain : str, optional
        Set by the runner for each calibration fold.
    finetune : {"all", "last", "none"}
        Which weights fine-tuning updates.
    finetune_epochs : int
        Epochs of fine-tuning on the target's calibration trials.
    finetune_lr : float
        Learning rate of the fine-tuning.
    **kwargs
        :class:`DeepClassifier` parameters.

    Attributes
    ----------
    n_finetune_trials_ : int
        Target trials used for fine-tuning.
    """

    #: ``domains`` is routed to ``fit`` without a set_fit_request call
    __metadata_request__fit: ClassVar[dict] = {"domains": True}

    def fit(self, X, y, domains=None):
        """Pre-train on source trials, then fine-tune on the target's (see class doc).

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_times)
        y : array-like, shape (n_trials,)
        domains : array-like, shape (n_trials,), optional
            Domain (subject) of each training trial, routed as metadata.
        """
        check_option("finetune", self.finetune, ("all", "last", "none"))
        X, y = np.asarray(X), np.asarray(y)
        if len(X) != len(y):
            raise ValueError(f"X and y: expected the same number of trials, got {len(X)} "
                             f"and {len(y)}")
        if domains is not None and len(domains) != len(X):
            raise input_error("domains", f"{len(X)} domain labels", len(domains))
        target = np.zeros(len(y), dtype=bool)
        if domains is not None and self.target_domain is not None:
            target = np.asarray(domains, dtype=str) == str(self.target_domain)
        super().fit(X[~target], y[~target])
        self.n_finetune_trials_ = int(target.sum())
        if target.any() and self.finetune != "none":
            self._finetune(X[target], y[target])
        return self

    def _finetune(self, X: np.ndarray, y: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float32)
        X = (X[:, None] if X.ndim == 2 else X) - self.mean_
        X = X / self.scale_
        codes = np.searchsorted(self.classes_, y)
        device = resolve_device(self.device)
        module = self.module_.to(device).train()
        params = list(module.parameters())
        if self.finetune == "last":
            module.eval()  # a linear probe: batch-norm statistics and dropout stay frozen
            for p in params:
                p.requires_grad_(False)
            last = [m for m in module.modules() if isinstance(m, (nn.Linear, nn.Conv1d,
                                                                  nn.Conv2d))][-1]
            params = list(last.parameters())
            for p in params:
                p.requires_grad_(True)
        optimizer = torch.optim.AdamW(params, lr=self.finetune_lr)
        loss_fn = nn.CrossEntropyLoss()
        Xt = torch.as_tensor(X, device=device)
        yt = torch.as_tensor(codes, dtype=torch.long, device=device)
        generator = torch.Generator().manual_seed(self.random_state)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(self.random_state)
            for _ in range(self.finetune_epochs):
                for batch in torch.split(torch.randperm(len(Xt), generator=generator),
                                         self.batch_size):
                    if len(batch) < 2:
                        continue  # batch norm cannot train on a single sample
                    idx = batch.to(device)
                    optimizer.zero_grad()
                    loss_fn(module(Xt[idx]), yt[idx]).backward()
                    optimizer.step()
        for p in module.parameters():
            p.requires_grad_(True)
        self.module_ = module.cpu().eval()
