"""Traditional molecule pipelines: featurisers against RDKit, the Tanimoto kernel against a
brute-force reference, Mol2Vec trained on the training fold only, and every catalogue
pipeline built for both tasks, checked, and recovering planted effects."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import Descriptors, MACCSkeys, rdFingerprintGenerator
from scipy.stats import spearmanr
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurocompare._errors import InputError
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.molecules.catalogue import (
    MOLECULE_SPECS,
    TanimotoSVC,
    TanimotoSVR,
    tanimoto_kernel,
)
from neurocompare.pipelines.molecules.featurize import (
    MACCSKeys,
    MorganFingerprint,
    RDKitDescriptors,
    descriptor_matrix,
    fill_non_finite,
    finite_medians,
)
from neurocompare.pipelines.molecules.mol2vec import UNK, Mol2VecEmbedding, mol_sentences
from tests.estimator_cases_molecules import (
    CHECK_INFOS,
    MOLECULE_CASES,
    MOLECULE_REGRESSION_CASES,
    REGRESSION_INFO,
    SMILES_CHECKS,
    fast,
    model_part,
)

ROOT = Path(__file__).resolve().parents[1]
KNOWN = ["CCO", "c1ccccc1C(=O)O", "CC(=O)Nc1ccc(O)cc1", "C[C@H](N)C(=O)O",
         "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "OCC1OC(O)C(O)C(O)C1O"]
CLASSIFICATION = SignalInfo(kind="molecules", class_names=("other", "acid"))
_UNITS = ["C", "C(C)", "C(O)", "C(N)", "C(F)", "N", "O", "c1ccc(cc1)", "C(=O)", "C1CC(C1)"]
_ENDS = ["C", "O", "N", "C(=O)OC", "C(=O)C", "C(=O)N"]


def molecule_set(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random chain molecules; half end in a carboxylic acid (the class), the rest in
    look-alike groups (ester, ketone, amide). Returns SMILES, acid labels, carbon counts."""
    rng = np.random.default_rng(seed)
    smiles, acid = [], []
    for _ in range(n):
        body = "C" + "".join(rng.choice(_UNITS, size=int(rng.integers(1, 8))))
        is_acid = bool(rng.random() < 0.5)
        smiles.append(body + ("C(=O)O" if is_acid else str(rng.choice(_ENDS))))
        acid.append(int(is_acid))
    carbons = [sum(a.GetSymbol() == "C" for a in Chem.MolFromSmiles(s).GetAtoms())
               for s in smiles]
    return np.array(smiles, dtype=object), np.array(acid), np.array(carbons, dtype=float)


# -- featurisers -------------------------------------------------------------------------

def test_morgan_bits_agree_with_rdkit():
    features = MorganFingerprint().fit_transform(np.array(KNOWN, dtype=object))
    assert features.shape == (len(KNOWN), 2048) and features.dtype == np.float32
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    for row, smiles in zip(features, KNOWN, strict=True):
        reference = list(generator.GetFingerprint(Chem.MolFromSmiles(smiles)).GetOnBits())
        assert np.flatnonzero(row).tolist() == reference
    small = MorganFingerprint(radius=1, n_bits=64).fit_transform(KNOWN)
    reference = rdFingerprintGenerator.GetMorganGenerator(radius=1, fpSize=64)
    assert np.flatnonzero(small[0]).tolist() == list(
        reference.GetFingerprint(Chem.MolFromSmiles(KNOWN[0])).GetOnBits())


def test_morgan_counts_at_least_bits_and_chirality():
    bits = MorganFingerprint().fit_transform(KNOWN)
    counts = MorganFingerprint(counts=True).fit_transform(KNOWN)
    assert np.all(counts >= bits) and np.array_equal(counts > 0, bits > 0)
    assert counts.max() > 1  # repeated environments (the carbons of the sugar ring)
    enantiomers = ["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"]
    plain = MorganFingerprint().fit_transform(enantiomers)
    chiral = MorganFingerprint(chirality=True).fit_transform(enantiomers)
    assert np.array_equal(plain[0], plain[1]) and not np.array_equal(chiral[0], chiral[1])


def test_maccs_agree_with_rdkit():
    keys = MACCSKeys().fit(KNOWN)
    features = keys.transform(np.array(KNOWN, dtype=object)[:, None])
    assert features.shape == (len(KNOWN), 167) and keys.get_feature_names_out()[5] == "maccs5"
    for row, smiles in zip(features, KNOWN, strict=True):
        reference = list(MACCSkeys.GenMACCSKeys(Chem.MolFromSmiles(smiles)).GetOnBits())
        assert np.flatnonzero(row).tolist() == reference


def test_descriptors_names_and_values():
    est = RDKitDescriptors().fit(KNOWN)
    names = [name for name, _ in Descriptors._descList]
    assert est.get_feature_names_out().tolist() == names and len(names) > 200
    values = est.transform(KNOWN[:2])
    assert values.shape == (2, len(names))
    assert values[0, names.index("MolWt")] == pytest.approx(46.069, abs=1e-3)
    assert values[1, names.index("NumAromaticRings")] == 1


def test_descriptor_fill_uses_training_medians_only():
    train = np.array(["CCO", "CCCN", "[Na+].[Cl-]", "c1ccccc1O", "CC(=O)O"], dtype=object)
    raw = descriptor_matrix([Chem.MolFromSmiles(s) for s in train])
    bad = ~np.isfinite(raw)
    assert bad[2].any() and not bad[[0, 1, 3, 4]].any()  # RDKit: no BCUT2D for the salt
    est = RDKitDescriptors().fit(train)
    column = np.flatnonzero(bad[2])[0]
    assert est.medians_[column] == pytest.approx(np.median(raw[[0, 1, 3, 4], column]))
    medians, train_out = est.medians_.copy(), est.transform(train)
    assert np.isfinite(train_out).all()
    assert train_out[2, column] == pytest.approx(medians[column])
    for test in (["[K+].[Br-]", "CCCCCCCC"], ["[Na+].[Cl-]", "OCC1OC(O)C(O)C(O)C1O"]):
        out = est.transform(test)
        np.testing.assert_array_equal(est.medians_, medians)
        np.testing.assert_array_equal(est.transform(train), train_out)
        assert out[0, column] == pytest.approx(medians[column])
    np.testing.assert_array_equal(RDKitDescriptors().fit_transform(train), train_out)


def test_finite_medians_and_fill():
    values = np.array([[1.0, np.nan, np.inf], [3.0, np.nan, 2.0], [5.0, np.nan, -np.inf],
                       [np.nan, np.nan, 1e300]])
    medians = finite_medians(values)
    np.testing.assert_allclose(medians[:2], [3.0, 0.0])
    assert medians[2] == pytest.approx(np.finfo(np.float32).max)  # clipped median of 2, 1e300
    filled = fill_non_finite(values, np.array([9.0, 8.0, 7.0]))
    np.testing.assert_allclose(filled[:, :2], [[1, 8], [3, 8], [5, 8], [9, 8]])
    np.testing.assert_allclose(filled[:3, 2], [7.0, 2.0, 7.0])
    assert np.isfinite(filled.astype(np.float32)).all()


@pytest.mark.parametrize("featurizer", [MorganFingerprint(), MACCSKeys(), RDKitDescriptors(),
                                        Mol2VecEmbedding(vector_size=4, epochs=1)])
def test_unparsable_smiles_name_row_and_string(featurizer):
    bad = ["CCO", "CC", "C1CC(N", "CCN"]
    with pytest.raises(InputError, match=r"X\[2\]: .*'C1CC\(N'"):
        featurizer.fit(bad)
    fitted = featurizer.fit(["CCO", "CCN"])
    with pytest.raises(InputError, match=r"X\[2\]: .*'C1CC\(N'"):
        fitted.transform(bad)
    with pytest.raises(InputError, match=r"X\[0\]: expected a SMILES string"):
        fitted.transform(np.zeros((2, 1)))
    with pytest.raises(InputError, match=r"X: expected SMILES strings, shape.*\(2, 3\)"):
        fitted.transform(np.zeros((2, 3)))


@pytest.mark.parametrize(("param", "value"), [("radius", -1), ("n_bits", 0),
                                              ("counts", "yes"), ("chirality", 1)])
def test_morgan_rejects_bad_parameters(param, value):
    with pytest.raises(InputError, match=param):
        MorganFingerprint(**{param: value}).fit(KNOWN)


# -- Tanimoto kernel ---------------------------------------------------------------------

