"""Deep molecule pipelines: graph featurisation of known molecules, the shared training loop
(validation split inside the training fold, best weights restored, target standardisation
round trip, seeds), planted effects learned by the graph network and chemprop, the
catalogue, and the estimator checks of ``tests/estimator_cases_molecules_deep.py``."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest
import torch
from rdkit import Chem
from scipy.stats import spearmanr
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurocompare._errors import InputError
from neurocompare.data.containers import SignalInfo
from neurocompare.evaluation.training import training_columns
from neurocompare.pipelines.molecules.chemprop_model import (
    ChempropClassifier,
    ChempropRegressor,
)
from neurocompare.pipelines.molecules.deep_catalogue import MOLECULE_DEEP_SPECS
from neurocompare.pipelines.molecules.featurize import MorganFingerprint
from neurocompare.pipelines.molecules.gcn import MolGCNClassifier, MolGCNRegressor
from neurocompare.pipelines.molecules.graphs import (
    ATOM_DIM,
    BOND_DIM,
    ELEMENTS,
    smiles_to_graph,
    smiles_to_graphs,
)
from neurocompare.pipelines.molecules.mlp import (
    FingerprintMLPClassifier,
    FingerprintMLPRegressor,
)
from neurocompare.pipelines.molecules.training import target_scaling, validation_split
from tests.estimator_cases_molecules import REGRESSION_INFO, SMILES_CHECKS, model_part
from tests.estimator_cases_molecules_deep import (
    CHECK_INFOS,
    MOLECULE_DEEP_CASES,
    MOLECULE_DEEP_REGRESSION_CASES,
    NUMERIC_PARTS,
    SMILES_ONLY,
    fast,
)

_FRAGMENTS = ["C", "CC", "CCC", "O", "N", "C(C)", "C(=O)", "c1ccccc1", "C1CCCCC1", "C(F)",
              "C(Cl)"]
#: estimator name -> (classifier, regressor, reads SMILES); small budgets keep tests fast.
NETS = {
    "gcn": (MolGCNClassifier, MolGCNRegressor, True),
    "chemprop": (ChempropClassifier, ChempropRegressor, True),
    "mlp": (FingerprintMLPClassifier, FingerprintMLPRegressor, False),
}


def molecules(n: int, seed: int) -> np.ndarray:
    """``n`` distinct canonical SMILES, each 1-6 random fragments joined into a chain."""
    rng, out = np.random.default_rng(seed), []
    while len(out) < n:
        mol = Chem.MolFromSmiles("".join(rng.choice(_FRAGMENTS, int(rng.integers(1, 7)))))
        if mol is not None and Chem.MolToSmiles(mol) not in out:
            out.append(Chem.MolToSmiles(mol))
    return np.array(out, dtype=object)


def heteroatoms(smiles: np.ndarray) -> np.ndarray:
    """Number of N, O, F and Cl atoms per molecule (a planted regression target that an
    untrained network does not rank: it is not a function of size)."""
    return np.array([sum(a.GetSymbol() in ("N", "O", "F", "Cl")
                         for a in Chem.MolFromSmiles(s).GetAtoms()) for s in smiles], float)


def inputs(name: str, smiles: np.ndarray) -> np.ndarray:
    """What estimator ``name`` reads: SMILES, or their Morgan fingerprints for the MLP."""
    return smiles if NETS[name][2] else MorganFingerprint().fit_transform(smiles)


def make(name: str, task: str, **params):
    estimator = NETS[name][0 if task == "classification" else 1]
    small = {"chemprop": {"batch_size": 16}, "gcn": {"batch_size": 16}}.get(name, {})
    return estimator(**(small | params))


SMILES = molecules(40, seed=0)


# -- graphs ------------------------------------------------------------------------------

def test_benzene_graph_is_aromatic_ring():
    graph = smiles_to_graph("c1ccccc1")
    assert graph.x.shape == (6, ATOM_DIM) and graph.x.dtype == torch.float32
    assert graph.edge_index.shape == (2, 12) and graph.edge_attr.shape == (12, BOND_DIM)
    carbon, aromatic, in_ring = ELEMENTS.index("C"), ATOM_DIM - 8, ATOM_DIM - 1
    assert torch.all(graph.x[:, carbon] == 1) and torch.all(graph.x[:, aromatic] == 1)
    assert torch.all(graph.x[:, in_ring] == 1)
    assert torch.all(graph.edge_attr[:, 3] == 1)  # aromatic bond type
    assert torch.all(graph.edge_attr[:, :3] == 0) and torch.all(graph.edge_attr[:, 5] == 1)
    # both directions of every bond
    pairs = {tuple(p) for p in graph.edge_index.T.tolist()}
    assert all((j, i) in pairs for i, j in pairs)


def test_ethanol_and_single_ion_graphs():
    graph = smiles_to_graph("CCO")
    assert graph.x.shape == (3, ATOM_DIM) and graph.edge_index.shape == (2, 4)
    assert graph.x[2, ELEMENTS.index("O")] == 1 and graph.x[:, ATOM_DIM - 8].sum() == 0
    hydrogens = graph.x[:, ATOM_DIM - 7:ATOM_DIM - 2].argmax(1).tolist()
    assert hydrogens == [3, 2, 1]
    assert torch.all(graph.edge_attr[:, 0] == 1) and graph.edge_attr[:, 4:].sum() == 0
    ion = smiles_to_graph("[Na+]")
    assert ion.x.shape == (1, ATOM_DIM) and ion.edge_index.shape == (2, 0)
    assert ion.x[0, len(ELEMENTS)] == 1  # element "other"
    charges = slice(len(ELEMENTS) + 1 + 7, len(ELEMENTS) + 1 + 7 + 6)
    assert ion.x[0, charges].argmax() == 3  # (-2, -1, 0, +1, +2, other)


def test_unparsable_smiles_name_x_row_and_string():
    with pytest.raises(InputError, match=r"X\[1\].*C1CC\(N"):
        smiles_to_graphs(["CCO", "C1CC(N", "CC"])
    with pytest.raises(InputError, match=r"X\[0\]"):
        smiles_to_graphs([3.0])
    for name in ("gcn", "chemprop"):
        with pytest.raises(InputError, match=r"X\[2\].*C1CC\(N"):
            make(name, "classification").fit(np.array(["CC", "CO", "C1CC(N", "CN"],
                                                       dtype=object), [0, 1, 0, 1])


# -- the training loop -------------------------------------------------------------------

def test_validation_split_stratified_or_random_and_inside_the_fold():
    codes = np.repeat([0, 1, 2], [20, 12, 8])
    train, valid = validation_split(codes, 0.25, stratify=True, random_state=0)
    assert len(valid) == 10 and not set(train) & set(valid)
    assert set(train) | set(valid) == set(range(40))
    assert np.bincount(codes[valid]).tolist() == [5, 3, 2]
    values = np.arange(40.0)
    train, valid = validation_split(values, 0.25, stratify=False, random_state=0)
    assert len(valid) == 10 and valid.max() < 40 and valid.max() - valid.min() > 20
    assert len(validation_split(values, 0.0, stratify=False, random_state=0)[1]) == 0
    assert target_scaling(np.full(5, 3.0)) == (3.0, 1.0)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("name", list(NETS))
def test_fit_predict_shapes_and_training_record(name, task):
    y = (np.array(["a", "b", "c"])[np.arange(len(SMILES)) % 3] if task == "classification"
         else heteroatoms(SMILES))
    X = inputs(name, SMILES)
    est = make(name, task, max_epochs=3, valid_size=0.2).fit(X[:30], y[:30])
    if task == "classification":
        proba = est.predict_proba(X[30:])
        assert proba.shape == (10, 3) and np.allclose(proba.sum(axis=1), 1)
        assert list(est.classes_) == ["a", "b", "c"]
        assert set(est.predict(X[30:])) <= {"a", "b", "c"}
        assert 0 <= est.train_accuracy_ <= 1 and est.majority_rate_ == pytest.approx(1 / 3)
    else:
        prediction = est.predict(X[30:])
        assert prediction.shape == (10,) and np.all(np.isfinite(prediction))
        assert np.isfinite(est.train_r2_) and -1 <= est.train_pearson_ <= 1
    assert est.n_epochs_ == len(est.history_) <= 3 and 1 <= est.best_epoch_ <= est.n_epochs_
    assert est.stop_reason_ in ("max_epochs", "early_stopping")
    assert est.n_train_fit_ == 24 and len(est.valid_indices_) == 6 and est.n_params_ > 0
    measure = "accuracy" if task == "classification" else "r2"
    assert {"train_loss", "valid_loss", f"valid_{measure}", "seconds"} <= set(est.history_[0])
    columns = training_columns(est)
    assert columns["train_epochs"] == est.n_epochs_ and columns["train_n"] == 24


@pytest.mark.parametrize("name", list(NETS))
def test_same_seed_same_model_and_caller_state_untouched(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # lightning must not write here (nor anywhere else)
    import lightning.pytorch  # noqa: F401  (its import, not our fit, sets its log level)

    X, y = inputs(name, SMILES), np.arange(len(SMILES)) % 2
    rng_state, threads = torch.random.get_rng_state(), torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    level = logging.getLogger("lightning.pytorch").level
    first = make(name, "classification", max_epochs=3).fit(X, y).predict_proba(X)
    again = make(name, "classification", max_epochs=3).fit(X, y).predict_proba(X)
    other = make(name, "classification", max_epochs=3, random_state=1).fit(X, y)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (len(X), 2) and np.allclose(first.sum(axis=1), 1)
    assert not np.allclose(first, other.predict_proba(X))
    assert torch.equal(torch.random.get_rng_state(), rng_state)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    assert logging.getLogger("lightning.pytorch").level == level
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", list(NETS))
def test_early_stopping_keeps_the_best_validation_weights(name):
    """The validation rows are rows of the training fold, and the kept weights are those of
    the epoch with the lowest validation loss (recomputed here from the predictions)."""
    X, y = inputs(name, SMILES), (heteroatoms(SMILES) > 1).astype(int)
    est = make(name, "classification", max_epochs=8, patience=2, valid_size=0.25).fit(X, y)
    valid = est.valid_indices_
    assert len(valid) == 10 and valid.max() < len(X) and len(np.unique(valid)) == 10
    assert abs(np.mean(y[valid]) - np.mean(y)) <= 0.1  # stratified
    losses = [record["valid_loss"] for record in est.history_]
    assert est.best_epoch_ == 1 + int(np.argmin(losses))
    proba = est.predict_proba(X[valid])
    recomputed = -np.mean(np.log(proba[np.arange(len(valid)), y[valid]]))
    assert recomputed == pytest.approx(losses[est.best_epoch_ - 1], rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("name", list(NETS))
def test_regression_standardisation_round_trip(name):
    """Targets are standardised on the training fold: an affine change of units changes
    nothing but the units of the predictions."""
    X, y = inputs(name, SMILES), heteroatoms(SMILES)
    est = make(name, "regression", max_epochs=3).fit(X, y)
    assert (est.y_mean_, est.y_scale_) == pytest.approx((np.mean(y), np.std(y)))
    moved = make(name, "regression", max_epochs=3).fit(X, 1000.0 + 10.0 * y)
    np.testing.assert_allclose(moved.predict(X), 1000.0 + 10.0 * est.predict(X), rtol=1e-5)


@pytest.mark.parametrize("name", ["gcn", "chemprop"])
def test_graph_networks_learn_a_planted_heteroatom_count(name):
    smiles = molecules(110, seed=1)
    y = heteroatoms(smiles)
    est = make(name, "regression", max_epochs=25, valid_size=0.2).fit(smiles[:80], y[:80])
    assert spearmanr(est.predict(smiles[80:]), y[80:])[0] > 0.7  # untrained: about 0


def test_fingerprint_mlp_learns_a_planted_class():
    smiles = molecules(110, seed=2)
    y = np.array(["N" in s or "n" in s for s in smiles], dtype=int)
    X = inputs("mlp", smiles)
    est = make("mlp", "classification", max_epochs=30).fit(X[:80], y[:80])
    assert np.mean(est.predict(X[80:]) == y[80:]) >= 0.85 > max(np.mean(y), 1 - np.mean(y))


@pytest.mark.parametrize(("name", "param", "value"), [
    ("gcn", "pooling", "mean+avg"), ("gcn", "conv", "gat"), ("gcn", "n_layers", 0),
    ("chemprop", "aggregation", "max"), ("chemprop", "warmup_epochs", -1),
    ("mlp", "hidden", (512, 0)), ("mlp", "device", "tpu"), ("mlp", "dropout", 1.0)])
def test_bad_parameters_are_named(name, param, value):
    X = inputs(name, SMILES[:6])
    with pytest.raises(InputError, match=param):
        make(name, "classification", **{param: value}).fit(X, np.arange(6) % 2)


# -- the catalogue and the estimator checks -----------------------------------------------

def test_specs_build_classifier_or_regressor_by_task():
    assert [spec.name for spec in MOLECULE_DEEP_SPECS] == list(CHECK_INFOS)
    assert set(NUMERIC_PARTS) | set(SMILES_ONLY) == set(MOLECULE_DEEP_CASES)
    assert set(MOLECULE_DEEP_CASES) == set(MOLECULE_DEEP_REGRESSION_CASES)
    for spec in MOLECULE_DEEP_SPECS:
        assert spec.family == "deep" and spec.kinds == ("molecules",)
        assert spec.tasks == ("classification", "regression") and not spec.requires
        classifier, regressor = spec.build(CHECK_INFOS[spec.name]), spec.build(REGRESSION_INFO)
        assert is_classifier(classifier) and is_regressor(regressor)
        assert classifier.get_params()["model__device"] == "auto"
    with pytest.raises(InputError, match=r"info\.task"):
        MOLECULE_DEEP_SPECS[0].build(SignalInfo(kind="molecules", task="ranking"))


def test_morgan_mlp_pipeline_runs_on_smiles_with_training_columns():
    pipeline = fast(MOLECULE_DEEP_SPECS[0].build(CHECK_INFOS["mol-morgan-mlp"]))
    y = np.arange(len(SMILES)) % 2
    pipeline.fit(SMILES, y)
    assert pipeline.predict_proba(SMILES).shape == (len(SMILES), 2)
    assert training_columns(pipeline)["train_epochs"] == 3


@pytest.mark.parametrize("check", SMILES_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("spec", MOLECULE_DEEP_SPECS, ids=lambda s: s.name)
def test_smiles_checks(spec, task, check):
    info = CHECK_INFOS[spec.name] if task == "classification" else REGRESSION_INFO
    check(fast(spec.build(info)))


_PARTS = {spec.name: spec for spec in MOLECULE_DEEP_SPECS if spec.name in NUMERIC_PARTS}
MODEL_PARTS = [fast(model_part(spec.build(CHECK_INFOS[name]))) for name, spec in _PARTS.items()]
MODEL_PARTS += [fast(model_part(spec.build(REGRESSION_INFO))) for spec in _PARTS.values()]
_EXPECTED = {id(part): cases[name] for part, (name, cases) in zip(
    MODEL_PARTS, [(n, MOLECULE_DEEP_CASES) for n in _PARTS]
    + [(n, MOLECULE_DEEP_REGRESSION_CASES) for n in _PARTS], strict=True)}


@parametrize_with_checks(MODEL_PARTS, expected_failed_checks=lambda est: _EXPECTED[id(est)])
def test_numeric_parts_pass_sklearn_checks(estimator, check):
    check(estimator)
