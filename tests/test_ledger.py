"""The operation ledger: hand-checked counts, agreement with NeuroBench's harness, analytic
counts of traditional steps, the energy estimate and its place in the fold results."""

from __future__ import annotations

import copy
import logging
import math

import numpy as np
import pytest
import snntorch as snn
import torch
from pyriemann.tangentspace import TangentSpace
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from torch import nn

from neurocompare.cost import ledger as ledger_module
from neurocompare.cost.ledger import (
    ENERGY_PJ,
    LEDGER_COLUMNS,
    energy_estimate,
    operation_ledger,
)
from neurocompare.cost.macs import recurrent_macs
from neurocompare.cost.networks import module_ledger
from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.evaluation.fold import fit_predict
from neurocompare.pipelines.eeg.covariance import ShrunkCovariances
from neurocompare.pipelines.eeg.csp import csp_lda
from neurocompare.pipelines.eeg.riemann import ts_lr
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.pipelines.spiking.catalogue import SPIKING_SPECS
from neurocompare.pipelines.spiking.networks import snn_conv, snn_recurrent

SPIKING = {spec.name: spec for spec in SPIKING_SPECS}


class _One(nn.Module):
    """A single connection layer as the child of a network (NeuroBench skips the root)."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x)


def _linear() -> nn.Linear:
    layer = nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0, 2, 0], [0, 0, 3, 1], [1, 1, 0, 0]]))
        layer.bias.fill_(0.5)
    return layer  # non-zero weights per input column: 2, 1, 2, 1


def test_hand_counts_linear_fed_spikes_and_analog():
    spikes = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]])
    out = module_ledger(_One(_linear()), spikes)
    # sample 1: inputs 0 and 2 -> 2 + 2 = 4; sample 2: inputs 1 and 3 -> 1 + 1 = 2
    assert out["synaptic_acs"] == (4 + 2) / 2 and out["synaptic_macs"] == 0
    assert out["dense_ops"] == 4 * 3
    analog = torch.tensor([[0.5, 0, -2.0, 0.3], [0.0, 0, 0, 0.7]])
    out = module_ledger(_One(_linear()), analog)
    # sample 1: inputs 0, 2, 3 -> 2 + 2 + 1 = 5; sample 2: input 3 -> 1
    assert out["synaptic_macs"] == (5 + 1) / 2 and out["synaptic_acs"] == 0
    assert out["dense_ops"] == 12
    assert out["param_count"] == 15 and out["param_bytes"] == 15 * 4
    assert out["connection_sparsity"] == 6 / 12
    assert math.isnan(out["activation_sparsity"])  # no activation layer


def test_hand_counts_conv_and_activation_sparsity():
    conv = nn.Conv1d(1, 1, 3, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[1.0, 0, 2]]]))
    net = nn.Sequential(conv, nn.ReLU())
    out = module_ledger(net, torch.tensor([[[1.0, 0, 1, 1, 0]]]))
    # windows [1,0,1], [0,1,1], [1,1,0] against non-zero taps 0 and 2: 2 + 1 + 1
    assert out["synaptic_acs"] == 4 and out["dense_ops"] == 3 * 3
    # ReLU outputs 1+2=3, 0+2=2, 1+0=1: no zeros
    assert out["activation_sparsity"] == 0
    out = module_ledger(net, torch.tensor([[[-1.0, 0, -1, 0, 0]]]))
    # -1 counts as a spike too: windows [-1,0,-1], [0,-1,0], [-1,0,0] -> 2 + 0 + 1; the
    # outputs -3, 0, -1 are all cut by the ReLU
    assert out["synaptic_acs"] == 3 and out["activation_sparsity"] == 1.0


def test_recurrent_layer_counts():
    net = _One(nn.LSTM(3, 4, batch_first=True))
    with torch.no_grad():
        net.layer.weight_ih_l0[:, 0] = 0  # input 0 reaches no gate
    out = module_ledger(net, torch.full((2, 5, 3), 0.5))  # analog input: MACs
    assert out["dense_ops"] == recurrent_macs(net.layer, 5, 2) / 2
    # per step: 2 inputs x 16 gate rows + 16 x 4 recurrent weights (not on the first step)
    assert out["synaptic_macs"] == 5 * 2 * 16 + 4 * 16 * 4


class _SnnTorchNet(nn.Module):
    """NeuroBench tutorial style: stateful snnTorch neurons, one step per call."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 10)
        self.lif1 = snn.Leaky(beta=0.9, init_hidden=True)
        self.fc2 = nn.Linear(10, 3)
        self.lif2 = snn.Leaky(beta=0.9, init_hidden=True, output=True)

    def forward(self, x):
        return self.lif2(self.fc2(self.lif1(self.fc1(x))))