def test_tanimoto_kernel_matches_brute_force_and_rdkit():
    rng = np.random.default_rng(0)
    A = (rng.random((7, 40)) < 0.3).astype(float)
    B = (rng.random((5, 40)) < 0.3).astype(float)
    A[0] = B[0] = 0.0  # empty fingerprints: similarity 0, as RDKit
    reference = np.zeros((7, 5))
    for i, a in enumerate(A):
        for j, b in enumerate(B):
            union = np.sum((a > 0) | (b > 0))
            reference[i, j] = np.sum((a > 0) & (b > 0)) / union if union else 0.0
    np.testing.assert_allclose(tanimoto_kernel(A, B), reference, atol=1e-12)
    fingerprints = MorganFingerprint().fit_transform(KNOWN)
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    vects = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in KNOWN]
    rdkit = np.array([DataStructs.BulkTanimotoSimilarity(v, vects) for v in vects])
    kernel = tanimoto_kernel(fingerprints)
    np.testing.assert_allclose(kernel, rdkit, atol=1e-12)
    assert np.linalg.eigvalsh(kernel).min() > -1e-10  # positive semi-definite


# -- Mol2Vec -----------------------------------------------------------------------------

def test_mol2vec_sentences_follow_the_morgan_identifiers():
    mol = Chem.MolFromSmiles("CCO")
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=1)
    ids = generator.GetSparseCountFingerprint(mol).GetNonzeroElements()
    sentence = mol_sentences([mol], radius=1)[0]
    assert len(sentence) == 6 and sorted(sentence) == sorted(str(i) for i in ids)
    atom_ids = rdFingerprintGenerator.GetMorganGenerator(radius=0).GetSparseCountFingerprint(
        mol).GetNonzeroElements()
    assert set(sentence[0::2]) == {str(i) for i in atom_ids}  # radius 0 first, per atom


def test_mol2vec_deterministic_and_trained_on_training_only():
    train, _, _ = molecule_set(40, seed=1)
    test = np.array(["CCS(=O)(=O)C", "Brc1ccccc1"], dtype=object)  # S, Br never in training
    first = Mol2VecEmbedding(vector_size=16, epochs=5, random_state=3).fit(train)
    second = Mol2VecEmbedding(vector_size=16, epochs=5, random_state=3).fit(train)
    other = Mol2VecEmbedding(vector_size=16, epochs=5, random_state=4).fit(train)
    np.testing.assert_array_equal(first.transform(test), second.transform(test))
    assert not np.allclose(first.vectors_, other.vectors_)
    train_words = {w for s in mol_sentences([Chem.MolFromSmiles(m) for m in train], 1)
                   for w in s}
    test_words = {w for s in mol_sentences([Chem.MolFromSmiles(m) for m in test], 1)
                  for w in s}
    assert set(first.vocabulary_) == train_words and test_words - train_words
    vectors, embedded = first.vectors_.copy(), first.transform(test)
    np.testing.assert_array_equal(first.vectors_, vectors)  # transform learns nothing
    sentence = mol_sentences([Chem.MolFromSmiles(test[0])], 1)[0]
    known = [first.vocabulary_[w] for w in sentence if w in first.vocabulary_]
    np.testing.assert_allclose(embedded[0], vectors[known].sum(axis=0), rtol=1e-5, atol=1e-6)
    assert not first.unknown_vector_.any()  # min_count=1: unseen words count as zeros


def test_mol2vec_unk_learned_from_rare_words():
    train, _, _ = molecule_set(40, seed=1)
    est = Mol2VecEmbedding(vector_size=8, epochs=3, min_count=3).fit(train)
    assert UNK in est.vocabulary_ and est.unknown_vector_.any()
    np.testing.assert_array_equal(est.unknown_vector_, est.vectors_[est.vocabulary_[UNK]])
    sentences = mol_sentences([Chem.MolFromSmiles(m) for m in train], 1)
    rare = {w for s in sentences for w in s} - set(est.vocabulary_)
    assert rare  # words seen fewer than 3 times were trained as UNK
    row = next(i for i, s in enumerate(sentences) if rare & set(s))
    expected = sum(est.vectors_[est.vocabulary_[w]] if w in est.vocabulary_
                   else est.unknown_vector_ for w in sentences[row])
    out = est.transform([train[row], "[Se]"])  # selenium: never seen
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1], est.unknown_vector_)


