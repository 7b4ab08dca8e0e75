"""Drug-target affinity datasets (kind ``"pairs"``): Davis and KIBA in DeepDTA's form.

================ =================================== =========================================
name             pairs                               affinity
================ =================================== =========================================
``davis``        68 drugs x 442 kinases = 30,056     pKd = -log10(Kd / 1e9), Kd in nM; 70 % of
                 (all measured)                      pairs sit at the 5.0 floor (Kd 10 uM:
                                                     "no binding detected", censored)
``kiba``         2,111 drugs x 229 kinases: 118,254  KIBA score (Ki, Kd, IC50 integrated;
                 measured of 483,419                 higher = stronger binding, ~0-17)
================ =================================== =========================================

Read from ``<data root>/davis_dti`` and ``<data root>/kiba_dti`` (``drugs.csv``,
``targets.csv``, ``affinities.csv``, ``folds_setting1.json``; see each folder's
``SOURCE.md``). ``X`` holds one row per measured pair: the drug's SMILES (DeepDTA's canonical
SMILES, not re-standardised: the benchmark's molecules) and the target's amino-acid sequence;
``y`` the affinity. The metadata holds ``subject`` (``"all"``: one pseudo-subject),
``session``/``run`` (``"0"``), ``pair`` (the position DeepDTA's fold file indexes),
``drug_id`` and ``target_id`` (for the cold-start protocols) and ``setting1``: the pair's
part of DeepDTA's setting-1 split, ``"test"`` or ``"train0"``..``"train4"`` (for the
``dti-setting1`` protocol).

``info.extra`` carries ``affinity_threshold`` -- the literature's binarisation for AUPR
(Davis pKd >= 7, KIBA >= 12.1) -- ``censored_at`` (Davis: 5.0), ``folds_file``, and
DeepDTA's input lengths ``smiles_len`` / ``protein_len`` (Davis 85 / 1200, KIBA 100 / 1000).

``n_drugs`` / ``n_targets`` keep a seeded random subset of drugs / targets (quick runs and
tests); ``pair`` keeps its full-set value, so DeepDTA's fold file still applies (pairs
outside the subset are dropped from its folds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from neurocompare._errors import check_path, input_error
from neurocompare.config import dataset_path
from neurocompare.data.base import WHOLE_DATASET, Dataset
from neurocompare.data.containers import NeuralData, SignalInfo

__all__ = ["KIBA", "DTIDataset", "Davis", "read_setting1_folds"]

FOLDS_FILE = "folds_setting1.json"


def read_setting1_folds(path: str | Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """DeepDTA's setting-1 split: the test pair positions and the five training folds.

    Parameters
    ----------
    path : str or Path
        ``folds_setting1.json`` (keys ``test`` and ``train_folds``, positions into ``pair``).

    Returns
    -------
    test : ndarray of int, shape (n_test,)
    train_folds : list of ndarray of int
    """
    path = check_path("folds_setting1.json", path)
    try:
        content = json.loads(path.read_text())
        test = np.asarray(content["test"], dtype=int)
        folds = [np.asarray(f, dtype=int) for f in content["train_folds"]]
    except (ValueError, KeyError, TypeError) as error:
        raise input_error(str(path), "JSON with integer lists 'test' and 'train_folds'",
                          f"{type(error).__name__}: {error}") from error
    everything = np.concatenate([test, *folds])
    if len(np.unique(everything)) != len(everything):
        raise input_error(str(path), "every pair in exactly one of test / train_folds",
                          f"{len(everything) - len(np.unique(everything))} repeated")
    return test, folds


@dataclass
class DTIDataset(Dataset):
    """A drug-target affinity set under the data root (see the module docstring).

    Parameters
    ----------
    root : str or Path, optional
        Folder of the CSV files; default ``<data root>/<folder>``.
    n_drugs, n_targets : int, optional
        Keep a seeded random subset of this many drugs / targets.
    subset_seed : int
        Seed of those subsets.
    """

    kind = "pairs"
    loading_unit = "dataset"
    threshold: ClassVar[float] = 0.0
    censored_at: ClassVar[float | None] = None
    units: ClassVar[str] = ""
    #: DeepDTA's input lengths for this set (SMILES characters, residues).
    lengths: ClassVar[tuple[int, int]] = (85, 1200)

    root: str | Path | None = None
    n_drugs: int | None = None
    n_targets: int | None = None
    subset_seed: int = 0

    def _root(self) -> Path:
        if self.root is not None:
            return Path(self.root)
        return dataset_path(self.data_folder, dataset=self.name)

    def subjects(self) -> list[str]:
        """One pseudo-subject, ``"all"``: every pair of the set."""
        return [WHOLE_DATASET]

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The three tables and the fold file."""
        root = self._root()
        return [root / "drugs.csv", root / "targets.csv", root / "affinities.csv",
                root / FOLDS_FILE]

    def _table(self, file: str, columns: tuple[str, ...], key: str) -> pd.DataFrame:
        """Read ``file`` with its id columns as strings; ``key`` must be unique."""
        path = check_path(f"{self.name}: {file}", self._root() / file)
        try:
            table = pd.read_csv(path, dtype={"drug_id": str, "target_id": str})
        except (ValueError, UnicodeDecodeError) as error:
            raise input_error(str(path), "a CSV table", f"{type(error).__name__}: {error}") \
                from error
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise input_error(str(path), f"columns {list(columns)}", f"missing {missing}")
        if table[key].duplicated().any():
            raise input_error(str(path), f"one row per {key}",
                              table.loc[table[key].duplicated(), key].tolist()[:5])
        return table

    def _subset(self, ids: np.ndarray, n: int | None, name: str, offset: int) -> np.ndarray:
        if n is None:
            return ids
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or \
                not 2 <= n <= len(ids):
            raise input_error(name, f"an integer in 2..{len(ids)}", n)
        rng = np.random.default_rng(self.subset_seed + offset)
        return np.sort(rng.choice(ids, size=int(n), replace=False))

    def _setting1(self, pair: np.ndarray) -> np.ndarray:
        """Each pair's part of DeepDTA's split ("test", "train0".."train4")."""
        test, folds = read_setting1_folds(self._root() / FOLDS_FILE)
        parts = {int(p): "test" for p in test}
        parts |= {int(p): f"train{k}" for k, fold in enumerate(folds) for p in fold}
        missing = sorted(set(pair.tolist()) - set(parts))
        if missing:
            raise input_error(str(self._root() / FOLDS_FILE), "every pair in the split",
                              f"pairs {missing[:5]} in none of its parts")
        return np.array([parts[int(p)] for p in pair], dtype=object)

    def _load_subject(self, subject: str) -> NeuralData:
        drugs = self._table("drugs.csv", ("drug_id", "smiles"), "drug_id")
        targets = self._table("targets.csv", ("target_id", "sequence"), "target_id")
        pairs = self._table("affinities.csv", ("pair", "drug_id", "target_id", "affinity"),
                            "pair")
        path = self._root() / "affinities.csv"
        for column, known in (("drug_id", drugs["drug_id"]), ("target_id", targets["target_id"])):
            unknown = sorted(set(pairs[column]) - set(known))
            if unknown:
                raise input_error(str(path), f"{column} values listed in the "
                                  f"{column.split('_')[0]}s table", unknown[:5])
        values = pd.to_numeric(pairs["affinity"], errors="coerce")
        if not np.isfinite(values).all():
            rows = np.flatnonzero(~np.isfinite(values))[:5].tolist()
            raise input_error(str(path), "finite numeric affinities", f"rows {rows}")
        keep_drugs = self._subset(np.sort(drugs["drug_id"].to_numpy()), self.n_drugs,
                                  "n_drugs", 0)
        keep_targets = self._subset(np.sort(targets["target_id"].to_numpy()), self.n_targets,
                                    "n_targets", 1)
        pairs = pairs.assign(affinity=values)
        pairs = pairs[pairs["drug_id"].isin(keep_drugs) & pairs["target_id"].isin(keep_targets)]
        pairs = pairs.reset_index(drop=True)
        smiles = dict(zip(drugs["drug_id"], drugs["smiles"], strict=True))
        sequences = dict(zip(targets["target_id"], targets["sequence"], strict=True))
        X = np.empty((len(pairs), 2), dtype=object)
        X[:, 0] = [smiles[d] for d in pairs["drug_id"]]
        X[:, 1] = [sequences[t] for t in pairs["target_id"]]
        metadata = pd.DataFrame({"subject": WHOLE_DATASET, "session": "0", "run": "0",
                                 "pair": pairs["pair"].to_numpy(dtype=int),
                                 "drug_id": pairs["drug_id"].to_numpy(),
                                 "target_id": pairs["target_id"].to_numpy(),
                                 "setting1": self._setting1(pairs["pair"].to_numpy(int))})
        extra: dict[str, Any] = {
            "affinity_threshold": self.threshold, "censored_at": self.censored_at,
            "folds_file": str(self._root() / FOLDS_FILE), "target_units": self.units,
            "smiles_len": self.lengths[0], "protein_len": self.lengths[1],
            "n_drugs": int(pairs["drug_id"].nunique()),
            "n_targets": int(pairs["target_id"].nunique())}
        info = SignalInfo(kind="pairs", task="regression", units=self.units, extra=extra)
        return NeuralData(X, pairs["affinity"].to_numpy(dtype=float), metadata, info)


@dataclass
class Davis(DTIDataset):
    """Davis et al. (2011) kinase Kd panel in DeepDTA's form (see the module docstring)."""

    name = "davis"
    description = ("Real Davis kinase binding (DeepDTA form): 68 drugs x 442 kinases, 30,056 "
                   "pKd values, 70 % at the 5.0 censoring floor; DeepDTA's setting-1 folds")
    scope_note = ("Protocols: dti-setting1 (DeepDTA's warm split), cold-drug, cold-target, "
                  "cold-pair.")
    data_folder = "davis_dti"
    threshold = 7.0
    censored_at = 5.0
    units = "pKd"


@dataclass
class KIBA(DTIDataset):
    """KIBA scores (Tang et al. 2014) in DeepDTA's form (see the module docstring)."""

    name = "kiba"
    description = ("Real KIBA kinase bioactivity (DeepDTA form): 2,111 drugs x 229 kinases, "
                   "118,254 measured KIBA scores; DeepDTA's setting-1 folds")
    scope_note = ("Protocols: dti-setting1 (DeepDTA's warm split), cold-drug, cold-target, "
                  "cold-pair.")
    data_folder = "kiba_dti"
    threshold = 12.1
    units = "KIBA score"
    lengths = (100, 1000)
