"""SMILES featurisers: Morgan fingerprints, MACCS keys and RDKit 2-D descriptors.

Each featuriser is a scikit-learn transformer over a 1-D object array of SMILES strings
(a list or an (n_samples, 1) array is also accepted) and returns a numeric matrix, so any
scikit-learn model can follow it in a ``Pipeline``. The chemistry is in pure functions
(:func:`parse_smiles`, :func:`morgan_matrix`, :func:`maccs_matrix`,
:func:`descriptor_matrix`); the estimators only validate and hold fitted state.

Fingerprints have no fitted state; descriptors learn one per-column median on the training
fold to replace RDKit's missing or infinite values, so no test molecule informs the
replacement. Nothing is cached between calls (every ``transform`` parses its input), so
folds cannot share state through this module.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import Descriptors, MACCSkeys, rdFingerprintGenerator
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error

__all__ = [
    "MACCSKeys",
    "MorganFingerprint",
    "RDKitDescriptors",
    "SmilesInputMixin",
    "SmilesTransformerMixin",
    "as_smiles",
    "descriptor_matrix",
    "descriptor_names",
    "fill_non_finite",
    "finite_medians",
    "maccs_matrix",
    "morgan_matrix",
    "parse_smiles",
]

logger = logging.getLogger(__name__)

#: Largest magnitude kept in descriptor output: tree models work in float32, and RDKit's
#: ``Ipc`` of large molecules exceeds its range.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def as_smiles(X, name: str = "X") -> np.ndarray:
    """Validate ``X`` as SMILES strings.

    Parameters
    ----------
    X : array-like of str, shape (n_samples,) or (n_samples, 1)
    name : str
        Parameter name used in error messages.

    Returns
    -------
    ndarray of str (object dtype), shape (n_samples,)
    """
    array = np.asarray(X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.shape[0] == 0:
        raise input_error(name, "SMILES strings, shape (n_samples,) or (n_samples, 1) with "
                          "n_samples >= 1", f"an array of shape {array.shape}")
    for index, value in enumerate(array):
        if not isinstance(value, str):
            raise input_error(f"{name}[{index}]", "a SMILES string", value,
                              hint="Molecule pipelines take SMILES, not numeric features.")
    return array


def parse_smiles(smiles: Sequence[str], name: str = "X") -> list[Chem.Mol]:
    """Parse SMILES with RDKit; the first unparsable (or empty) one raises.

    Parameters
    ----------
    smiles : sequence of str, length n_samples
    name : str
        Parameter name used in error messages.

    Returns
    -------
    list of rdkit.Chem.Mol, length n_samples
    """
    with rdBase.BlockLogs():  # RDKit would also print its parse errors to stderr
        mols = [Chem.MolFromSmiles(text) for text in smiles]
    for index, mol in enumerate(mols):
        if mol is None or mol.GetNumAtoms() == 0:
            raise input_error(f"{name}[{index}]", "a non-empty SMILES string that RDKit can "
                              "parse", smiles[index], hint=f"Fix or drop row {index}.")
    return mols


def morgan_matrix(mols: Sequence[Chem.Mol], radius: int = 2, n_bits: int = 2048,
                  counts: bool = False, chirality: bool = False) -> np.ndarray:
    """Folded Morgan (ECFP-like) fingerprints, RDKit's ``GetMorganGenerator``.

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol, length n_samples
    radius : int
        Largest environment radius (2 gives ECFP4).
    n_bits : int
        Fingerprint length.
    counts : bool
        Occurrence counts per bit instead of presence.
    chirality : bool
        Include chirality in the atom invariants.

    Returns
    -------
    ndarray of float32, shape (n_samples, n_bits)
    """
    generator = rdFingerprintGenerator.GetMorganGenerator(
        radius=radius, fpSize=n_bits, includeChirality=chirality)
    compute = generator.GetCountFingerprintAsNumPy if counts else \
        generator.GetFingerprintAsNumPy
    out = np.empty((len(mols), n_bits), dtype=np.float32)
    for row, mol in enumerate(mols):  # per-molecule NumPy output is RDKit's fastest path
        out[row] = compute(mol)
    return out


def maccs_matrix(mols: Sequence[Chem.Mol]) -> np.ndarray:
    """The 166 MACCS structural keys (RDKit's 167-bit vector; bit 0 is always 0).

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol, length n_samples

    Returns
    -------
    ndarray of float32, shape (n_samples, 167)
    """
    bits = "".join(MACCSkeys.GenMACCSKeys(mol).ToBitString() for mol in mols)
    codes = np.frombuffer(bits.encode("ascii"), dtype=np.uint8) - ord("0")
    return codes.reshape(len(mols), 167).astype(np.float32)


def descriptor_names() -> list[str]:
    """Names of RDKit's 2-D descriptors, in :func:`descriptor_matrix` column order."""
    return [name for name, _ in Descriptors._descList]


def descriptor_matrix(mols: Sequence[Chem.Mol]) -> np.ndarray:
    """RDKit's 2-D descriptor set (``Descriptors.CalcMolDescriptors``).

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol, length n_samples

    Returns
    -------
    ndarray of float64, shape (n_samples, n_descriptors)
        Columns as :func:`descriptor_names`; a descriptor RDKit cannot compute is NaN,
        and RDKit may return infinite values.
    """
    names = descriptor_names()
    out = np.empty((len(mols), len(names)))
    with rdBase.BlockLogs():
        for row, mol in enumerate(mols):
            values = Descriptors.CalcMolDescriptors(mol, missingVal=np.nan, silent=True)
            out[row] = [values[name] for name in names]
    return out


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise input_error(name, f"an integer >= {minimum}", value)


def _check_bool(name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise input_error(name, "True or False", value)


class SmilesInputMixin:
    """scikit-learn tags of an estimator reading a 1-D array of SMILES strings."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


class SmilesTransformerMixin(SmilesInputMixin):
    """A SMILES transformer's tags and its output feature names (``feature_names_out_``)."""

    def get_feature_names_out(self, input_features=None):
        """Return the output feature names, shape (n_features_out,)."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()


class _SmilesFeaturizer(SmilesTransformerMixin, TransformerMixin, BaseEstimator):
    """Shared fit/transform over SMILES; subclasses implement ``_fit_mols`` and
    ``_features`` (and ``_check_params`` where they have parameters)."""

    def _check_params(self) -> None:
        return None

    def _fit_mols(self, mols: list[Chem.Mol]) -> None:
        raise NotImplementedError

    def _features(self, mols: list[Chem.Mol]) -> np.ndarray:
        raise NotImplementedError

    def fit(self, X, y=None):
        """Validate the parameters and check that every SMILES parses.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)
        y : ignored
        """
        self._check_params()
        self._fit_mols(parse_smiles(as_smiles(X)))
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit and return the training features (parsing the SMILES once).

        Returns
        -------
        ndarray, shape (n_samples, n_features_out)
        """
        self._check_params()
        mols = parse_smiles(as_smiles(X))
        self._fit_mols(mols)
        return self._features(mols)

    def transform(self, X):
        """Return the features of each molecule.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)

        Returns
        -------
        ndarray, shape (n_samples, n_features_out)
        """
        check_is_fitted(self)
        return self._features(parse_smiles(as_smiles(X)))


class MorganFingerprint(_SmilesFeaturizer):
    """Folded Morgan fingerprints of SMILES (RDKit ``GetMorganGenerator``).

    Parameters
    ----------
    radius : int
        Largest environment radius (2 gives ECFP4, the field's default).
    n_bits : int
        Fingerprint length.
    counts : bool
        Occurrence counts per bit (``GetCountFingerprintAsNumPy``) instead of presence.
    chirality : bool
        Include chirality in the atom invariants.

    Attributes
    ----------
    feature_names_out_ : ndarray of str, shape (n_bits,)
        ``morgan0`` ... ``morgan{n_bits-1}``.

    Notes
    -----
    ``transform`` returns float32, shape (n_samples, n_bits). No state is learned.
    """

    def __init__(self, radius: int = 2, n_bits: int = 2048, counts: bool = False,
                 chirality: bool = False):
        self.radius = radius
        self.n_bits = n_bits
        self.counts = counts
        self.chirality = chirality

    def _check_params(self) -> None:
        _check_int("radius", self.radius, 0)
        _check_int("n_bits", self.n_bits, 1)
        _check_bool("counts", self.counts)
        _check_bool("chirality", self.chirality)

    def _fit_mols(self, mols):
        self.feature_names_out_ = np.array([f"morgan{i}" for i in range(self.n_bits)],
                                           dtype=object)

    def _features(self, mols):
        return morgan_matrix(mols, int(self.radius), int(self.n_bits), bool(self.counts),
                             bool(self.chirality))


class MACCSKeys(_SmilesFeaturizer):
    """MACCS structural keys of SMILES (RDKit ``MACCSkeys.GenMACCSKeys``).

    Attributes
    ----------
    feature_names_out_ : ndarray of str, shape (167,)
        ``maccs0`` ... ``maccs166`` (RDKit numbering; key 0 is unused and always 0).

    Notes
    -----
    ``transform`` returns float32, shape (n_samples, 167). No state is learned.
    """

    def _fit_mols(self, mols):
        self.feature_names_out_ = np.array([f"maccs{i}" for i in range(167)], dtype=object)

    def _features(self, mols):
        return maccs_matrix(mols)


class RDKitDescriptors(_SmilesFeaturizer):
    """RDKit's 2-D descriptor set of SMILES, with missing values filled from training.

    RDKit returns NaN for a descriptor it cannot compute and, for some molecules,
    infinite values. ``fit`` records each descriptor's median over the *training*
    molecules' finite values (0 if it has none), and every non-finite value, at fit and
    at transform, is replaced by that median. Finite values beyond float32's range
    (RDKit's ``Ipc`` of large molecules) are clipped to it, because tree models convert
    their input to float32.

    Attributes
    ----------
    feature_names_out_ : ndarray of str, shape (n_descriptors,)
        Descriptor names (``Descriptors._descList`` order; 217 in RDKit 2026.03).
    medians_ : ndarray of float64, shape (n_descriptors,)
        Training-fold median of each descriptor's finite values.

    Notes
    -----
    ``transform`` returns float64, shape (n_samples, n_descriptors).
    """

    def _fit_mols(self, mols):
        self.feature_names_out_ = np.array(descriptor_names(), dtype=object)
        self.medians_ = finite_medians(descriptor_matrix(mols))

    def fit_transform(self, X, y=None, **fit_params):
        """Fit and return the training descriptors (computed once).

        Returns
        -------
        ndarray of float64, shape (n_samples, n_descriptors)
        """
        mols = parse_smiles(as_smiles(X))
        values = descriptor_matrix(mols)
        self.feature_names_out_ = np.array(descriptor_names(), dtype=object)
        self.medians_ = finite_medians(values)
        return fill_non_finite(values, self.medians_)

    def _features(self, mols):
        return fill_non_finite(descriptor_matrix(mols), self.medians_)


def finite_medians(values: np.ndarray) -> np.ndarray:
    """Median of each column's finite values, 0 for a column with none.

    Parameters
    ----------
    values : ndarray, shape (n_samples, n_features)

    Returns
    -------
    ndarray of float64, shape (n_features,)
    """
    finite = np.where(np.isfinite(values), values, np.nan)
    empty = np.isnan(finite).all(axis=0)
    finite[:, empty] = 0.0
    return np.clip(np.nanmedian(finite, axis=0), -_FLOAT32_MAX, _FLOAT32_MAX)


def fill_non_finite(values: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Replace NaN and +-inf by ``fill`` (per column) and clip to float32's range.

    Parameters
    ----------
    values : ndarray, shape (n_samples, n_features)
    fill : ndarray, shape (n_features,)

    Returns
    -------
    ndarray of float64, shape (n_samples, n_features)
    """
    out = np.where(np.isfinite(values), values, fill[None, :])
    return np.clip(out, -_FLOAT32_MAX, _FLOAT32_MAX)
