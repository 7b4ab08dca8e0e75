"""Deep drug-target affinity networks: DeepDTA and the GraphDTA-style GCN.

Small synthetic pairs (12 SMILES x 10 random sequences) with a planted additive effect;
networks shrunk through their length/width parameters so the file runs in about a minute
on one thread.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from neurocompare._errors import InputError
from neurocompare.pipelines.dti.deepdta import DeepDTARegressor
from neurocompare.pipelines.dti.graphdta import GraphDTARegressor
from neurocompare.pipelines.dti.sequences import (
    CHARISOSMISET,
    CHARPROTSET,
    SequenceCNN,
    encode,
    unknown_code,
    vocabulary_size,
)

SMILES = ["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCCCN", "OCCO", "NCCN", "CC(C)C",
          "C1CCNCC1", "COC", "CCOC(=O)N", "ClCCl"]
AMINO = list("ACDEFGHIKLMNPQRSTVWY")
SMALL_DEEPDTA = {"smiles_len": 16, "protein_len": 40, "n_filters": 8, "embedding": 16,
                 "smiles_kernel": 3, "protein_kernel": 4}
SMALL_GRAPHDTA = {"protein_len": 40, "n_filters": 8, "embedding": 16, "protein_kernel": 4,
                  "drug_dim": 32}
TRAINING = {"batch_size": 32, "lr": 2e-3, "valid_size": 0.0, "patience": 5}


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pairs():
    """(X, y, train, test): affinity = [drug has 'N'] + [target has 'WWW'] + noise."""
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(AMINO, rng.integers(15, 30))) for _ in range(10)]
    sequences = [s[:5] + "WWW" + s[5:] if i % 2 == 0 else s.replace("W", "A")
                 for i, s in enumerate(sequences)]
    X = np.array([(s, t) for s in SMILES for t in sequences], dtype=object)
    y = np.array([float("N" in s) + float("WWW" in t) for s, t in X])
    y += rng.normal(0.0, 0.1, len(y))
    order = rng.permutation(len(y))
    return X, y, order[:90], order[90:]


@pytest.fixture(scope="module")
def fitted(pairs):
    X, y, train, _ = pairs
    return {"deepdta": DeepDTARegressor(**SMALL_DEEPDTA, **TRAINING, max_epochs=40).fit(
                X[train], y[train]),
            "graphdta": GraphDTARegressor(**SMALL_GRAPHDTA, **TRAINING, max_epochs=40).fit(
                X[train], y[train])}


def plain_branch(cnn: SequenceCNN, codes: torch.Tensor) -> torch.Tensor:
    """DeepDTA's branch written with the plain layers: embed, 3 x (conv, ReLU), max."""
    h = cnn.embed(codes).transpose(1, 2)
    for conv in cnn.convs:
        h = torch.relu(conv(h))
    return h.amax(2)


# -- encoding ------------------------------------------------------------------------------
def test_charsets_are_deepdta_codes():
    assert sorted(CHARISOSMISET.values()) == list(range(1, 65))
    assert sorted(CHARPROTSET.values()) == list(range(1, 26))
    assert (CHARISOSMISET["("], CHARISOSMISET["C"], CHARPROTSET["A"], CHARPROTSET["Z"]) \
        == (1, 42, 1, 25)
    assert unknown_code(CHARPROTSET) == 26 and vocabulary_size(CHARPROTSET) == 27
    assert vocabulary_size(CHARISOSMISET) == 66


def test_encode_round_trip_padding_truncation_unknown():
    strings = ["CC(=O)O", "c1ccccc1N", "C" * 12]
    codes = encode(strings, CHARISOSMISET, 10)
    assert codes.dtype == np.int64 and codes.shape == (3, 10)
    decode = {v: k for k, v in CHARISOSMISET.items()}
    for text, row in zip(strings, codes, strict=True):
        kept = row[row > 0]
        assert "".join(decode[c] for c in kept) == text[:10]
        assert (row[len(kept):] == 0).all()  # padding is a suffix
    assert (codes[2] == CHARISOSMISET["C"]).all()  # truncated to max_len
    protein = encode(["MK*a"], CHARPROTSET, 6)
    assert protein.tolist() == [[11, 10, 26, 26, 0, 0]]


