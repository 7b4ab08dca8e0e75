"""The input of every drug-target pipeline: pairs of a drug (SMILES) and a target (sequence).

``X`` is a 2-D array of shape (n_pairs, 2), ``X[:, 0]`` the drug's SMILES string and
``X[:, 1]`` the target's amino-acid sequence (one-letter codes), as
:class:`~neurocompare.data.dti.DTIDataset` loads them. Pipelines key everything they learn
per drug or per target on these strings, so a drug seen in training is recognised at test
time by its SMILES.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocompare._errors import input_error

__all__ = ["PairInputMixin", "check_pairs"]


def check_pairs(X: Any, name: str = "X") -> tuple[np.ndarray, np.ndarray]:
    """Validate drug-target pairs and split them into drugs and targets.

    Parameters
    ----------
    X : array-like, shape (n_pairs, 2)
        SMILES strings in the first column, amino-acid sequences in the second.
    name : str
        Parameter name for error messages.

    Returns
    -------
    smiles, sequences : ndarray of str objects, each shape (n_pairs,)
    """
    array = np.asarray(X, dtype=object)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise input_error(name, "a 2-D array (n_pairs, 2) of (SMILES, sequence) pairs",
                          f"shape {array.shape}")
    bad = [i for i, row in enumerate(array)
           if not all(isinstance(v, str) and v for v in row)][:5]
    if bad:
        raise input_error(name, "non-empty strings (SMILES, amino-acid sequence) in "
                                "every row", f"rows {bad}: {array[bad].tolist()}")
    return array[:, 0], array[:, 1]


class PairInputMixin:
    """scikit-learn tags of an estimator reading (SMILES, sequence) string pairs."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags
