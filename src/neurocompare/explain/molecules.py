"""Fingerprint-bit and atom attributions of fitted Morgan-fingerprint pipelines.

A Morgan bit is set by atom environments (a centre atom and the bonds within ``radius``),
so importances over bits map back to chemistry. :func:`bit_importance`: ``"shap"`` is the
mean ``|SHAP|`` per bit (``shap.TreeExplainer`` for tree ensembles; other models get a seeded
``shap.PermutationExplainer`` against the all-bits-absent fingerprint, which permutes only
the bits a molecule sets) with the signed :func:`presence_effect`; ``"permutation"`` is
scikit-learn's permutation importance of each bit varying over the test molecules.
:func:`bit_substructures` names a bit by its most frequent environment (a SMILES fragment,
atoms bracketed with their H counts so an ester's ``C(=O)O`` reads unlike an acid's
``C(=O)[OH]``) and notes collisions; :func:`atom_scores` splits each set bit's SHAP equally
over its environments and their atoms (a "similarity map" over SHAP, summing to the SHAP of
the set bits); :func:`draw_bit_svg` and :func:`draw_atom_svg` draw with RDKit (headless).
:func:`explain_molecules` gives a fold's rows, kept small: a bit row holds its fragment,
counts and one example environment (SMILES, centre atom, radius), a ``"molecule"`` row one
example's atom scores (JSON); the report redraws the SVGs from them.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from rdkit.Chem.Draw import rdMolDraw2D
from sklearn.base import BaseEstimator

from neurocompare._errors import input_error
from neurocompare.data.containers import NeuralData
from neurocompare.explain._layout import final_estimator, split_pipeline, transform_prefix
from neurocompare.pipelines.molecules.featurize import MorganFingerprint, as_smiles, parse_smiles
from neurocompare.protocols.splitters import Fold

__all__ = [
    "MOLECULE_METHODS",
    "atom_attributions",
    "atom_scores",
    "bit_importance",
    "bit_info_maps",
    "bit_substructures",
    "draw_atom_svg",
    "draw_bit_svg",
    "explain_molecules",
    "morgan_step",
    "presence_effect",
]

logger = logging.getLogger(__name__)

MOLECULE_METHODS = ("shap", "permutation")
#: Bits stored per fitted fold and method (the most important), and example molecules.
TOP_BITS = 20
N_EXAMPLES = 3
_TREES = {f"{m}{t}" for t in ("Classifier", "Regressor") for m in (
    "RandomForest", "ExtraTrees", "GradientBoosting", "DecisionTree", "XGB", "LGBM")}
#: Permutations (each forward and backward) per molecule of the permutation explainer.
_PERMUTATIONS = 5


def morgan_step(pipeline: BaseEstimator) -> MorganFingerprint | None:
    """The Morgan featuriser feeding a pipeline's model directly (None: no bits to map)."""
    steps, _ = split_pipeline(getattr(pipeline, "best_estimator_", pipeline))
    if steps and isinstance(steps[-1][1], MorganFingerprint):
        return steps[-1][1]
    return None


def _shap_values(model: BaseEstimator, X: np.ndarray, seed: int) -> np.ndarray:
    """SHAP values, shape (n_samples, n_bits) or (n_samples, n_bits, n_outputs)."""
    import shap

    inner = final_estimator(model)
    if type(inner).__name__ in _TREES:
        return np.asarray(shap.TreeExplainer(inner).shap_values(X), dtype=float)
    output = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    masker = shap.maskers.Independent(np.zeros((1, X.shape[1]), dtype=X.dtype), max_samples=1)
    explainer = shap.PermutationExplainer(output, masker, seed=seed)
    n_set = int((X != 0).sum(axis=1).max())
    return np.asarray(explainer(X, max_evals=_PERMUTATIONS * (2 * n_set + 1),
                                silent=True).values, dtype=float)