class _Stepper(nn.Module):
    """Run a one-step network over (batch, steps, features), as NeuroBench's wrapper does."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        snn.utils.reset(self.net)
        return torch.stack([self.net(x[:, t])[0] for t in range(x.shape[1])], dim=1)


def _neurobench(model, data: torch.Tensor) -> dict:
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.static import ConnectionSparsity, Footprint, ParameterCount
    from neurobench.metrics.workload import ActivationSparsity, SynapticOperations
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(data, torch.zeros(len(data))), batch_size=len(data))
    metrics = [[ParameterCount, Footprint, ConnectionSparsity],
               [SynapticOperations, ActivationSparsity]]
    return Benchmark(model, loader, [], [], metrics).run(quiet=True)


def _assert_agree(ours: dict, theirs: dict) -> None:
    ops = theirs["SynapticOperations"]
    assert ours["synaptic_macs"] == pytest.approx(ops["Effective_MACs"], rel=1e-9, abs=1e-9)
    assert ours["synaptic_acs"] == pytest.approx(ops["Effective_ACs"], rel=1e-9, abs=1e-9)
    assert ours["dense_ops"] == pytest.approx(ops["Dense"], rel=1e-9)
    assert ours["activation_sparsity"] == pytest.approx(theirs["ActivationSparsity"], rel=1e-9)
    assert ours["param_count"] == theirs["ParameterCount"]
    assert ours["param_bytes"] == theirs["Footprint"]
    assert ours["connection_sparsity"] == pytest.approx(theirs["ConnectionSparsity"], abs=1e-4)


def test_agrees_with_neurobench_on_an_snntorch_model():
    from neurobench.models import SNNTorchModel

    torch.manual_seed(0)
    net = _SnnTorchNet()
    with torch.no_grad():
        net.fc1.weight[0, :3] = 0
    data = (torch.rand(8, 5, 6) > 0.5).float()  # spikes, (batch, steps, features)
    ours = module_ledger(_Stepper(copy.deepcopy(net)), data)
    _assert_agree(ours, _neurobench(SNNTorchModel(net), data))
    assert ours["synaptic_macs"] == 0 and ours["synaptic_acs"] > 0


@pytest.mark.parametrize(("builder", "encoding"), [(snn_conv, "direct"), (snn_conv, "rate"),
                                                   (snn_recurrent, "delta")])
def test_agrees_with_neurobench_on_our_spiking_networks(builder, encoding):
    from neurobench.models import TorchModel

    torch.manual_seed(0)
    net = builder(n_chans=4, n_times=128, n_outputs=2, sfreq=128.0, encoding=encoding).eval()
    with torch.no_grad():
        for module in net.modules():  # some firing, some silent neurons
            if isinstance(module, nn.BatchNorm1d):
                module.bias.fill_(0.8)
    X = torch.randn(6, 4, 128)
    ours = module_ledger(net, X)
    wrapped = TorchModel(net)
    wrapped.add_activation_module(snn.SpikingNeuron)
    _assert_agree(ours, _neurobench(wrapped, X))
    assert 0 < ours["activation_sparsity"] < 1
    if encoding == "direct":
        assert ours["synaptic_macs"] > 0 and ours["synaptic_acs"] > 0
    else:  # binary input: every synaptic operation is an accumulate
        assert ours["synaptic_macs"] == 0 and ours["synaptic_acs"] > 0


@pytest.fixture(scope="module")
def subject():
    data = SimulatedMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=20,
                                 effects=(0.6,)).load_subject(1)
    return data.X[:, :8, :256], data.y, data.info


def _padlen(sections: int, zeros: int, n_times: int) -> int:
    return min(3 * (2 * sections + 1 - zeros), n_times - 1)


def test_csp_lda_counts_equal_the_formulas(subject):
    X, y, info = subject
    pipe = csp_lda(info).fit(X, y)
    C, T, F = 8, 256, 6
    sos = pipe.named_steps["bandpass"].sos_
    zeros = min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum())
    bandpass = 2 * 5 * len(sos) * (T + 2 * _padlen(len(sos), zeros, T)) * C
    macs = bandpass + (C**2 * T + C**2) + (F * C**2 + F**2 * C) + F
    acs = 2 * C * T + 1
    out = operation_ledger(pipe, X[:16])
    assert out["synaptic_macs"] == macs and out["synaptic_acs"] == acs
    assert out["dense_ops"] == macs + acs
    assert out["param_count"] == 5 * len(sos) + F * C + (F + 1)
    assert out["param_bytes"] == 8 * out["param_count"]
    assert out["connection_sparsity"] == 0 and math.isnan(out["activation_sparsity"])


def test_covariance_tangent_lda_counts_equal_the_formulas(subject):
    X, y, _ = subject
    C, T = 8, 256
    n_ts = C * (C + 1) // 2
    pipe = Pipeline([("cov", ShrunkCovariances()), ("ts", TangentSpace()),
                     ("lda", LinearDiscriminantAnalysis())]).fit(X, y)
    out = operation_ledger(pipe, X[:16])
    tangent = 7.5 * C**3 + C**2 + C * (C - 1) / 2
    assert out["synaptic_macs"] == C**2 * T + C**2 + tangent + n_ts
    assert out["synaptic_acs"] == 2 * C * T + 1
    assert out["param_count"] == C**2 + n_ts + 1


def test_tree_and_knn_counts(subject):
    X, y, _ = subject
    features = BandPower(sfreq=128.0).fit(X).transform(X)
    forest = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0)
    forest.fit(features, y)
    out = operation_ledger(forest, features[:16])
    paths = forest.decision_path(features[:16].astype(np.float32))[0].sum(axis=1)
    assert out["synaptic_acs"] == pytest.approx(float(paths.mean()) - 5 + 5 * 2)
    assert out["dense_ops"] == sum(t.tree_.max_depth for t in forest.estimators_) + 10
    knn = KNeighborsClassifier(3).fit(features, y)
    out = operation_ledger(knn, features[:4])
    n, f = features.shape
    assert out["synaptic_macs"] == n * f and out["synaptic_acs"] == n * (f + 1)


class _Mystery(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_unknown_step_is_nan_with_a_warning(subject, caplog):
    X, y, _ = subject
    pipe = Pipeline([("cov", ShrunkCovariances()), ("what", _Mystery())]).fit(X, y)
    ledger_module._WARNED.discard(f"{__name__}._Mystery")
    with caplog.at_level(logging.WARNING, logger="neurocompare.cost.ledger"):
        out = operation_ledger(pipe, X[:4])
    assert all(math.isnan(out[key]) for key in LEDGER_COLUMNS if "sparsity" not in key)
    assert "_Mystery" in caplog.text and math.isnan(energy_estimate(out))


def test_energy_is_counts_times_constants():
    counts = {"synaptic_macs": 1e6, "synaptic_acs": 3e5}
    assert energy_estimate(counts) == pytest.approx(1e6 * 4.6e-12 + 3e5 * 0.9e-12, rel=1e-12)
    assert energy_estimate(counts, "fp16") == pytest.approx(1e6 * 1.5e-12 + 3e5 * 0.4e-12)
    assert energy_estimate(counts, "int8") == pytest.approx(1e6 * 0.23e-12 + 3e5 * 0.03e-12)
    assert ENERGY_PJ["fp32"] == {"mac": 4.6, "ac": 0.9}
    with pytest.raises(ValueError, match="precision"):
        energy_estimate(counts, "fp64")


@pytest.mark.parametrize("encoding", ["direct", "rate", "delta"])
def test_spiking_pipeline_ledger(encoding, subject):
    X, y, info = subject
    pipe = SPIKING["snn-conv"].build(info).set_params(net__max_epochs=1, net__n_threads=1,
                                                      net__encoding=encoding).fit(X, y)
    out = operation_ledger(pipe, X[:8])
    net = pipe.named_steps["net"]
    Xs = torch.as_tensor((X[:8] - net.mean_) / net.scale_, dtype=torch.float32)
    direct = module_ledger(net.module_, Xs)
    assert {k: out[k] for k in LEDGER_COLUMNS} == pytest.approx(
        {k: direct[k] for k in LEDGER_COLUMNS}, nan_ok=True)
    assert out["param_count"] == net.n_params_ + 0  # all parameters are trainable here
    assert (out["synaptic_macs"] > 0) == (encoding == "direct")
    assert out["synaptic_acs"] > 0 and out["dense_ops"] > out["synaptic_acs"]


def test_fit_predict_adds_the_ledger(subject):
    X, y, info = subject
    out = fit_predict(ts_lr(info), X[:30], y[:30], X[30:])
    for key in LEDGER_COLUMNS:
        assert f"ledger_{key}" in out
    assert out["energy_j"] == pytest.approx(energy_estimate(
        {"synaptic_macs": out["ledger_synaptic_macs"],
         "synaptic_acs": out["ledger_synaptic_acs"]}))
    assert out["energy_j"] > 0 and "estimate" in out["energy_basis"]
    assert "memory" in out["energy_basis"] and out["ledger_time_s"] < 5
    assert out["macs"] == 0  # the network MAC column is unchanged


def test_fit_predict_survives_a_ledger_failure(subject, monkeypatch, caplog):
    X, y, info = subject

    def broken(estimator, X_sample):
        raise RuntimeError("no counts today")

    monkeypatch.setattr("neurocompare.evaluation.fold.operation_ledger", broken)
    with caplog.at_level(logging.WARNING, logger="neurocompare.evaluation.fold"):
        out = fit_predict(ts_lr(info), X[:30], y[:30], X[30:])
    assert "no counts today" in caplog.text
    assert math.isnan(out["energy_j"]) and math.isnan(out["ledger_synaptic_macs"])
    assert len(out["y_pred"]) == len(X) - 30


def test_measured_fit_energy_is_labelled(subject, tmp_path):
    pytest.importorskip("codecarbon")
    X, y, info = subject
    out = ledger_module.measured_fit_energy(ts_lr(info), X, y, output_dir=str(tmp_path))
    assert out["energy_j"] >= 0 and out["duration_s"] > 0
    assert "estimate" in out["basis"]


def test_table_and_connectome_steps_are_counted_by_formula():
    from lightgbm import LGBMClassifier
    from sklearn.impute import SimpleImputer

    from neurocompare.cost.ledger import step_count
    from neurocompare.pipelines.connectome.transformers import Connectivity

    rng = np.random.default_rng(0)
    table = rng.normal(size=(40, 5))
    assert step_count(SimpleImputer().fit(table), table[:2]).acs == 5
    stump = LGBMClassifier(n_estimators=3, num_leaves=2, min_child_samples=2, verbose=-1)
    stump.fit(table, (table[:, 0] > 0).astype(int))
    count = step_count(stump, table[:4])
    assert count.acs == 3 + 3  # one comparison per stump, one addition per tree
    series = [rng.normal(size=(30, 4)) for _ in range(6)]
    T, R = 30, 4
    corr = step_count(Connectivity(kind="correlation").fit(series), series[:2])
    assert corr.macs == T * R * (R + 1) / 2 + R * R
    tangent = step_count(Connectivity(kind="tangent").fit(series), series[:2])
    assert tangent.macs == corr.macs + 6 * R**3


def test_graph_network_layers_are_counted():
    from neurocompare.cost.ledger import step_count
    from neurocompare.data.containers import SignalInfo
    from neurocompare.pipelines.registry import make_pipeline

    rng = np.random.default_rng(0)
    series = [rng.normal(size=(50, 8)) for _ in range(20)]
    labels = np.arange(20) % 2
    gcn = make_pipeline("fc-gcn", SignalInfo(kind="timeseries", class_names=("a", "b")))
    gcn.set_params(net__max_epochs=2).fit(series, labels)
    matrices = gcn[:-1].transform(series[:3])
    count = step_count(gcn.named_steps["net"], matrices)
    # two GCN layers (8 nodes: 8 -> 32 -> 32 features) and the 64 -> 2 read-out
    assert count.dense == 8 * 8 * 32 + 8 * 32 * 32 + 64 * 2


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_every_molecule_pipeline_has_an_operation_count(task):
    from neurocompare.cost.ledger import operation_ledger
    from neurocompare.data.containers import SignalInfo
    from neurocompare.pipelines.registry import PIPELINES
    from tests.estimator_cases_molecules import LABELS, SMILES, TARGETS

    info = SignalInfo(kind="molecules", task=task,
                      class_names=("a", "b") if task == "classification" else ())
    y = LABELS if task == "classification" else TARGETS
    for name, spec in PIPELINES.items():
        if "molecules" not in spec.kinds:
            continue
        estimator = spec.build(info)
        params = estimator.get_params()
        estimator.set_params(**{k: 2 for k in params if k.endswith("max_epochs")},
                             **{k: 5 for k in params if k.endswith("n_estimators")})
        ledger = operation_ledger(estimator.fit(SMILES, y), SMILES[:3])
        assert np.isfinite(ledger["param_count"]) and ledger["param_count"] > 0, name
        assert np.isfinite(ledger["synaptic_macs"] + ledger["synaptic_acs"]), name
        if name == "mol-morgan-linear":  # one dot product over the 2048 bits
            assert ledger["synaptic_macs"] == 2048 and ledger["param_count"] == 2049
