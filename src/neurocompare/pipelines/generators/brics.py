"""BRICS fragment recombination: the fragment-based baseline of generative chemistry.

Fitting cuts every training molecule at its BRICS bonds (Degen et al. 2008, "On the art of
compiling and using 'drug-like' chemical fragment spaces", ChemMedChem 3, 1503) with RDKit's
:func:`rdkit.Chem.BRICS.BRICSDecompose` and counts the distinct fragments (canonical SMILES with
labelled dummy atoms such as ``[16*]c1ccccc1``). Fragments without a dummy atom (molecules with
no BRICS bond) cannot be joined to anything and are not kept.

Sampling grows one molecule per draw, with its own seeded recombination rather than
:func:`rdkit.Chem.BRICS.BRICSBuild` (which enumerates products exhaustively in a fixed order,
and shuffles with the module-level ``random`` state): a seed fragment is drawn, then an open
dummy atom, then a fragment carrying a dummy whose BRICS label may bond to it (the pairs and
bond orders of :data:`rdkit.Chem.BRICS.reactionDefs`: single bonds, a double bond for the
``7``–``7`` pair); fragments are drawn in proportion to the number of training molecules that
contain them. The molecule never exceeds ``max_fragments`` fragments: a fragment is drawn only
if every open site can still be closed within that bound (so near the bound only terminal
fragments, with one dummy, qualify). The pieces are joined in one call to
:func:`rdkit.Chem.molzip` (which keeps stereochemistry), sanitised and written as canonical
SMILES. A draw that finds no fragment for an open site or does not sanitise is retried, at most
``max_attempts`` times; after that the sample is the empty string, which counts as invalid, so
validity shows the failures.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import BRICS

from neurocompare._errors import input_error
from neurocompare.pipelines.generators.base import SmilesGenerator

__all__ = ["BRICS_BONDS", "BricsGenerator", "brics_fragments"]

logger = logging.getLogger(__name__)


def _bonds() -> dict[tuple[int, int], Chem.BondType]:
    """Compatible BRICS labels (both orders) -> bond order, from RDKit's reaction table."""
    out = {}
    for group in BRICS.reactionDefs:
        for first, second, bond in group:
            a, b = int(first.rstrip("ab")), int(second.rstrip("ab"))
            order = Chem.BondType.DOUBLE if bond == "=" else Chem.BondType.SINGLE
            out[a, b] = out[b, a] = order
    return out


#: (label, label) -> bond order of every pair of BRICS dummy labels that may be joined.
BRICS_BONDS: dict[tuple[int, int], Chem.BondType] = _bonds()


def brics_fragments(smiles: list[str], name: str = "X") -> Counter[str]:
    """Joinable BRICS fragments of ``smiles`` and the number of molecules holding each.

    Parameters
    ----------
    smiles : list of str, length n_molecules
    name : str
        Parameter named in the error for a string RDKit cannot parse.

    Returns
    -------
    Counter
        Fragment SMILES (with at least one dummy atom) -> number of molecules it comes from.
    """
    counts: Counter[str] = Counter()
    with rdBase.BlockLogs():
        for position, text in enumerate(smiles):
            mol = Chem.MolFromSmiles(text)
            if mol is None:
                raise input_error(name, "SMILES that RDKit parses", text,
                                  hint=f"Entry {position} does not parse.")
            counts.update(f for f in BRICS.BRICSDecompose(mol) if "*" in f)
    return counts


@dataclass(frozen=True)
class _Fragments:
    """Parsed fragments and, per dummy label, the fragments that may bond to it."""

    mols: list[Chem.Mol]
    sites: list[list[tuple[int, int]]]  # per fragment: (dummy atom index, label)
    pools: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]  # label -> ids, sizes, weights


def _prepare(fragments: list[str], counts: np.ndarray) -> _Fragments:
    mols, sites = [], []
    for text in fragments:
        mol = Chem.RWMol(Chem.MolFromSmiles(text))
        mine = []
        for atom in mol.GetAtoms():
            if atom.GetAtomicNum() == 0:
                mine.append((atom.GetIdx(), atom.GetIsotope()))
                if atom.GetIsotope() == 7:  # the 7-7 pair is joined by a double bond
                    atom.GetBonds()[0].SetBondType(Chem.BondType.DOUBLE)
        mol.UpdatePropertyCache(strict=False)
        mols.append(mol.GetMol())
        sites.append(mine)
    sizes = np.array([len(s) for s in sites])
    pools = {}
    for label in sorted({lab for pair in BRICS_BONDS for lab in pair}):
        ids = np.array([i for i, s in enumerate(sites)
                        if any((label, lab) in BRICS_BONDS for _, lab in s)], dtype=np.intp)
        pools[label] = (ids, sizes[ids], counts[ids].astype(np.float64))
    return _Fragments(mols, sites, pools)


