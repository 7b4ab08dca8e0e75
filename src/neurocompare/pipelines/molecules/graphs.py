"""SMILES -> molecular graphs (torch-geometric ``Data``) for the graph networks.

Pure functions; no state. Nodes are heavy atoms (hydrogens are implicit and counted in a
feature), edges are bonds in both directions. The featurisation is the usual one of the
molecular-GNN baselines (Gilmer et al. 2017; Yang et al. 2019, chemprop; Hu et al. 2020,
OGB's ``smiles2graph``): one-hot categories, each with an "other" slot so unseen values do
not collide with a listed one.

======================= ====================================================== ======
atom feature            values                                                 width
======================= ====================================================== ======
element                 :data:`ELEMENTS` + other                               13
degree                  0..5 + other                                           7
formal charge           -2, -1, 0, 1, 2 + other                                6
hybridisation           SP, SP2, SP3, SP3D, SP3D2 + other                      6
aromatic                0/1                                                    1
total hydrogens         0..4 + other                                           6
in ring                 0/1                                                    1
======================= ====================================================== ======

======================= ====================================================== ======
bond feature            values                                                 width
======================= ====================================================== ======
type                    single, double, triple, aromatic (one-hot, no other)   4
conjugated              0/1                                                    1
in ring                 0/1                                                    1
======================= ====================================================== ======
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from rdkit import Chem

from neurocompare.pipelines.molecules.featurize import as_smiles, parse_smiles

__all__ = [
    "ATOM_DIM",
    "BOND_DIM",
    "ELEMENTS",
    "atom_features",
    "bond_features",
    "mol_to_graph",
    "smiles_to_graph",
    "smiles_to_graphs",
]

#: Elements with their own one-hot slot (the organic subset plus common drug-set atoms).
ELEMENTS = ("C", "N", "O", "S", "F", "Cl", "Br", "I", "P", "B", "Si", "Se")
_DEGREES = (0, 1, 2, 3, 4, 5)
_CHARGES = (-2, -1, 0, 1, 2)
_HYBRIDISATIONS = (Chem.HybridizationType.SP, Chem.HybridizationType.SP2,
                   Chem.HybridizationType.SP3, Chem.HybridizationType.SP3D,
                   Chem.HybridizationType.SP3D2)
_HYDROGENS = (0, 1, 2, 3, 4)
_BOND_TYPES = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE,
               Chem.BondType.AROMATIC)

#: Width of an atom's feature vector.
ATOM_DIM = (len(ELEMENTS) + 1 + len(_DEGREES) + 1 + len(_CHARGES) + 1
            + len(_HYBRIDISATIONS) + 1 + 1 + len(_HYDROGENS) + 1 + 1)
#: Width of a bond's feature vector.
BOND_DIM = len(_BOND_TYPES) + 2


def _one_hot(value: Any, choices: Sequence[Any], other: bool = True) -> list[float]:
    """One-hot of ``value`` over ``choices``, plus a last "other" slot when ``other``."""
    row = [0.0] * (len(choices) + int(other))
    if value in choices:
        row[choices.index(value)] = 1.0
    elif other:
        row[-1] = 1.0
    return row


def atom_features(atom: Chem.Atom) -> np.ndarray:
    """Feature vector of one RDKit atom, shape (:data:`ATOM_DIM`,), float32."""
    return np.asarray(
        _one_hot(atom.GetSymbol(), ELEMENTS)
        + _one_hot(atom.GetDegree(), _DEGREES)
        + _one_hot(atom.GetFormalCharge(), _CHARGES)
        + _one_hot(atom.GetHybridization(), _HYBRIDISATIONS)
        + [float(atom.GetIsAromatic())]
        + _one_hot(atom.GetTotalNumHs(), _HYDROGENS)
        + [float(atom.IsInRing())], dtype=np.float32)


def bond_features(bond: Chem.Bond) -> np.ndarray:
    """Feature vector of one RDKit bond, shape (:data:`BOND_DIM`,), float32."""
    return np.asarray([*_one_hot(bond.GetBondType(), _BOND_TYPES, other=False),
                       float(bond.GetIsConjugated()), float(bond.IsInRing())],
                      dtype=np.float32)


def mol_to_graph(mol: Chem.Mol) -> Any:
    """The graph of one RDKit molecule.

    Returns
    -------
    torch_geometric.data.Data
        ``x`` float32 (n_atoms, :data:`ATOM_DIM`), ``edge_index`` int64 (2, 2 * n_bonds) with
        each bond in both directions, ``edge_attr`` float32 (2 * n_bonds, :data:`BOND_DIM`).
    """
    x = np.stack([atom_features(atom) for atom in mol.GetAtoms()])
    pairs, attrs = [], []
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        features = bond_features(bond)
        pairs += [(i, j), (j, i)]
        attrs += [features, features]
    edge_index = (torch.as_tensor(np.asarray(pairs, dtype=np.int64).T) if pairs
                  else torch.zeros((2, 0), dtype=torch.long))
    edge_attr = (torch.as_tensor(np.stack(attrs)) if attrs
                 else torch.zeros((0, BOND_DIM), dtype=torch.float32))
    return _data_class()(x=torch.as_tensor(x), edge_index=edge_index, edge_attr=edge_attr)


def _data_class() -> type:
    """``torch_geometric.data.Data``, imported with its import-time deprecation notices
    (``torch.jit.script``) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch_geometric.data import Data
    return Data


def smiles_to_graph(smiles: str) -> Any:
    """The graph of one SMILES string (see :func:`mol_to_graph`); unparsable -> input error."""
    return mol_to_graph(parse_smiles([as_smiles([smiles])[0]])[0])


def smiles_to_graphs(X: Any, name: str = "X") -> list[Any]:
    """Graphs of a column of SMILES strings.

    Parameters
    ----------
    X : array-like of str, shape (n_samples,) or (n_samples, 1)
    name : str
        Parameter name for error messages.

    Returns
    -------
    list of torch_geometric.data.Data, length n_samples

    Raises
    ------
    InputError
        Naming ``name[row]`` and the string, for the first entry that is not a SMILES string
        RDKit can parse.
    """
    return [mol_to_graph(mol) for mol in parse_smiles(as_smiles(X, name), name)]
