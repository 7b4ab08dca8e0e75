"""Drug-target interaction models: the kernels against RDKit and brute force, KronRLS
against a dense solve of its explicit Kronecker system and on planted effects (warm and
cold-drug splits), SimBoost features without label leakage, pair features, input errors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

from neurocompare._errors import InputError
from neurocompare.pipelines.dti.features import PairFeatures
from neurocompare.pipelines.dti.kernels import (
    AMINO_ACIDS,
    composition,
    composition_names,
    kmer_counts,
    morgan_bits,
    spectrum_kernel,
    tanimoto,
)
from neurocompare.pipelines.dti.kronrls import KronRLSRegressor
from neurocompare.pipelines.dti.simboost import (
    SimBoostFeatures,
    als_factorise,
    entity_stats,
    simboost_regressor,
)

#: Two drug clusters: aliphatic carboxylic acids and aromatic amides.
ACIDS = ["CCCCC(=O)O", "CCCCCC(=O)O", "CCCCCCC(=O)O", "CC(C)CCC(=O)O", "CCCCCCCC(=O)O",
         "CC(C)CCCC(=O)O"]
AMIDES = ["NC(=O)c1ccccc1", "Cc1ccccc1C(N)=O", "Cc1ccc(cc1)C(N)=O", "NC(=O)c1ccccc1Cl",
          "NC(=O)c1ccccc1O", "CCc1ccccc1C(N)=O"]
DRUGS = ACIDS + AMIDES


def _family(rng: np.random.Generator, n: int, length: int = 80,
            mutation: float = 0.08) -> list[str]:
    """``n`` sequences mutated from one random ancestor (a protein family)."""
    letters = np.array(list(AMINO_ACIDS))
    base = rng.choice(letters, length)
    members = []
    for _ in range(n):
        seq = base.copy()
        hit = rng.random(length) < mutation
        seq[hit] = rng.choice(letters, hit.sum())
        members.append("".join(seq))
    return members


def planted(seed: int = 0, noise: float = 0.2):
    """All 12 x 10 pairs; affinity = drug-cluster effect + target-family effect + noise.

    Returns X (120, 2), y (120,), drug cluster (120,), the drug of each pair (120,)."""
    rng = np.random.default_rng(seed)
    targets = _family(rng, 5) + _family(rng, 5)
    pairs = [(d, t) for d in range(12) for t in range(10)]
    X = np.array([(DRUGS[d], targets[t]) for d, t in pairs], dtype=object)
    drug = np.array([d for d, _ in pairs])
    cluster = (drug >= 6).astype(float)
    family = np.array([t >= 5 for _, t in pairs], dtype=float)
    y = 6.0 + 1.5 * cluster - 1.0 * family + noise * rng.normal(size=len(pairs))
    return X, y, cluster, drug


def _mse(a, b) -> float:
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))


# --- kernels -----------------------------------------------------------------------------

def test_morgan_bits_and_tanimoto_match_rdkit():
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in DRUGS]
    bits = morgan_bits(DRUGS)
    assert bits.dtype == bool and bits.shape == (12, 1024)
    assert np.array_equal(bits, np.array([generator.GetFingerprintAsNumPy(
        Chem.MolFromSmiles(s)) for s in DRUGS], dtype=bool))
    expected = np.array([DataStructs.BulkTanimotoSimilarity(fp, fps) for fp in fps])
    assert np.allclose(tanimoto(bits), expected, atol=1e-12)
    assert np.allclose(tanimoto(bits[:3], bits), expected[:3], atol=1e-12)
    empty = np.zeros((2, 8), dtype=bool)  # 0/0 is 0, as in RDKit
    assert np.array_equal(tanimoto(empty), np.zeros((2, 2)))


def _brute_cosine(a: str, b: str, k: int) -> float:
    def grams(s):
        s = s.upper()
        return Counter(s[i:i + k] for i in range(len(s) - k + 1)
                       if all(c in AMINO_ACIDS for c in s[i:i + k]))
    ga, gb = grams(a), grams(b)
    dot = sum(ga[g] * gb[g] for g in ga)
    norm = np.sqrt(sum(v * v for v in ga.values()) * sum(v * v for v in gb.values()))
    return dot / norm if norm else 0.0


def test_spectrum_kernel_equals_brute_force_cosine():
    rng = np.random.default_rng(1)
    letters = [*AMINO_ACIDS, "X", "U"]  # non-standard letters are skipped
    seqs = ["".join(rng.choice(letters, rng.integers(30, 60))) for _ in range(6)]
    seqs += [seqs[0].lower(), _family(rng, 1)[0]]
    for k in (1, 2, 3):
        K = spectrum_kernel(kmer_counts(seqs, k))
        brute = np.array([[_brute_cosine(a, b, k) for b in seqs] for a in seqs])
        assert np.allclose(K, brute, atol=1e-12)
        assert np.allclose(np.diag(K), 1.0)
    counts = kmer_counts(["ACDAXAC"], 2)
    assert counts.shape == (1, 400)
    # AC, CD, DA, AC counted; AX and XA skipped. Column of "AC" = 0 * 20 + 1.
    assert counts[0, AMINO_ACIDS.index("A") * 20 + AMINO_ACIDS.index("C")] == 2
    assert counts.sum() == 4


def test_composition_parts_sum_to_one():
    comp = composition(["AAC", "MKVLAAGIWYX", "ACDEFGHIKLMNPQRSTVWY"])
    assert comp.dtype == np.float32 and comp.shape == (3, 420)
    assert np.allclose(comp[:, :20].sum(axis=1), 1.0)
    assert np.allclose(comp[:, 20:].sum(axis=1), 1.0)
    names = composition_names()
    assert names[0] == "aa_A" and names[20] == "dp_AA" and len(names) == 420
    assert comp[0, names.index("aa_A")] == pytest.approx(2 / 3)
    assert comp[0, names.index("dp_AA")] == pytest.approx(0.5)
    assert comp[0, names.index("dp_AC")] == pytest.approx(0.5)


# --- KronRLS -----------------------------------------------------------------------------

def test_kronrls_equals_dense_kronecker_solve():
    X, y, _, _ = planted(seed=2)
    rng = np.random.default_rng(2)
    keep = np.flatnonzero(np.isin(np.arange(120) // 10, range(6))  # 6 drugs
                          & np.isin(np.arange(120) % 10, [0, 1, 5, 6, 7]))  # 5 targets
    observed = np.sort(rng.choice(keep, 22, replace=False))
    observed = np.append(observed, observed[0])  # a repeated pair
    model = KronRLSRegressor(alpha=0.5, tol=1e-13, max_iter=5000).fit(X[observed],
                                                                     y[observed])
    assert (model.drugs_.size, model.targets_.size) == (6, 5)
    K_d = tanimoto(model.drug_bits_)
    K_t = spectrum_kernel(model.target_kmers_)
    d = np.searchsorted(model.drugs_, X[keep, 0])
    t = np.searchsorted(model.targets_, X[keep, 1])
    full = np.kron(K_d, K_t)[np.ix_(d * 5 + t, d * 5 + t)]  # all 30 pairs
    rows = np.searchsorted(keep, observed)
    K = full[np.ix_(rows, rows)]
    a = np.linalg.solve(K + 0.5 * np.eye(rows.size), y[observed] - y[observed].mean())
    expected = y[observed].mean() + full[:, rows] @ a
    assert model.alpha_ == 0.5 and model.n_iter_ > 0
    assert np.allclose(model.predict(X[keep]), expected, atol=1e-6)
    A = np.zeros((6, 5))
    np.add.at(A, (d[rows], t[rows]), a)
    assert np.allclose(model.A_, A, atol=1e-6)


def test_kronrls_recovers_planted_effects_warm_and_cold_drug():
    X, y, _, drug = planted()
    rng = np.random.default_rng(3)
    test = rng.permutation(120)[:30]
    train = np.setdiff1d(np.arange(120), test)
    model = KronRLSRegressor().fit(X[train], y[train])
    assert model.alpha_ in model.alpha_scores_
    warm = _mse(model.predict(X[test]), y[test])
    assert warm < 0.25 * _mse(y[train].mean(), y[test])
    cold = np.isin(drug, [1, 4, 7, 10])  # two acids, two amides never seen in training
    model = clone(model).fit(X[~cold], y[~cold])
    assert not set(X[cold, 0]) & set(model.drugs_)
    assert _mse(model.predict(X[cold]), y[cold]) < 0.5 * _mse(y[~cold].mean(), y[cold])


def test_kronrls_is_reproducible_and_warns_when_cg_stops_early():
    X, y, _, _ = planted(seed=4)
    first = KronRLSRegressor(random_state=1).fit(X, y).predict(X)
    assert np.array_equal(first, KronRLSRegressor(random_state=1).fit(X, y).predict(X))
    with pytest.warns(ConvergenceWarning, match="conjugate gradients"):
        KronRLSRegressor(alpha=0.01, max_iter=1).fit(X, y)


# --- SimBoost ----------------------------------------------------------------------------

def test_entity_stats_and_als():
    rng = np.random.default_rng(5)
    index = rng.integers(0, 4, 40)
    index[:4] = [0, 1, 2, 3]
    y = rng.normal(size=40)
    stats = entity_stats(index, y, 5)
    for e in range(4):
        values = y[index == e]
        assert np.allclose(stats[e], [values.size, values.mean(), values.std(),
                                      np.median(values)])
    assert stats[4, 0] == 0 and np.isnan(stats[4, 1:]).all()
    U0, V0 = rng.normal(size=(8, 2)), rng.normal(size=(6, 2))
    d, t = np.divmod(np.arange(48), 6)
    U, V = als_factorise(d, t, (U0 @ V0.T)[d, t], 8, 6, 2, 1e-3, 50, rng)
    assert np.allclose(U @ V.T, U0 @ V0.T, atol=1e-2)


def test_simboost_transform_uses_no_label_of_new_pairs():
    X, y, _, _ = planted(seed=6)
    features = SimBoostFeatures(n_factors=3).fit(X[:90], y[:90])
    before = features.transform(X[90:])
    # the new pairs' labels are not an input; refitting on the same training pairs
    # (new labels for the new pairs or not) gives identical features
    y_other = y.copy()
    y_other[90:] += 10.0
    after = clone(features).fit(X[:90], y_other[:90]).transform(X[90:])
    assert np.array_equal(before, after)
    assert before.shape == (30, 1 + 2 * (6 + 3)) and np.isfinite(before).all()


def test_simboost_fit_transform_excludes_each_rows_own_label():
    X, y, _, _ = planted(seed=7)
    features = SimBoostFeatures(n_factors=3)
    names = list(SimBoostFeatures(n_factors=3).fit(X, y).get_feature_names_out())
    base = features.fit_transform(X, y)
    changed = y.copy()
    changed[0] += 5.0
    moved = clone(features).fit_transform(X, changed)
    assert np.array_equal(moved[0], base[0])  # the row's own features ignore its label
    column = names.index("drug_mean")
    same_drug = np.flatnonzero(X[:, 0] == X[0, 0])[1:]
    assert not np.allclose(moved[same_drug, column], base[same_drug, column])
    # plain transform of training rows does see each label (by design)
    assert not np.allclose(features.transform(X), base)


def test_simboost_unseen_drug_gets_finite_neighbour_features():
    X, y, _, drug = planted(seed=8)
    seen = drug != 3
    features = SimBoostFeatures(n_factors=3).fit(X[seen], y[seen])
    names = list(features.get_feature_names_out())
    out = features.transform(X[~seen])
    assert np.isfinite(out).all()
    assert np.all(out[:, names.index("drug_count")] == 0)
    assert np.allclose(out[:, names.index("drug_mean")],
                       out[:, names.index("drug_neighbour_mean")])
    assert np.all(out[:, names.index("drug_neighbour_similarity")] > 0)


def test_simboost_regressor_beats_the_mean():
    X, y, _, _ = planted(seed=9)
    rng = np.random.default_rng(9)
    test = rng.permutation(120)[:30]
    train = np.setdiff1d(np.arange(120), test)
    model = simboost_regressor().set_params(xgb__n_estimators=100,
                                            features__n_factors=3)
    pred = model.fit(X[train], y[train]).predict(X[test])
    assert _mse(pred, y[test]) < 0.25 * _mse(y[train].mean(), y[test])


# --- pair features, estimator contract, errors ------------------------------------------

def test_pair_features_shape_values_and_names():
    X, _, _, _ = planted(seed=10)
    features = PairFeatures(n_bits=256)
    out = features.fit_transform(X[:15])
    assert out.dtype == np.float32 and out.shape == (15, 256 + 420)
    assert np.array_equal(out[:, :256], morgan_bits(X[:15, 0], 2, 256))
    assert np.allclose(out[:, 256:], composition(X[:15, 1]))
    assert np.array_equal(features.transform(X[:15]), out)
    names = features.get_feature_names_out()
    assert names[0] == "morgan_0" and names[256] == "aa_A" and names[-1] == "dp_YY"
    assert names.size == out.shape[1]


ESTIMATORS = [KronRLSRegressor(), SimBoostFeatures(n_factors=2), PairFeatures()]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_estimator_contract(estimator):
    name = type(estimator).__name__
    check_parameters_default_constructible(name, estimator)
    check_no_attributes_set_in_init(name, estimator)
    assert clone(estimator).get_params() == estimator.get_params()


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_bad_pairs_raise_clear_errors(estimator):
    X, y, _, _ = planted(seed=11)
    X, y = X[:12].copy(), y[:12]
    with pytest.raises(InputError, match=r"X: expected a 2-D array"):
        estimator.fit(X[:, 0], y)
    with pytest.raises(InputError, match=r"X: expected a 2-D array"):
        estimator.fit(np.column_stack([X, X[:, :1]]), y)
    empty = X.copy()
    empty[2, 1] = ""
    with pytest.raises(InputError, match=r"non-empty strings"):
        estimator.fit(empty, y)
    bad = X.copy()
    bad[3, 0] = "C1CC(("
    with pytest.raises(InputError, match=r"X\[3, 0\].*C1CC\(\("):
        estimator.fit(bad, y)
    fitted = clone(estimator).fit(X, y)
    with pytest.raises(InputError, match=r"X\[3, 0\]"):
        fitted.transform(bad) if hasattr(fitted, "transform") else fitted.predict(bad)


def test_bad_parameters_and_labels():
    X, y, _, _ = planted(seed=12)
    with pytest.raises(InputError, match="alpha"):
        KronRLSRegressor(alpha=[0.1, -1.0]).fit(X, y)
    with pytest.raises(InputError, match="y"):
        KronRLSRegressor().fit(X, y[:-1])
    with pytest.raises(InputError, match="y"):
        SimBoostFeatures().fit(X, None)
    with pytest.raises(InputError, match="k"):
        kmer_counts(["ACD"], 0)