def test_encode_errors():
    with pytest.raises(InputError, match="max_len"):
        encode(["CC"], CHARISOSMISET, 0)
    with pytest.raises(InputError, match=r"strings\[1\]"):
        encode(["CC", 3], CHARISOSMISET, 5)


# -- exactness of the fast computations ----------------------------------------------------
def test_sequence_cnn_equals_plain_layers_with_gradients():
    rng = np.random.default_rng(1)
    lengths = [3, 9, 17, 30, 40, 55, 26]  # 55 > max_len: truncated; 40 = max_len
    strings = ["".join(rng.choice([*AMINO, "?"], n)) for n in lengths]
    codes = torch.as_tensor(encode(strings, CHARPROTSET, 40))
    torch.manual_seed(0)
    cnn = SequenceCNN(vocabulary_size(CHARPROTSET), 12, 5, 4, group=3).double()
    weights = torch.randn(cnn.out_features, dtype=torch.float64)
    fast = cnn(codes)
    (fast @ weights).sum().backward()
    fast_grads = [p.grad.clone() for p in cnn.parameters()]
    cnn.zero_grad()
    plain = plain_branch(cnn, codes)
    (plain @ weights).sum().backward()
    np.testing.assert_allclose(fast.detach(), plain.detach(), rtol=0, atol=1e-12)
    for got, want in zip(fast_grads, (p.grad for p in cnn.parameters()), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["deepdta", "graphdta"])
def test_unique_forward_equals_per_pair_forward(pairs, name):
    X, _, _, _ = pairs
    est = (DeepDTARegressor(**SMALL_DEEPDTA) if name == "deepdta"
           else GraphDTARegressor(**SMALL_GRAPHDTA))
    inputs = est._encode(X, reset=True)
    assert len(inputs.targets) == 10 and len(inputs.drug_index) == len(X)
    torch.manual_seed(0)
    module = est._build(1).double().eval()
    rows = np.random.default_rng(2).choice(len(X), 50, replace=False)
    shared = est._forward(module, inputs, rows, torch.device("cpu"), torch.float64)
    proteins = plain_branch(module.protein, inputs.targets[inputs.target_index[rows]])
    if name == "deepdta":
        drugs = plain_branch(module.drug, inputs.drugs[inputs.drug_index[rows]])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch_geometric.data import Batch
        batch = Batch.from_data_list([inputs.drugs[i] for i in inputs.drug_index[rows]])
        drugs = module.drug(batch.x.double(), batch.edge_index, batch.batch, len(rows))
    naive = module.combine(drugs, proteins)
    assert shared.shape == (50, 1)
    np.testing.assert_allclose(shared.detach(), naive.detach(), rtol=0, atol=1e-10)
    grads = torch.autograd.grad(shared.sum(), list(module.parameters()))
    naive_grads = torch.autograd.grad(naive.sum(), list(module.parameters()))
    for got, want in zip(grads, naive_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


# -- estimators ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["deepdta", "graphdta"])
def test_learns_planted_signal(pairs, fitted, name):
    X, y, train, test = pairs
    est = fitted[name]
    mae = np.mean(np.abs(est.predict(X[test]) - y[test]))
    baseline = np.mean(np.abs(y[train].mean() - y[test]))
    assert mae < 0.5 * baseline, (mae, baseline)
    assert est.n_features_in_ == 2 and est.n_epochs_ == 40 and est.train_r2_ > 0.8
    assert est.macs_ > 0 and est.n_params_ > 0 and len(est.history_) == 40


def test_deepdta_macs_count_the_plain_layers(fitted):
    est = fitted["deepdta"]

    def branch(length, vocab_width, filters, kernel):
        total, channels = 0, vocab_width
        for out in (filters, 2 * filters, 3 * filters):
            length -= kernel - 1
            total += length * out * (channels * kernel + 1)
            channels = out
        return total

    head = 48 * 1024 + 1024 * 1024 + 1024 * 512 + 512 + (1024 + 1024 + 512 + 1)
    assert est.macs_ == branch(16, 16, 8, 3) + branch(40, 16, 8, 4) + head


@pytest.mark.parametrize("name", ["deepdta", "graphdta"])
def test_predictions_do_not_depend_on_the_batch(pairs, fitted, name):
    X, _, _, _ = pairs
    est = fitted[name]
    full = est.predict(X)
    subset = np.array([5, 77, 3, 119, 64])
    np.testing.assert_allclose(est.predict(X[subset]), full[subset], rtol=0, atol=1e-10)
    np.testing.assert_allclose(est.predict(X[[42]]), full[[42]], rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["deepdta", "graphdta"])
def test_pickle_round_trip(pairs, fitted, name):
    X, _, _, _ = pairs
    est = fitted[name]
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


@pytest.mark.parametrize("name", ["deepdta", "graphdta"])
def test_same_seed_same_predictions(pairs, name):
    X, y, train, test = pairs
    training = {**TRAINING, "max_epochs": 3, "valid_size": 0.2}
    est = (DeepDTARegressor(**SMALL_DEEPDTA, **training) if name == "deepdta"
           else GraphDTARegressor(**SMALL_GRAPHDTA, **training))
    first = clone(est).fit(X[train], y[train]).predict(X[test])
    second = clone(est).fit(X[train], y[train]).predict(X[test])
    other = clone(est).set_params(random_state=1).fit(X[train], y[train]).predict(X[test])
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)