class BricsGenerator(SmilesGenerator):
    """Random recombination of the training set's BRICS fragments.

    Parameters
    ----------
    max_fragments : int
        Most fragments in one molecule, >= 2 (BRICSBuild's ``maxDepth`` bounds rounds of
        joining instead; a bound on fragments is the same idea for a grown molecule). 6 lets
        most samples reach the size of a drug: drug-like molecules break into 3 to 6 BRICS
        fragments.
    max_attempts : int
        Draws tried per sample before emitting the empty string.
    random_state : int or None
        Default seed of :meth:`sample` (fitting is deterministic).

    Attributes
    ----------
    fragments_ : ndarray of object, shape (n_fragments,)
        Distinct joinable fragments (canonical SMILES with labelled dummy atoms), sorted.
    fragment_counts_ : ndarray of int, shape (n_fragments,)
        Number of training molecules holding each fragment.
    n_parameters_ : int
        Number of stored fragments.
    """

    def __init__(self, max_fragments: int = 6, max_attempts: int = 10,
                 random_state: int | None = None) -> None:
        self.max_fragments = max_fragments
        self.max_attempts = max_attempts
        self.random_state = random_state

    def _check_params(self) -> None:
        for name, minimum in (("max_fragments", 2), ("max_attempts", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < minimum:
                raise input_error(name, f"an integer >= {minimum}", value)

    def _fit(self, smiles: list[str], valid: list[str] | None) -> None:
        counts = brics_fragments(smiles, "X")
        if not counts:
            raise input_error("X", "molecules with at least one BRICS bond",
                              f"{len(smiles)} molecules without one")
        names = sorted(counts)  # BRICSDecompose returns a set: sort for a fixed order
        self.fragments_ = np.asarray(names, dtype=object)
        self.fragment_counts_ = np.array([counts[n] for n in names], dtype=np.int64)
        self.n_parameters_ = len(names)
        logger.debug("BRICS: %d fragments from %d molecules", len(names), len(smiles))

    def _plan(self, frags: _Fragments, seeds: tuple[np.ndarray, np.ndarray],
              rng: np.random.Generator) -> tuple[list[int], list[tuple[int, int, int, int]]]:
        """Fragments of one molecule and its joins ``(piece, atom, piece, atom)``; empty
        when an open site finds no fragment within the bound."""
        limit = int(self.max_fragments)
        pieces = [int(seeds[0][_weighted(rng, seeds[1])])]
        open_sites = [(0, atom, label) for atom, label in frags.sites[pieces[0]]]
        joins: list[tuple[int, int, int, int]] = []
        while open_sites:
            piece, atom, label = open_sites.pop(int(rng.integers(len(open_sites))))
            room = limit - len(pieces) - len(open_sites)  # dummies a new fragment may have
            ids, sizes, weights = frags.pools[label]
            fits = sizes <= room
            if not fits.any():
                return [], []
            chosen = int(ids[fits][_weighted(rng, weights[fits])])
            ends = [(a, lab) for a, lab in frags.sites[chosen] if (label, lab) in BRICS_BONDS]
            end_atom = ends[int(rng.integers(len(ends)))][0]
            joins.append((piece, atom, len(pieces), end_atom))
            open_sites.extend((len(pieces), a, lab) for a, lab in frags.sites[chosen]
                              if a != end_atom)
            pieces.append(chosen)
        return pieces, joins

    @staticmethod
    def _assemble(frags: _Fragments, pieces: list[int],
                  joins: list[tuple[int, int, int, int]]) -> str:
        """Canonical SMILES of the joined pieces, or "" if RDKit rejects the molecule."""
        offsets = np.cumsum([0] + [frags.mols[p].GetNumAtoms() for p in pieces])
        combined = frags.mols[pieces[0]]
        for piece in pieces[1:]:
            combined = Chem.CombineMols(combined, frags.mols[piece])
        combined = Chem.RWMol(combined)
        for number, (first, atom, second, end) in enumerate(joins, start=1):
            combined.GetAtomWithIdx(int(offsets[first] + atom)).SetAtomMapNum(number)
            combined.GetAtomWithIdx(int(offsets[second] + end)).SetAtomMapNum(number)
        try:
            mol = Chem.molzip(combined)
            Chem.SanitizeMol(mol)
            return Chem.MolToSmiles(mol)
        except (ValueError, RuntimeError):  # RDKit's sanitisation and zipping errors
            return ""

    def _sample(self, n_samples: int, seed: int) -> list[str]:
        rng = np.random.default_rng(seed)
        frags = _prepare(list(self.fragments_), self.fragment_counts_)
        sizes = np.array([len(s) for s in frags.sites])
        seed_ids = np.flatnonzero(sizes <= int(self.max_fragments) - 1)
        if not len(seed_ids):
            return [""] * n_samples
        seeds = (seed_ids, self.fragment_counts_[seed_ids].astype(np.float64))
        out, failed = [], 0
        with rdBase.BlockLogs():
            for _ in range(n_samples):
                text = ""
                for _ in range(int(self.max_attempts)):
                    pieces, joins = self._plan(frags, seeds, rng)
                    text = self._assemble(frags, pieces, joins) if pieces else ""
                    if text:
                        break
                failed += not text
                out.append(text)
        if failed:
            logger.info("BRICS: %d of %d samples failed %d attempts", failed, n_samples,
                        self.max_attempts)
        return out


def _weighted(rng: np.random.Generator, weights: np.ndarray) -> int:
    """Index drawn with probability proportional to ``weights``."""
    cumulative = np.cumsum(weights)
    return min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")),
               len(weights) - 1)
