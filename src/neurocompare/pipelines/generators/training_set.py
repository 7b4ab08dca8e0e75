"""The training set as a generator: the calibration point of the generative metrics.

Drawing molecules of the training set gives validity 1 and novelty 0 by construction, and
uniqueness set by the draw; every other generator's numbers read against it. The comparison
of MOSES (Polykovskiy et al. 2020, Front. Pharmacol. 11, 565644) reports the same baseline
under the name "Train".
"""

from __future__ import annotations

import logging

import numpy as np

from neurocompare._errors import input_error
from neurocompare.pipelines.generators.base import SmilesGenerator

__all__ = ["TrainingSetSampler"]

logger = logging.getLogger(__name__)


class TrainingSetSampler(SmilesGenerator):
    """Sample the training SMILES uniformly.

    Parameters
    ----------
    replace : bool
        Draw with replacement (True) or without (False: at most as many samples as
        training molecules, else an input error at ``sample``).
    random_state : int or None
        Default seed of :meth:`sample`.

    Attributes
    ----------
    training_smiles_ : ndarray of object, shape (n_molecules,)
        The training SMILES, in input order.
    n_parameters_ : int
        Number of stored molecules.
    """

    def __init__(self, replace: bool = True, random_state: int | None = None) -> None:
        self.replace = replace
        self.random_state = random_state

    def _check_params(self) -> None:
        if not isinstance(self.replace, (bool, np.bool_)):
            raise input_error("replace", "True or False", self.replace)

    def _fit(self, smiles: list[str], valid: list[str] | None) -> None:
        self.training_smiles_ = np.asarray(smiles, dtype=object)
        self.n_parameters_ = len(smiles)

    def _sample(self, n_samples: int, seed: int) -> list[str]:
        n = len(self.training_smiles_)
        if not self.replace and n_samples > n:
            raise input_error("n_samples", f"at most {n} (the training molecules) when "
                              "replace=False", n_samples)
        rows = np.random.default_rng(seed).choice(n, size=n_samples, replace=bool(self.replace))
        return self.training_smiles_[rows].tolist()