def test_parameters_are_stored_unchanged():
    est = DeepDTARegressor()
    params = est.get_params()
    assert (params["smiles_len"], params["protein_len"], params["n_filters"],
            params["smiles_kernel"], params["protein_kernel"], params["embedding"],
            params["max_epochs"], params["batch_size"], params["lr"],
            params["patience"]) == (85, 1200, 32, 4, 8, 128, 100, 256, 1e-3, 15)
    graph = GraphDTARegressor().get_params()
    assert (graph["batch_size"], graph["lr"], graph["dropout"]) == (512, 5e-4, 0.2)
    assert clone(est).get_params() == params


@pytest.mark.parametrize("bad", [
    np.array(["CCO", "MKV"], dtype=object),                     # 1-D
    np.array([["CCO", "MKV", "x"]], dtype=object),               # three columns
    np.array([["CCO", 3]], dtype=object),                        # not a string
    np.array([["", "MKV"]], dtype=object),                       # empty SMILES
])
@pytest.mark.parametrize("cls", [DeepDTARegressor, GraphDTARegressor])
def test_bad_pairs_raise(cls, bad):
    with pytest.raises(InputError, match="X"):
        cls(max_epochs=1).fit(bad, np.ones(len(bad)))


def test_bad_parameters_and_smiles_raise(pairs, fitted):
    X, y, _, _ = pairs
    with pytest.raises(InputError, match="protein_len"):
        DeepDTARegressor(protein_len=20, protein_kernel=8).fit(X[:4], y[:4])
    with pytest.raises(InputError, match="smiles_kernel"):
        DeepDTARegressor(smiles_kernel=0).fit(X[:4], y[:4])
    with pytest.raises(InputError, match=r"X\[\d+, 0\]"):
        GraphDTARegressor(**SMALL_GRAPHDTA, max_epochs=1).fit(
            np.array([["C1CC", "MKVLA"], ["CCO", "MKVLA"]], dtype=object), [1.0, 2.0])
    with pytest.raises(InputError, match="y"):
        DeepDTARegressor(**SMALL_DEEPDTA, max_epochs=1).fit(X[:4], y[:3])
    with pytest.raises(NotFittedError):
        DeepDTARegressor().predict(X[:2])
    with pytest.raises(InputError, match="X"):
        fitted["deepdta"].predict(X[:, :1])