def test_mol2vec_same_across_processes():
    """gensim seeds word vectors with Python's hash unless told otherwise; the embedding
    must not depend on PYTHONHASHSEED, or stored results would not resume."""
    code = ("from neurocompare.pipelines.molecules.mol2vec import Mol2VecEmbedding as M;"
            "m=M(vector_size=4,epochs=2).fit(['CCO','CCN','CCCO','c1ccccc1O']);"
            "print(repr(m.transform(['CCCN']).round(5).tolist()))")
    here = Mol2VecEmbedding(vector_size=4, epochs=2).fit(["CCO", "CCN", "CCCO", "c1ccccc1O"])
    hash_seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"
    env = {"PYTHONHASHSEED": hash_seed, "OMP_NUM_THREADS": "1", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True)
    assert done.stdout.strip() == repr(here.transform(["CCCN"]).round(5).tolist())


# -- the catalogue -----------------------------------------------------------------------

def test_specs_declare_molecules_both_tasks():
    names = [spec.name for spec in MOLECULE_SPECS]
    assert len(set(names)) == len(names) == 9 and all(n.startswith("mol-") for n in names)
    assert set(names) == set(MOLECULE_CASES) == set(CHECK_INFOS)
    for spec in MOLECULE_SPECS:
        assert spec.family == "traditional" and spec.kinds == ("molecules",)
        assert spec.tasks == ("classification", "regression")
        assert "\n" not in spec.description and "->" in spec.description
        assert spec.applicable(REGRESSION_INFO) == spec.applicable(CLASSIFICATION) == ""
        assert spec.applicable(SignalInfo(kind="tabular"))
    with pytest.raises(InputError, match=r"info\.task"):
        MOLECULE_SPECS[0].build(SignalInfo(kind="molecules", task="ranking"))


@pytest.mark.parametrize("spec", MOLECULE_SPECS, ids=lambda s: s.name)
def test_spec_builds_by_task_and_recovers_planted_effects(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classifier, regressor = spec.build(CLASSIFICATION), spec.build(REGRESSION_INFO)
    assert is_classifier(classifier) and not is_regressor(classifier)
    assert is_regressor(regressor) and not is_classifier(regressor)
    assert hasattr(classifier, "predict_proba")
    for est in (classifier, regressor):  # fewer trees keep the test fast
        trees = {k: 100 for k in est.get_params() if k.endswith("n_estimators")}
        est.set_params(**trees)
    # Mol2Vec learns its words from the training molecules: it needs more of them
    n_train = 400 if spec.name == "mol-mol2vec-rf" else 100
    smiles, acid, carbons = molecule_set(n_train + 60, seed=0)
    train, test = slice(0, n_train), slice(n_train, None)
    classifier.fit(smiles[train], acid[train])
    proba = classifier.predict_proba(smiles[test])
    assert proba.shape == (60, 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.mean(classifier.predict(smiles[test]) == acid[test]) >= 0.8  # chance 0.5
    regressor.fit(smiles[train], carbons[train])
    assert spearmanr(regressor.predict(smiles[test]), carbons[test])[0] > 0.8


@pytest.mark.parametrize("check", SMILES_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("spec", MOLECULE_SPECS, ids=lambda s: s.name)
def test_smiles_checks(spec, task, check):
    info = CHECK_INFOS[spec.name] if task == "classification" else REGRESSION_INFO
    check(fast(spec.build(info)))


def _model_parts() -> tuple[list, dict[int, dict[str, str]]]:
    """Distinct model parts of both tasks (several pipelines share one, e.g. the forest),
    plus the Tanimoto SVMs on their own, with their expected failures."""
    parts: dict[str, tuple] = {}
    for spec in MOLECULE_SPECS:
        for info, cases in ((CHECK_INFOS[spec.name], MOLECULE_CASES),
                            (REGRESSION_INFO, MOLECULE_REGRESSION_CASES)):
            part = fast(model_part(spec.build(info)))
            parts.setdefault(repr(part), (part, cases[spec.name]))
    for part in (TanimotoSVC(), TanimotoSVR()):
        parts[repr(part)] = (part, {})
    estimators = [part for part, _ in parts.values()]
    return estimators, {id(part): cases for part, cases in parts.values()}


MODEL_PARTS, _EXPECTED = _model_parts()


@parametrize_with_checks(MODEL_PARTS, expected_failed_checks=lambda est: _EXPECTED[id(est)])
def test_model_parts_pass_sklearn_checks(estimator, check):
    """Generic checks on the estimator after the featuriser (numeric input), with the
    expected failures documented in tests/estimator_cases_molecules.py."""
    check(estimator)