def presence_effect(values: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Mean signed SHAP of the molecules setting each bit minus that of the others (an empty
    side counts 0): > 0 when the bit's presence pushes toward the last class (the positive
    one of a binary task) or a higher target.

    values, X : ndarray, shape (n_samples, n_bits); returns shape (n_bits,).
    """
    present = (np.asarray(X) != 0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        on = (values * present).sum(axis=0) / present.sum(axis=0)
        off = (values * (1 - present)).sum(axis=0) / (1 - present).sum(axis=0)
    return np.nan_to_num(on) - np.nan_to_num(off)


def bit_importance(pipeline: BaseEstimator, X_test, y_test, method: str = "shap", *,
                   seed: int = 0, n_repeats: int = 10, scoring: str | None = None
                   ) -> dict[str, Any]:
    """Importance of each fingerprint bit of a fitted Morgan pipeline on test molecules.

    Parameters
    ----------
    pipeline : Pipeline
        Fitted, its model reading a :class:`MorganFingerprint` step (a search is unwrapped).
    X_test : array-like of str, shape (n_samples,)
    y_test : array-like, shape (n_samples,)
        Labels or targets (only ``"permutation"`` reads them).
    method : {"shap", "permutation"}
    seed : int
    n_repeats, scoring : int, str or None
        Of ``"permutation"`` (scorer default: the model's ``score``).

    Returns
    -------
    dict
        ``importance``, shape (n_bits,): mean ``|SHAP|`` over molecules and classes, or mean
        score drop; ``importance_sd`` (n_bits,): SD over repeats (NaN for SHAP);
        ``direction`` (n_bits,): :func:`presence_effect` (NaN for permutation);
        ``per_molecule`` (n_samples, n_bits): signed SHAP toward the last class (None for
        permutation); ``X`` (n_samples, n_bits): the fingerprints; ``baseline``: the
        unpermuted score (NaN for SHAP).
    """
    if method not in MOLECULE_METHODS:
        raise input_error("method", f"one of {list(MOLECULE_METHODS)} for molecule data",
                          method)
    fitted = getattr(pipeline, "best_estimator_", pipeline)
    if morgan_step(fitted) is None:
        raise input_error("pipeline", "a fitted pipeline whose model reads a "
                          "MorganFingerprint step", type(fitted).__name__)
    steps, model = split_pipeline(fitted)
    X = transform_prefix(steps, as_smiles(X_test, "X_test"))
    nan = np.full(X.shape[1], np.nan)
    if method == "shap":
        values = _shap_values(model, X, seed)
        signed = values[..., -1] if values.ndim == 3 else values
        mean_abs = np.abs(values).mean(axis=(0, 2) if values.ndim == 3 else 0)
        return {"importance": mean_abs, "importance_sd": nan, "X": X, "baseline": np.nan,
                "direction": presence_effect(signed, X), "per_molecule": signed}
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import check_scoring
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    # only bits that vary over the test molecules can change the score when permuted
    varying, constant = np.flatnonzero(X.min(axis=0) != X.max(axis=0)), X[:1]

    def expand(Z: np.ndarray) -> np.ndarray:
        full = np.repeat(constant, len(Z), axis=0)
        full[:, varying] = Z
        return full

    adapter = make_pipeline(FunctionTransformer(expand).fit(X[:, varying]), model)
    importance, sd, y_test = np.zeros(X.shape[1]), np.zeros(X.shape[1]), np.asarray(y_test)
    baseline = float(check_scoring(adapter, scoring=scoring)(adapter, X[:, varying], y_test))
    if varying.size:
        result = permutation_importance(adapter, X[:, varying], y_test, scoring=scoring,
                                        n_repeats=n_repeats, random_state=seed, n_jobs=1)
        importance[varying], sd[varying] = result.importances_mean, result.importances_std
    return {"importance": importance, "importance_sd": sd, "direction": nan,
            "per_molecule": None, "X": X, "baseline": baseline}


def bit_info_maps(mols: Sequence[Chem.Mol], radius: int, n_bits: int,
                  chirality: bool = False) -> list[dict[int, tuple[tuple[int, int], ...]]]:
    """Bit -> ((centre atom, radius), ...) of each molecule, as the pipeline's generator sets
    them (RDKit ``AdditionalOutput.CollectBitInfoMap``)."""
    generator = rdFingerprintGenerator.GetMorganGenerator(
        radius=int(radius), fpSize=int(n_bits), includeChirality=bool(chirality))
    out = []
    for mol in mols:
        extra = rdFingerprintGenerator.AdditionalOutput()
        extra.CollectBitInfoMap()
        generator.GetFingerprint(mol, additionalOutput=extra)
        out.append({int(b): tuple(map(tuple, v)) for b, v in extra.GetBitInfoMap().items()})
    return out


def _environment(mol: Chem.Mol, atom: int, radius: int) -> tuple[list[int], list[int]]:
    """Atoms and bonds of the environment of ``radius`` around ``atom``."""
    bonds = list(Chem.FindAtomEnvironmentOfRadiusN(mol, int(radius), int(atom))) \
        if radius > 0 else []
    atoms = {int(atom)}
    for index in bonds:
        bond = mol.GetBondWithIdx(index)
        atoms |= {bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()}
    return sorted(atoms), bonds


def bit_substructures(smiles: Sequence[str], bit: int, radius: int, n_bits: int, *,
                      chirality: bool = False,
                      bit_infos: Sequence[Mapping[int, Any]] | None = None) -> dict[str, Any]:
    """The atom environments that set ``bit`` in the given molecules.

    ``smiles``: length n_samples; ``radius``, ``n_bits``, ``chirality``: those of the
    pipeline's :class:`MorganFingerprint`; ``bit_infos``: :func:`bit_info_maps` of
    ``smiles`` when already computed. Returns a dict: ``fragment`` (most frequent environment
    as SMILES; "" when none sets the bit), ``count`` (its occurrences), ``n_molecules``
    (molecules setting the bit), ``environments`` (Counter fragment -> occurrences; several
    keys: a collision), ``collision`` (a note, "" when none), ``example`` ((smiles, centre
    atom, radius) of the most frequent environment, or None).
    """
    mols = parse_smiles(list(smiles), "smiles")
    infos = bit_info_maps(mols, radius, n_bits, chirality) if bit_infos is None else bit_infos
    counts: Counter[str] = Counter()
    examples: dict[str, tuple[str, int, int]] = {}
    for text, mol, info in zip(smiles, mols, infos, strict=True):
        for atom, r in info.get(bit, ()):
            atoms, bonds = _environment(mol, atom, r)
            fragment = Chem.MolFragmentToSmiles(mol, atomsToUse=atoms, bondsToUse=bonds or None,
                                                rootedAtAtom=int(atom), allHsExplicit=True)
            counts[fragment] += 1
            examples.setdefault(fragment, (str(text), int(atom), int(r)))
    n_molecules = sum(bit in info for info in infos)
    if not counts:
        return {"fragment": "", "count": 0, "n_molecules": 0, "environments": counts,
                "collision": "", "example": None}
    # most frequent first, ties by text: the choice does not depend on the molecule order
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    collision = "" if len(ranked) == 1 else (
        f"{len(ranked)} environments; also " + ", ".join(f"{f} ({n})" for f, n in ranked[1:4])
        + (", ..." if len(ranked) > 4 else ""))
    return {"fragment": ranked[0][0], "count": ranked[0][1], "n_molecules": n_molecules,
            "environments": counts, "collision": collision, "example": examples[ranked[0][0]]}


def atom_scores(mol: Chem.Mol, values: np.ndarray, bit_info: Mapping[int, Any]) -> np.ndarray:
    """Per-atom attribution, shape (n_atoms,), of one molecule from its signed bit SHAP
    ``values``, shape (n_bits,), and its ``bit_info`` (:func:`bit_info_maps`): each set bit's
    value split equally over its environments and each share equally over the environment's
    atoms (the scores sum to the values of the set bits)."""
    scores = np.zeros(mol.GetNumAtoms())
    for bit, environments in bit_info.items():
        share = float(values[bit]) / len(environments)
        for atom, radius in environments:
            atoms, _ = _environment(mol, atom, radius)
            scores[atoms] += share / len(atoms)
    return scores


def _as_mol(mol: Chem.Mol | str) -> Chem.Mol:
    return parse_smiles([mol], "mol")[0] if isinstance(mol, str) else mol


def draw_bit_svg(mol: Chem.Mol | str, bit: int, bit_info: Mapping[int, Any],
                 which: int = 0, size: int = 150) -> str:
    """SVG of an environment setting ``bit`` (RDKit ``Draw.DrawMorganBit``: centre atom
    blue, aromatic atoms yellow, other environment atoms grey, neighbours faint).

    ``bit_info``: bit -> ((centre atom, radius), ...) (:func:`bit_info_maps`, or that one
    entry); ``which``: the environment drawn; ``size``: width and height in pixels.
    """
    from rdkit.Chem import Draw

    if bit not in bit_info:
        raise input_error("bit", f"a bit of bit_info ({sorted(bit_info)[:8]} ...)", bit)
    svg = Draw.DrawMorganBit(_as_mol(mol), int(bit), {int(bit): tuple(bit_info[bit])},
                             whichExample=int(which), useSVG=True, molSize=(size, size))
    return svg if isinstance(svg, str) else svg.data  # IPython may wrap it


def draw_atom_svg(mol: Chem.Mol | str, scores: Sequence[float],
                  size: tuple[int, int] = (300, 220)) -> str:
    """SVG of a molecule, each atom coloured by its score: red toward the last class or a
    higher target, blue away from it, paler for smaller ``|score|`` (none under 5 % of the
    largest).

    ``scores``: shape (n_atoms,); ``size``: width and height in pixels.
    """
    mol = _as_mol(mol)
    scores = np.asarray(scores, dtype=float)
    if scores.shape != (mol.GetNumAtoms(),):
        raise input_error("scores", f"one score per atom ({mol.GetNumAtoms()})", scores.shape)
    top = float(np.abs(scores).max(initial=0.0))
    colours = {}
    for atom, score in enumerate(scores):
        strength = abs(score) / top if top > 0 else 0.0
        if strength >= 0.05:
            fade = 1.0 - 0.8 * strength
            colours[atom] = (1.0, fade, fade) if score > 0 else (fade, fade, 1.0)
    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol, highlightAtoms=list(colours),
                                       highlightAtomColors=colours, highlightBonds=[])
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def atom_attributions(pipeline: BaseEstimator, smiles, seed: int = 0
                      ) -> list[dict[str, Any]]:
    """Per-atom SHAP attributions (:func:`atom_scores`) of molecules, with drawings.

    ``pipeline``: fitted Morgan-fingerprint pipeline; ``smiles``: shape (n_samples,);
    ``seed``: of the permutation explainer. Returns, per molecule, a dict of ``smiles``,
    ``scores`` (ndarray, shape (n_atoms,)) and ``svg``.
    """
    smiles = as_smiles(smiles, "smiles")
    values = bit_importance(pipeline, smiles, None, "shap", seed=seed)["per_molecule"]
    morgan = morgan_step(pipeline)
    mols = parse_smiles(list(smiles), "smiles")
    infos = bit_info_maps(mols, morgan.radius, morgan.n_bits, morgan.chirality)
    out = []
    for text, mol, row, info in zip(smiles, mols, values, infos, strict=True):
        scores = atom_scores(mol, row, info)
        out.append({"smiles": str(text), "scores": scores, "svg": draw_atom_svg(mol, scores)})
    return out


def _bit_row(bit: int, found: Mapping[str, Any], result: Mapping[str, Any], radius: int
             ) -> dict[str, Any]:
    example = found["example"] or ("", -1, -1)
    return {"group_type": "bit", "group": str(bit),
            "importance": float(result["importance"][bit]),
            "importance_sd": float(result["importance_sd"][bit]),
            "baseline": float(result["baseline"]),
            "direction": float(result["direction"][bit]), "fragment": found["fragment"],
            "fragment_count": found["count"], "n_carriers": found["n_molecules"],
            "n_environments": len(found["environments"]), "collision": found["collision"],
            "example_smiles": example[0], "example_atom": example[1],
            "example_radius": example[2], "radius": int(radius)}


def explain_molecules(pipeline: BaseEstimator, data: NeuralData, fold: Fold,
                      methods: Sequence[str] = ("shap",), seed: int = 0, *,
                      n_repeats: int = 10, scoring: str | None = None,
                      top: int = TOP_BITS) -> list[dict[str, Any]]:
    """Importance rows of a fitted Morgan pipeline on the test molecules of one fold.
    Parameters
    ----------
    pipeline : Pipeline
        Fitted on ``fold.train``; no rows when no Morgan step feeds its model.
    data : NeuralData
        Molecule data (``X``: SMILES).
    fold : Fold
    methods : sequence of str
        Some of :data:`MOLECULE_METHODS`; any other raises.
    seed, n_repeats, scoring
        As :func:`bit_importance`.
    top : int
        Bits kept per method (the most important, importance > 0).

    Returns
    -------
    list of dict
        Rows without the dataset and fold columns (:func:`~neurocompare.explain.run
        .explain_fold` adds them): ``method``, ``group_type``, ``group``, ``importance``,
        ``importance_sd``, ``baseline``, ``n_repeats``. ``"bit"`` rows (group: the bit)
        add ``direction``, ``fragment``, ``fragment_count``, ``n_carriers`` (test molecules
        setting the bit; a bit set in none is named from the training molecules),
        ``n_environments``, ``collision``, ``example_smiles``, ``example_atom``,
        ``example_radius``, ``radius``. ``"shap"`` adds a ``"molecule"`` row (group: its
        SMILES; importance: the sum of its atom scores) for the test molecules of highest,
        lowest and median output, with ``atom_scores`` (JSON list) and ``label``.
    """
    wrong = [m for m in methods if m not in MOLECULE_METHODS]
    if wrong:
        raise input_error("methods", f"some of {list(MOLECULE_METHODS)} for "
                          f"{data.info.kind} data", wrong,
                          hint="Channel, band and gradient methods explain EEG epochs only.")
    morgan = morgan_step(pipeline)
    if morgan is None:
        logger.debug("no Morgan fingerprint feeds the model: no bits to explain")
        return []
    params = (morgan.radius, morgan.n_bits)
    smiles, y_test = as_smiles(data.X[fold.test], "X"), np.asarray(data.y)[fold.test]
    mols = parse_smiles(list(smiles))
    infos = bit_info_maps(mols, *params, morgan.chirality)
    train: list[Any] = []  # training SMILES, read when a bit is in no test molecule
    rows = []
    for method in methods:
        result = bit_importance(pipeline, smiles, y_test, method, seed=seed,
                                n_repeats=n_repeats, scoring=scoring)
        base = {"method": method, "n_repeats": n_repeats if method == "permutation" else 0}
        importance = result["importance"]
        for bit in (int(b) for b in np.argsort(-importance, kind="stable")[:top]):
            if importance[bit] <= 0:
                break
            found = bit_substructures(smiles, bit, *params, bit_infos=infos)
            if found["example"] is None:  # its absence matters: name it from training
                train = train or [list(map(str, data.X[fold.train]))]
                found = bit_substructures(train[0], bit, *params, chirality=morgan.chirality)\
                    | {"n_molecules": 0}
            rows.append(base | _bit_row(bit, found, result, morgan.radius))
        values = result["per_molecule"]
        if values is None:
            continue
        order = np.argsort(values.sum(axis=1), kind="stable")  # the model's output order
        for position in dict.fromkeys(order[[-1, 0, len(order) // 2]][:N_EXAMPLES].tolist()):
            scores = atom_scores(mols[position], values[position], infos[position])
            rows.append(base | {
                "group_type": "molecule", "group": str(smiles[position]),
                "importance": float(scores.sum()), "importance_sd": float("nan"),
                "baseline": float("nan"),
                "atom_scores": json.dumps([round(float(s), 6) for s in scores]),
                "label": str(y_test[position])})
    return rows
