"""Splits of a SMILES corpus for the generative comparison.

A generator learns from the training part, early-stops on the validation part (networks
only; the others ignore it) and is scored against the test part (MOSES's reference set:
fragment and scaffold similarity, nearest-neighbour similarity, property distances, FCD)
and against the training part (novelty). The split is repeated over seeds, and every
generator of a run sees the same parts for a seed.

* ``random`` (default, as MOSES): a seeded permutation cut at the fractions.
* ``scaffold``: TDC's balanced scaffold split
  (:func:`neurocompare.protocols.scaffold.balanced_scaffold_split`): no test scaffold is
  seen in training, so scaffold similarity and novelty measure generalisation to new ring
  systems rather than recall of the series.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from neurocompare._errors import check_option, input_error
from neurocompare.protocols.scaffold import balanced_scaffold_split

__all__ = ["SPLITS", "GenerationSplit", "check_fractions", "check_seeds", "generation_splits"]

SPLITS = ("random", "scaffold")


@dataclass(frozen=True)
class GenerationSplit:
    """One seed's parts of the corpus.

    Attributes
    ----------
    seed : int
    train, valid, test : ndarray of int
        Sorted positions in the corpus; disjoint, together every position.
    """

    seed: int
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    """Three positive fractions summing to 1, else an input error naming ``fractions``."""
    values = tuple(float(f) for f in fractions)
    if len(values) != 3 or min(values) <= 0 or abs(sum(values) - 1.0) > 1e-9:
        raise input_error("fractions", "three positive fractions (train, valid, test) "
                          "summing to 1", fractions)
    return values  # type: ignore[return-value]


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """Distinct ints in [0, 2**32), else an input error naming ``seeds``."""
    out = list(seeds)
    if not out or any(isinstance(s, bool) or not isinstance(s, int | np.integer)
                      or not 0 <= s < 2**32 for s in out) or len(set(out)) != len(out):
        raise input_error("seeds", "distinct ints in [0, 2**32)", seeds)
    return [int(s) for s in out]


def generation_splits(n_molecules: int, seeds: Sequence[int], *, split: str = "random",
                      fractions: Sequence[float] = (0.8, 0.1, 0.1),
                      scaffolds: Sequence[str] | None = None) -> list[GenerationSplit]:
    """One train/validation/test split of the corpus per seed.

    Parameters
    ----------
    n_molecules : int
        Corpus size.
    seeds : sequence of int
        One split per seed.
    split : {"random", "scaffold"}
    fractions : (float, float, float)
        Train, validation and test fractions (MOSES: about 0.8 / 0.1 / 0.1).
    scaffolds : sequence of str, length n_molecules, optional
        Murcko scaffold of each molecule (``split="scaffold"`` only).

    Returns
    -------
    list of GenerationSplit
    """
    check_option("split", split, SPLITS)
    frac = check_fractions(fractions)
    seeds = check_seeds(seeds)
    if n_molecules < 10:
        raise input_error("corpus", "at least 10 molecules to split", n_molecules)
    out = []
    for seed in seeds:
        if split == "scaffold":
            if scaffolds is None or len(scaffolds) != n_molecules:
                raise input_error("scaffolds", f"{n_molecules} scaffolds for split='scaffold'",
                                  None if scaffolds is None else len(scaffolds))
            train, valid, test = balanced_scaffold_split(scaffolds, frac, seed)
        else:
            order = np.random.default_rng(seed).permutation(n_molecules)
            n_train, n_valid = int(n_molecules * frac[0]), int(n_molecules * frac[1])
            train, valid, test = (np.sort(order[:n_train]),
                                  np.sort(order[n_train:n_train + n_valid]),
                                  np.sort(order[n_train + n_valid:]))
        if min(len(train), len(valid), len(test)) == 0:
            raise input_error("fractions", "non-empty train, validation and test parts",
                              f"{len(train)} / {len(valid)} / {len(test)} molecules")
        out.append(GenerationSplit(seed, train, valid, test))
    return out
