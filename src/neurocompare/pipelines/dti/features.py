"""Fixed-length features of drug-target pairs for any tabular model.

:class:`PairFeatures` concatenates the drug's folded Morgan fingerprint with the
target's amino-acid and dipeptide composition (:mod:`.kernels`). Nothing is learned from
the training pairs, so the features of a pair do not depend on the fold.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error
from neurocompare.pipelines.dti._input import PairInputMixin, check_pairs
from neurocompare.pipelines.dti.kernels import (
    composition,
    composition_names,
    morgan_bits,
    unique_inverse,
)

__all__ = ["PairFeatures", "pair_features"]

logger = logging.getLogger(__name__)


def pair_features(smiles: np.ndarray, sequences: np.ndarray, radius: int = 2,
                  n_bits: int = 1024, name: str = "X") -> np.ndarray:
    """Morgan bits of each drug next to the composition of each target.

    Each distinct SMILES and sequence is featurised once.

    Parameters
    ----------
    smiles : ndarray of str objects, shape (n_pairs,)
    sequences : ndarray of str objects, shape (n_pairs,)
    radius, n_bits : int
        Morgan fingerprint radius and length.
    name : str
        Name of the pair array in error messages.

    Returns
    -------
    ndarray of float32, shape (n_pairs, n_bits + 420)
    """
    drugs, first, d_index = unique_inverse(smiles)
    targets, _, t_index = unique_inverse(sequences)
    bits = morgan_bits(drugs, radius, n_bits, name=name, rows=first)
    return np.hstack([bits[d_index].astype(np.float32), composition(targets)[t_index]])


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise input_error(name, f"an integer >= {minimum}", value)


class PairFeatures(PairInputMixin, TransformerMixin, BaseEstimator):
    """Drug Morgan bits and target amino-acid/dipeptide composition of each pair.

    Parameters
    ----------
    radius : int
        Morgan fingerprint radius (2 gives ECFP4).
    n_bits : int
        Morgan fingerprint length.

    Attributes
    ----------
    feature_names_out_ : ndarray of str objects, shape (n_bits + 420,)
        ``morgan_0`` ... ``morgan_{n_bits-1}``, ``aa_A`` ... ``aa_Y``, ``dp_AA`` ...
        ``dp_YY``.

    Notes
    -----
    ``transform`` returns float32, shape (n_pairs, n_bits + 420). ``fit`` checks the
    parameters and that every SMILES parses; no state is learned from the pairs.
    """

    def __init__(self, radius: int = 2, n_bits: int = 1024):
        self.radius = radius
        self.n_bits = n_bits

    def _fit(self) -> None:
        _check_int("radius", self.radius, 0)
        _check_int("n_bits", self.n_bits, 1)
        self.feature_names_out_ = np.array(
            [f"morgan_{i}" for i in range(self.n_bits)] + composition_names(), dtype=object)

    def fit(self, X, y=None):
        """Check the parameters and the pairs.

        Parameters
        ----------
        X : array-like of str, shape (n_pairs, 2)
            (SMILES, amino-acid sequence) pairs.
        y : ignored

        Returns
        -------
        self
        """
        self._fit()
        smiles, _ = check_pairs(X)
        drugs, first, _ = unique_inverse(smiles)
        morgan_bits(drugs, self.radius, self.n_bits, rows=first)
        return self

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        """Fit and return the features, featurising each drug and target once.

        Returns
        -------
        ndarray of float32, shape (n_pairs, n_bits + 420)
        """
        self._fit()
        return pair_features(*check_pairs(X), self.radius, self.n_bits)

    def transform(self, X) -> np.ndarray:
        """Return the features of each pair.

        Parameters
        ----------
        X : array-like of str, shape (n_pairs, 2)

        Returns
        -------
        ndarray of float32, shape (n_pairs, n_bits + 420)
        """
        check_is_fitted(self)
        return pair_features(*check_pairs(X), self.radius, self.n_bits)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output feature names, shape (n_bits + 420,)."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()
