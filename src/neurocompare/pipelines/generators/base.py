"""The contract every SMILES generator keeps, and the checks of its input.

A generator is a scikit-learn estimator (parameters stored unchanged in ``__init__``, checked
in ``fit``, learned state ending in ``_``) with two methods:

* ``fit(X, y=None, X_valid=None) -> self``: learn from the SMILES strings ``X``, shape
  (n_molecules,) (canonical, already standardised); ``y`` is ignored (scikit-learn's
  convention); ``X_valid`` is a held-out set that networks early-stop on and the other
  generators ignore;
* ``sample(n_samples, random_state=None) -> ndarray``: ``n_samples`` raw strings, dtype object,
  shape (n_samples,), which may be invalid SMILES or empty. The same ``random_state`` gives the
  same strings; ``None`` uses the generator's own ``random_state`` parameter (itself ``None``:
  fresh entropy, not reproducible). Sampling never reads nor changes a global random state.

Every fitted generator has ``n_parameters_``: the size of what it learned (network weights,
stored n-gram counts, stored fragments, stored molecules). A subclass implements ``_fit``
and ``_sample``; this base validates around them.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error

__all__ = ["SmilesGenerator", "check_n_samples", "check_smiles", "resolve_seed"]

logger = logging.getLogger(__name__)

_SEED_BOUND = 2**31 - 1


def check_smiles(X: Any, name: str = "X") -> list[str]:
    """Validate a 1-D collection of non-empty SMILES strings.

    Parameters
    ----------
    X : array-like of str, shape (n_molecules,)
    name : str
        Parameter name shown in errors (``"X"`` or ``"X_valid"``).

    Returns
    -------
    list of str, length n_molecules

    Raises
    ------
    InputError
        For a lone string, numbers, a 2-D array, an empty collection, or an entry that is not
        a non-empty string.
    """
    expected = "an array-like of SMILES strings, shape (n_molecules,)"
    if isinstance(X, (str, bytes)):
        raise input_error(name, expected, X, hint="Wrap a single SMILES in a list.")
    try:
        values = np.asarray(X, dtype=object)
    except (TypeError, ValueError) as error:
        raise input_error(name, expected, X) from error
    if values.ndim != 1 or len(values) == 0:
        raise input_error(name, expected, f"shape {values.shape}")
    bad = [v for v in values if not isinstance(v, str) or not v]
    if bad:
        raise input_error(name, expected, bad[0],
                          hint=f"{len(bad)} of {len(values)} entries are not non-empty strings.")
    return [str(v) for v in values]


def resolve_seed(random_state: Any, name: str = "random_state") -> int:
    """An integer seed from ``random_state``: the integer itself, or fresh entropy for None.

    Parameters
    ----------
    random_state : int or None
        A non-negative integer below 2**31, or None.
    name : str
        Parameter name shown in errors.

    Returns
    -------
    int
    """
    if random_state is None:
        return int(np.random.default_rng().integers(_SEED_BOUND))
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) \
            or not 0 <= random_state < _SEED_BOUND:
        raise input_error(name, f"None or an integer in [0, {_SEED_BOUND})", random_state)
    return int(random_state)


def check_n_samples(n_samples: Any) -> int:
    """``n_samples`` as an int, or an input error unless it is a positive integer."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 1:
        raise input_error("n_samples", "a positive integer", n_samples)
    return int(n_samples)


class SmilesGenerator(BaseEstimator):
    """Base of the SMILES generators: validation around ``_fit`` and ``_sample``.

    A subclass stores its parameters in ``__init__`` (``random_state`` among them),
    implements ``_fit(smiles, valid)``, which sets every fitted attribute including
    ``n_parameters_``, and ``_sample(n_samples, seed)``, which returns ``n_samples`` strings.
    It may override ``_check_params`` to validate its parameters at ``fit``.
    """

    def _check_params(self) -> None:
        """Raise an input error for an invalid parameter (called first in ``fit``)."""

    def _fit(self, smiles: list[str], valid: list[str] | None) -> None:
        raise NotImplementedError

    def _sample(self, n_samples: int, seed: int) -> list[str]:
        raise NotImplementedError

    def fit(self, X: Any, y: Any = None, X_valid: Any = None) -> SmilesGenerator:
        """Learn the molecules of ``X``.

        Parameters
        ----------
        X : array-like of str, shape (n_molecules,)
            Training SMILES (canonical, standardised).
        y : None
            Ignored; present for scikit-learn's API.
        X_valid : array-like of str, shape (n_valid,), optional
            Held-out SMILES; networks early-stop on them, other generators ignore them.

        Returns
        -------
        self
        """
        smiles = check_smiles(X, "X")
        valid = None if X_valid is None else check_smiles(X_valid, "X_valid")
        resolve_seed(self.random_state)
        self._check_params()
        self._fit(smiles, valid)
        logger.debug("%s fitted on %d SMILES: %d parameters", type(self).__name__,
                     len(smiles), self.n_parameters_)
        return self

    def sample(self, n_samples: int, random_state: int | None = None) -> np.ndarray:
        """Draw ``n_samples`` strings.

        Parameters
        ----------
        n_samples : int
            How many strings, at least 1.
        random_state : int or None
            Seed of this draw; None uses the generator's ``random_state`` parameter.

        Returns
        -------
        ndarray of object, shape (n_samples,)
            Raw strings: possibly invalid SMILES, possibly empty.
        """
        check_is_fitted(self, "n_parameters_")
        n_samples = check_n_samples(n_samples)
        seed = resolve_seed(self.random_state if random_state is None else random_state)
        strings = self._sample(n_samples, seed)
        out = np.empty(n_samples, dtype=object)
        out[:] = [str(s) for s in strings]
        return out
