"""Early stopping on a validation loss with the best weights kept in memory.

One object per fit, shared by every training loop of the project (EEG networks, molecule
networks, SMILES generators): it records the best validation loss, the epoch and a copy of
the weights that reached it, counts the epochs without improvement, and puts the best
weights back at the end.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

__all__ = ["BestWeights"]

#: Smallest decrease of the validation loss that counts as an improvement.
MIN_DELTA = 1e-6


class BestWeights:
    """Track the best validation loss of a training run.

    Parameters
    ----------
    patience : int
        Epochs without improvement after which :attr:`exhausted` becomes true.

    Attributes
    ----------
    best_loss : float
        Lowest validation loss so far (inf before the first).
    best_epoch : int
        Epoch (1-based) that reached it; 0 before the first.
    waited : int
        Epochs since it.
    """

    def __init__(self, patience: int):
        self.patience = patience
        self.best_loss, self.best_epoch, self.waited = np.inf, 0, 0
        self._state: dict[str, Any] | None = None

    def update(self, epoch: int, loss: float, module: Any) -> None:
        """Record epoch ``epoch``'s validation ``loss`` of ``module`` (a torch module)."""
        if loss < self.best_loss - MIN_DELTA:
            self.best_loss, self.best_epoch, self.waited = loss, epoch, 0
            self._state = copy.deepcopy(module.state_dict())
        else:
            self.waited += 1

    @property
    def exhausted(self) -> bool:
        """Whether ``patience`` epochs passed without improvement."""
        return self.waited >= self.patience

    def restore(self, module: Any) -> None:
        """Load the best weights into ``module`` (nothing if no loss was recorded)."""
        if self._state is not None:
            module.load_state_dict(self._state)
