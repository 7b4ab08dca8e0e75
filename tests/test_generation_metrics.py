"""MOSES's generation metrics on hand-made sample sets with known values, and the fast
Tanimoto code checked against RDKit and against MOSES's formulas written out naively."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import Descriptors, rdFingerprintGenerator

from neurocompare._errors import InputError
from neurocompare.evaluation.generation_metrics import (
    HIGHER_IS_BETTER,
    METRIC_COLUMNS,
    ReferenceStats,
    canonical_or_none,
    generation_metrics,
    property_table,
    reference_statistics,
    tanimoto_matrix,
    unique_key,
)
from neurocompare.evaluation.generation_properties import chemnet_activations

#: Fifty drug-like molecules (distinct), written by hand so the tests need no data.
DRUGS = [
    "CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "CC(=O)Nc1ccc(O)cc1",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "COc1ccc2cc(C(C)C(=O)O)ccc2c1",
    "OC(=O)Cc1ccccc1Nc1c(Cl)cccc1Cl", "CN1CCC[C@H]1c1cccnc1",
    "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1", "CN(C)CCCN1c2ccccc2CCc2ccccc21",
    "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "Clc1ccc2c(c1)C(=NCC1=NCCN1)c1ccccc1N2",
    "CC(C)NCC(O)COc1cccc2ccccc12", "CC(C)NCC(O)c1ccc(O)c(O)c1", "NC(=O)c1cccnc1",
    "CN(C)C(=N)N=C(N)N", "COc1cc2c(cc1OC)C(=O)C(CC1CCN(Cc3ccccc3)CC1)C2",
    "O=C(O)c1cc(N=Nc2ccc(O)c(C(=O)O)c2)ccc1O", "CC1(C)SC2C(NC(=O)Cc3ccccc3)C(=O)N2C1C(=O)O",
    "Nc1ccc(S(=O)(=O)Nc2ccccn2)cc1", "CCOC(=O)C1=C(COCCN)NC(C)=C(C(=O)OC)C1c1ccccc1Cl",
    "CC(C)(C)NCC(O)c1ccc(O)c(CO)c1", "O=C1CN=C(c2ccccc2F)c2cc([N+](=O)[O-])ccc2N1",
    "CN1CCN(C2=Nc3ccccc3Nc3ccc(Cl)cc32)CC1", "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "COc1ccc(CCN(C)CCCC(C#N)(C(C)C)c2ccc(OC)c(OC)c2)cc1OC",
    "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1",
    "CC(=O)OCC(=O)C1(O)CCC2C3CCC4=CC(=O)CCC4(C)C3C(O)CC21C", "OCC1OC(O)C(O)C(O)C1O",
    "C1CCC(CC1)NC(=O)NS(=O)(=O)c1ccc(CCNC(=O)c2cnc(C)cn2)cc1",
    "CC(C)C[C@H](NC(=O)[C@H](Cc1ccccc1)NC(=O)c1cnccn1)B(O)O",
    "Cc1c(C)c2c(c(C)c1O)CCC(C)(COc1ccc(CC3SC(=O)NC3=O)cc1)O2",
    "COc1ccc2[nH]cc(CCNC(C)=O)c2c1", "NCCc1ccc(O)c(O)c1", "NCCc1c[nH]c2ccc(O)cc12",
    "c1ccc2c(c1)Cc1ccccc1-2", "O=C(O)CCC(=O)O", "CCCCCCCCCCCCCCCC(=O)O",
    "Fc1ccc(C(c2ccc(F)cc2)N2CCN(C/C=C/c3ccccc3)CC2)cc1",
    "CC(C)N(CCC(C(N)=O)(c1ccccc1)c1ccccn1)C(C)C", "O=c1[nH]cc(F)c(=O)[nH]1",
    "Nc1nc2c(ncn2COCCO)c(=O)[nH]1", "CC1=C(C(=O)Nc2ccccn2)N(C)S(=O)(=O)c2ccccc21",
    "CN1CCC23c4c5ccc(O)c4OC2C(O)C=CC3C1C5", "COC(=O)C1C(OC(=O)c2ccccc2)CC2CCC1N2C",
    "CCC1(c2ccccc2)C(=O)NC(=O)NC1=O", "Clc1ccc(C(c2ccccc2)n2ccnc2)cc1",
    "CC(C)(C)c1ccc(C(O)CCCN2CCC(C(O)(c3ccccc3)c3ccccc3)CC2)cc1", "O=C(c1ccccc1)c1ccccc1",
    "CSCCC(N)C(=O)O", "Oc1ccc(cc1)-c1ccccc1",
]
#: Small aliphatic molecules, far from the drugs in ChemNet's space.
SMALL = ["CCO", "CCCO", "CCCCO", "CC(C)O", "CCN", "CCCN", "CC(=O)O", "CCC(=O)O", "CCOC",
         "CCCC", "CCCCC", "CC(C)C", "OCCO", "NCCN", "CCCl", "CCBr", "CC=O", "CCC=O",
         "C=CC", "C#CC"]
#: Non-canonical spellings of DRUGS[0], DRUGS[2] and ethanol.
SPELLINGS = {"CC(=O)Oc1ccccc1C(=O)O": "OC(=O)c1ccccc1OC(C)=O",
             "CC(=O)Nc1ccc(O)cc1": "Oc1ccc(NC(C)=O)cc1", "CCO": "OCC"}


@pytest.fixture(scope="module")
def drug_reference() -> ReferenceStats:
    return reference_statistics(DRUGS, fcd=False)


@pytest.fixture(scope="module")
def fcd_reference() -> ReferenceStats:
    return reference_statistics(DRUGS[:30], fcd=True)


def _scores(samples, reference, train=(), **kwargs) -> dict[str, float]:
    return generation_metrics(list(samples), list(train), reference,
                              **{"fcd": False, **kwargs})


def _rdkit_similarities(smiles_a, smiles_b) -> np.ndarray:
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps_a = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles_a]
    fps_b = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles_b]
    return np.array([DataStructs.BulkTanimotoSimilarity(fp, fps_b) for fp in fps_a])


def test_canonical_or_none():
    assert canonical_or_none("OCC") == canonical_or_none("CCO") == "CCO"
    assert canonical_or_none("C1=CC=CC=C1") == "c1ccccc1"
    assert canonical_or_none("") is None
    assert canonical_or_none("not a smiles") is None
    assert canonical_or_none("C1CC") is None  # unclosed ring


def test_validity(drug_reference):
    scores = _scores(["CCO", "not a smiles", "", "c1ccccc1"], drug_reference)
    assert scores["validity"] == 0.5
    assert scores["n_valid"] == 2 and scores["n_samples"] == 4


def test_columns_and_directions(drug_reference):
    scores = _scores(DRUGS[:5], drug_reference)
    assert tuple(scores) == METRIC_COLUMNS
    assert set(HIGHER_IS_BETTER) == set(METRIC_COLUMNS) - {"n_samples", "n_valid"}
    assert not HIGHER_IS_BETTER["fcd"] and HIGHER_IS_BETTER["int_div1"]
    assert (unique_key(1000), unique_key(10000), unique_key(1500)) == (
        "unique_1k", "unique_10k", "unique_1500")


def test_uniqueness_first_k(drug_reference):
    # valid in order: CCO, CCO (as OCC), benzene, benzene (Kekulé), CCN, CCO
    samples = ["CCO", "OCC", "invalid(", "c1ccccc1", "C1=CC=CC=C1", "CCN", "CCO"]
    scores = _scores(samples, drug_reference, ks=(2, 3, 4, 100))
    assert scores["unique_2"] == 0.5
    assert scores["unique_3"] == pytest.approx(2 / 3, abs=1e-15)
    assert scores["unique_4"] == 0.5
    assert scores["unique_100"] == 0.5  # fewer valid than k: all 6 of them (MOSES)


def test_novelty(drug_reference):
    train = [SPELLINGS.get(s, s) for s in DRUGS[:10]]  # spelt differently: canonicalised
    assert _scores(DRUGS[:10], drug_reference, train)["novelty"] == 0.0
    assert _scores(DRUGS[10:20], drug_reference, train)["novelty"] == 1.0
    # distinct valid: 3 copies and 2 new; the repeats of a new one do not count twice
    samples = [DRUGS[0], DRUGS[1], DRUGS[2], DRUGS[30], DRUGS[31], DRUGS[31], DRUGS[31]]
    assert _scores(samples, drug_reference, train)["novelty"] == pytest.approx(0.4, abs=1e-15)
    assert _scores(["CCO"], drug_reference, ["OCC", "not a smiles"])["novelty"] == 0.0


def test_internal_diversity_of_identical_molecules_is_zero(drug_reference):
    for samples in (["CCO"] * 5, ["CCO", "OCC"], [DRUGS[7]] * 3):
        scores = _scores(samples, drug_reference)
        assert scores["int_div1"] == 0.0 and scores["int_div2"] == 0.0


def test_tanimoto_matches_rdkit():
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = np.array([generator.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in DRUGS])
    ours = tanimoto_matrix(fps, fps[::-1])
    expected = _rdkit_similarities(DRUGS, DRUGS[::-1])
    assert ours.shape == (50, 50)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)
    # two empty fingerprints: 1 as in MOSES
    assert tanimoto_matrix(np.zeros((1, 8)), np.zeros((2, 8))).tolist() == [[1.0, 1.0]]


def test_diversity_and_snn_match_moses_formulas(drug_reference):
    # repeats and a second spelling: every metric sees valid molecules with repeats kept
    samples = DRUGS[:20] + DRUGS[:5] + [SPELLINGS[DRUGS[0]], "not a smiles"] + SMALL[:6]
    valid = [s for s in samples if Chem.MolFromSmiles(s) is not None]
    similarity = _rdkit_similarities(valid, valid)
    to_test = _rdkit_similarities(valid, DRUGS)
    scores = _scores(samples, drug_reference)
    for p in (1, 2):
        expected = 1 - np.mean(np.mean(similarity ** p, axis=1) ** (1 / p))
        assert scores[f"int_div{p}"] == pytest.approx(expected, abs=1e-12)
    assert scores["snn"] == pytest.approx(to_test.max(axis=1).mean(), abs=1e-12)


def test_test_set_against_itself(drug_reference):
    scores = _scores(DRUGS, drug_reference, ks=(50,))
    assert scores["frag_sim"] == pytest.approx(1.0, abs=1e-12)
    assert scores["scaf_sim"] == pytest.approx(1.0, abs=1e-12)
    assert scores["snn"] == 1.0
    assert scores["unique_50"] == 1.0
    for column in ("w_mw", "w_logp", "w_qed", "w_sa"):
        assert scores[column] == pytest.approx(0.0, abs=1e-12)
    shuffled = _scores(DRUGS[::-1] + DRUGS[:1], drug_reference)
    assert 0.9 < shuffled["frag_sim"] < 1.0 and shuffled["w_mw"] > 0


def test_scaffold_similarity_disjoint_and_undefined():
    naphthalenes = reference_statistics(["c1ccc2ccccc2c1", "Cc1ccc2ccccc2c1", "OCc1ccc2ccccc2c1"],
                                        fcd=False)
    biphenyls = ["c1ccc(-c2ccccc2)cc1", "Cc1ccc(-c2ccccc2)cc1", "Oc1ccc(-c2ccccc2)cc1"]
    assert _scores(biphenyls, naphthalenes)["scaf_sim"] == 0.0
    assert _scores(["Cc1ccc2ccccc2c1"], naphthalenes)["scaf_sim"] == pytest.approx(1.0)
    # one-ring and acyclic scaffolds are not counted (MOSES's min_rings=2): nothing to compare
    assert math.isnan(_scores(["CCO", "Cc1ccccc1"], naphthalenes)["scaf_sim"])
    assert _scores(["CCCC", "CCCCC"], naphthalenes)["frag_sim"] == 0.0


def test_fcd_near_zero_for_same_set_and_large_for_different(fcd_reference):
    same = generation_metrics(DRUGS[:30], [], fcd_reference)["fcd"]
    other = generation_metrics(SMALL, [], fcd_reference)["fcd"]
    assert abs(same) < 1e-3
    assert other > 10
    assert math.isnan(generation_metrics(DRUGS[:30], [], fcd_reference, fcd=False)["fcd"])
    no_fcd = reference_statistics(DRUGS[:30], fcd=False)
    assert no_fcd.fcd_mu is None
    assert math.isnan(generation_metrics(DRUGS[:30], [], no_fcd)["fcd"])
    assert math.isnan(generation_metrics(["CCO"], [], fcd_reference)["fcd"])  # < 2 valid


def test_fcd_repeats_match_the_package_on_the_expanded_list(fcd_reference):
    from fcd import calculate_frechet_distance, get_predictions, load_ref_model

    samples = SMALL[:8] + SMALL[:3] + [SPELLINGS["CCO"]] * 2
    expanded = [canonical_or_none(s) for s in samples]
    reference = [canonical_or_none(s) for s in DRUGS[:30]]
    model = load_ref_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fcd 1.2.2 on numpy 2 / scipy 1.17
        gen = get_predictions(model, expanded, n_jobs=0).astype(float)
        ref = get_predictions(model, reference, n_jobs=0).astype(float)
        expected = calculate_frechet_distance(gen.mean(0), np.cov(gen.T), ref.mean(0),
                                              np.cov(ref.T))
    ours = generation_metrics(samples, [], fcd_reference)["fcd"]
    assert ours == pytest.approx(expected, rel=1e-4)


def test_long_smiles_keep_chemnet_padding():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fcd warns when the padding would change
        activations = chemnet_activations(["C" * 400, "CCO"])
    assert activations.shape == (2, 512) and np.isfinite(activations).all()


def test_zero_valid_samples(fcd_reference):
    scores = generation_metrics(["", "not a smiles", "C1CC"], DRUGS, fcd_reference)
    assert scores["validity"] == 0.0 and scores["n_valid"] == 0 and scores["n_samples"] == 3
    undefined = [c for c in METRIC_COLUMNS if c not in ("validity", "n_valid", "n_samples")]
    assert all(math.isnan(scores[c]) for c in undefined)
    empty = generation_metrics([], DRUGS, fcd_reference)
    assert empty["n_samples"] == 0 and math.isnan(empty["validity"])
    assert property_table(["", "nope"]).shape == (0, 4)


@pytest.mark.parametrize(("call", "name"), [
    (lambda r: generation_metrics(5, DRUGS, r), "samples"),
    (lambda r: generation_metrics([1, 2, 3], DRUGS, r), "samples"),
    (lambda r: generation_metrics("CCO", DRUGS, r), "samples"),
    (lambda r: generation_metrics(DRUGS, [1], r), "train_smiles"),
    (lambda r: generation_metrics(DRUGS, DRUGS, {"smiles": DRUGS}), "reference"),
    (lambda r: generation_metrics(DRUGS, DRUGS, r, ks=(0,)), "ks"),
    (lambda r: generation_metrics(DRUGS, DRUGS, r, ks=(1.5,)), "ks"),
    (lambda r: generation_metrics(DRUGS, DRUGS, r, ks=1000), "ks"),
    (lambda r: reference_statistics(3.5), "test_smiles"),
    (lambda r: reference_statistics(["CCO", None]), "test_smiles"),
    (lambda r: property_table(7), "smiles"),
    (lambda r: canonical_or_none(7), "smiles"),
])
def test_bad_input_names_the_argument(drug_reference, call, name):
    with pytest.raises(InputError, match=f"^{name}:"):
        call(drug_reference)


def test_array_and_series_inputs(drug_reference):
    as_list = _scores(DRUGS[:12], drug_reference, DRUGS[5:15])
    as_arrays = generation_metrics(np.asarray(DRUGS[:12], dtype=object), pd.Series(DRUGS[5:15]),
                                   drug_reference, fcd=False)
    assert as_arrays == pytest.approx(as_list, nan_ok=True)


def test_property_table_and_reference():
    table = property_table(["CC(=O)Oc1ccccc1C(=O)O", "invalid(", "OCC"])
    assert list(table.columns) == ["mw", "logp", "qed", "sa"] and len(table) == 2
    assert table["mw"].iloc[0] == pytest.approx(Descriptors.MolWt(Chem.MolFromSmiles(DRUGS[0])))
    assert table["sa"].between(1, 10).all() and table["qed"].between(0, 1).all()
    reference = reference_statistics(["OCC", "invalid(", "c1ccccc1"], fcd=False)
    assert reference.smiles == ("CCO", "c1ccccc1")
    assert reference.fingerprints.shape == (2, 1024)
    assert not reference.fingerprints.flags.writeable
    copy = pickle.loads(pickle.dumps(reference))  # travels to worker processes
    np.testing.assert_array_equal(copy.properties["qed"], reference.properties["qed"])
