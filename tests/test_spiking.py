"""The spiking pipelines: fit/predict (multichannel and single-channel), input encodings,
ANN-to-SNN conversion, reproducibility, pickling and the scikit-learn checks."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import snntorch as snn
import torch
from sklearn.utils.estimator_checks import check_estimator

from neurocompare._errors import InputError
from neurocompare.data.containers import SignalInfo
from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.pipelines.spiking.catalogue import SPIKING_SPECS
from neurocompare.pipelines.spiking.conversion import (
    ANN2SNNClassifier,
    accuracy_vs_time_steps,
)
from neurocompare.pipelines.spiking.encoding import (
    DeltaEncoder,
    RateEncoder,
    delta_events,
    make_encoder,
    n_time_steps,
    to_time_steps,
)
from neurocompare.pipelines.spiking.networks import SpikingClassifier, snn_conv, snn_recurrent
from tests.estimator_cases import CHECK_INFO
from tests.estimator_cases_spiking import SPIKING_CASES

SPECS = {spec.name: spec for spec in SPIKING_SPECS}
NAMES = list(SPECS)
FAST = {"net__max_epochs": 2, "net__n_threads": 1}


@pytest.fixture(scope="module")
def tiny():
    """40 strong-effect simulated trials, 8 central channels, 2 s at 128 Hz: (X, y, info)."""
    data = SimulatedMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=20,
                                 effects=(0.6,)).load_subject(1)
    return data.X[:, 8:16, :256], data.y, data.info


@pytest.fixture(scope="module")
def single_channel():
    """Single-channel epochs (40, 1, 256) at 128 Hz; class 1 carries a 6 Hz rhythm."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    t = np.arange(256) / 128.0
    phase = rng.uniform(0, 2 * np.pi, (40, 1, 1))
    X = rng.standard_normal((40, 1, 256)) + 2 * y[:, None, None] * np.sin(2 * np.pi * 6 * t
                                                                           + phase)
    return X * 1e-5, y, SignalInfo(kind="epochs", class_names=("a", "b"), sfreq=128.0)


def test_catalogue():
    assert NAMES == ["snn-conv", "snn-recurrent", "ann2snn"]
    assert set(SPIKING_CASES) == set(NAMES)
    for spec in SPIKING_SPECS:
        assert spec.family == "spiking" and spec.description
        net = spec.build(CHECK_INFO).named_steps["net"]
        assert net.sfreq == 128.0 and net.max_epochs == 100


@pytest.mark.parametrize("name", NAMES)
def test_fit_predict_multichannel(name, tiny):
    X, y, info = tiny
    pipeline = SPECS[name].build(info).set_params(**FAST).fit(X, y)
    proba = pipeline.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert set(pipeline.predict(X)) <= {0, 1}
    net = pipeline.named_steps["net"]
    assert net.n_epochs_ == 2 and net.n_params_ > 0 and net.macs_ > 0


@pytest.mark.parametrize("name", NAMES)
def test_fit_predict_single_channel(name, single_channel):
    X, y, info = single_channel
    pipeline = SPECS[name].build(info).set_params(**FAST).fit(X, y)
    assert pipeline.predict_proba(X[:5]).shape == (5, 2)
    assert set(pipeline.predict(X)) <= {0, 1}


@pytest.mark.parametrize("encoding", ["direct", "rate", "delta"])
@pytest.mark.parametrize("model", ["snn_conv", "snn_recurrent"])
def test_encodings_train(model, encoding, tiny):
    X, y, _ = tiny
    est = SpikingClassifier(model=model, encoding=encoding, sfreq=128.0, max_epochs=1,
                            time_steps=32, n_threads=1).fit(X, y)
    assert est.module_.steps == 32
    proba = est.predict_proba(X[:6])
    # float64 inference, frozen rate noise: a trial's output does not depend on its batch
    np.testing.assert_allclose(est.predict_proba(X[2:3]), proba[2:3], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_model(name, tiny):
    X, y, info = tiny
    fits = [SPECS[name].build(info).set_params(**FAST, net__random_state=seed).fit(X, y)
            for seed in (3, 3, 4)]
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    first, other = (fit.named_steps["net"].module_.state_dict() for fit in (fits[0], fits[2]))
    assert any(not torch.equal(first[k], other[k]) for k in first if first[k].is_floating_point())
    restored = pickle.loads(pickle.dumps(fits[0]))
    np.testing.assert_array_equal(restored.predict_proba(X), fits[0].predict_proba(X))


def test_global_rng_and_neuron_registry_untouched(tiny):
    X, y, info = tiny
    registered = len(snn.SpikingNeuron.instances)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SPECS["snn-conv"].build(info).set_params(**FAST, net__encoding="rate").fit(X, y)
    assert torch.equal(torch.rand(3), expected)
    assert len(snn.SpikingNeuron.instances) == registered  # finished networks can be freed


def test_time_axis():
    assert n_time_steps(384, 128.0) == 192  # 3 s at 128 Hz -> 64 Hz
    assert n_time_steps(513, 256.0) == 128
    assert n_time_steps(384, 128.0, time_steps=50) == 50
    assert n_time_steps(4, 128.0, time_steps=50) == 4
    assert n_time_steps(384, None) == 384
    x = torch.arange(12.0).reshape(1, 1, 12)
    np.testing.assert_allclose(to_time_steps(x, 6)[0, 0], [0.5, 2.5, 4.5, 6.5, 8.5, 10.5])
    assert to_time_steps(x, 5).shape == (1, 1, 5)
    with pytest.raises(InputError, match="time_steps"):
        n_time_steps(10, 128.0, time_steps=0)


@pytest.mark.parametrize("amplitude", [0.1, 0.5, 0.9])
def test_rate_encoding_mean_is_the_amplitude(amplitude):
    steps = 4000
    x = torch.full((1, 2, steps), amplitude, dtype=torch.float64)
    x[:, 1] = -amplitude  # second channel negative: OFF spikes instead
    encoder = RateEncoder(gain=1.0, seed=5)
    tolerance = 4 * np.sqrt(amplitude * (1 - amplitude) / steps)
    for mode in (True, False):  # Bernoulli draws while training, frozen noise in evaluation
        torch.manual_seed(0)
        spikes = encoder.train(mode)(x)
        assert spikes.shape == (1, 4, steps) and set(spikes.unique().tolist()) <= {0.0, 1.0}
        on, off = spikes[0, :2], spikes[0, 2:]
        assert abs(float(on[0].mean()) - amplitude) < tolerance
        assert abs(float(off[1].mean()) - amplitude) < tolerance
        assert float(on[1].sum()) == 0 and float(off[0].sum()) == 0
    encoder.eval()
    batch = torch.randn(5, 2, 300, dtype=torch.float64)
    np.testing.assert_array_equal(encoder(batch)[3:4], encoder(batch[3:4]))  # batch-free
    np.testing.assert_array_equal(encoder(batch), encoder(batch))  # deterministic


def test_delta_encoding_events_at_level_crossings():
    ramp = torch.arange(12, dtype=torch.float64) / 8  # rises 1/8 per step
    on, off = delta_events(ramp, threshold=0.25)
    assert torch.nonzero(on).flatten().tolist() == [2, 4, 6, 8, 10]  # x = 0.25, 0.5, ...
    assert float(off.sum()) == 0
    on, off = delta_events(-ramp, threshold=0.25)
    assert torch.nonzero(off).flatten().tolist() == [2, 4, 6, 8, 10] and float(on.sum()) == 0
    # a jump of 4 thresholds: one event per step until the level has caught up
    step = torch.tensor([0.0, 0, 1, 1, 1, 1, 1, 1])
    on, _ = delta_events(step, threshold=0.25)
    assert torch.nonzero(on).flatten().tolist() == [2, 3, 4, 5]
    events = DeltaEncoder(0.25)(torch.stack([ramp, -ramp])[None])
    assert events.shape == (1, 4, 12)
    assert events[0, 0].sum() == 5 and events[0, 3].sum() == 5  # ON of ch 0, OFF of ch 1


def test_encoder_errors():
    with pytest.raises(InputError, match="encoding"):
        make_encoder("morse")
    with pytest.raises(InputError, match="threshold"):
        DeltaEncoder(0.0)
    with pytest.raises(InputError, match="gain"):
        RateEncoder(-1.0)


def test_classifier_parameter_errors(tiny):
    X, y, _ = tiny
    with pytest.raises(InputError, match="encoding"):
        SpikingClassifier(encoding="morse").fit(X, y)
    with pytest.raises(InputError, match="time_steps"):
        SpikingClassifier(time_steps=0).fit(X, y)
    with pytest.raises(InputError, match="model_params"):
        SpikingClassifier(model_params={"encoding": "rate"}).fit(X, y)
    with pytest.raises(InputError, match="model"):
        SpikingClassifier(model="shallow").fit(X, y)
    with pytest.raises(InputError, match="time_steps"):
        ANN2SNNClassifier(time_steps=0).fit(X, y)
    with pytest.raises(InputError, match="percentile"):
        ANN2SNNClassifier(percentile=0).fit(X, y)


def test_builders_shapes():
    for builder in (snn_conv, snn_recurrent):
        for encoding in ("direct", "rate", "delta"):
            net = builder(n_chans=3, n_times=64, n_outputs=4, sfreq=128.0,
                          encoding=encoding).eval()
            with torch.no_grad():
                assert net(torch.randn(5, 3, 64)).shape == (5, 4)
    assert snn_conv(n_chans=2, n_times=3, n_outputs=2, sfreq=128.0)(torch.zeros(2, 2, 3)).shape \
        == (2, 2)  # one step: kernels and strides shrink to fit


@pytest.fixture(scope="module")
def converted():
    """An ANN2SNN classifier trained on a clear 2-class problem, and held-out data."""
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 60)
    t = np.arange(128) / 128.0
    phase = rng.uniform(0, 2 * np.pi, (120, 1, 1))
    X = rng.standard_normal((120, 4, 128))
    X[:, :2] += 1.5 * y[:, None, None] * np.sin(2 * np.pi * 10 * t + phase)
    order = rng.permutation(120)
    X, y = X[order], y[order]
    est = ANN2SNNClassifier(sfreq=128.0, max_epochs=25, valid_size=0.0, lr=3e-3,
                            n_threads=1, time_steps=64).fit(X[:80], y[:80])
    return est, X[80:], y[80:]


def test_conversion_approaches_the_ann(converted):
    est, X, y = converted
    rows = accuracy_vs_time_steps(est, X, y, time_steps=(2, 8, 32, 256))
    by_steps = {row["time_steps"]: row for row in rows}
    ann = by_steps[None]
    assert ann["accuracy"] >= 0.85 and ann["synaptic_acs"] == 0
    assert by_steps[256]["agreement"] >= 0.95
    assert abs(by_steps[256]["accuracy"] - ann["accuracy"]) <= 0.05
    assert by_steps[256]["agreement"] >= by_steps[2]["agreement"]
    # every layer after the (analog) input receives spikes: ACs grow with the steps
    acs = [by_steps[steps]["synaptic_acs"] for steps in (2, 32, 256)]
    assert acs[0] < acs[1] < acs[2]
    assert by_steps[2]["synaptic_macs"] == by_steps[256]["synaptic_macs"]  # input layer once
    assert est.module_.time_steps == 64  # restored
    # the SNN's averaged output potential approaches the ANN's logits
    Xs = torch.as_tensor((X - est.mean_) / est.scale_, dtype=torch.float32)
    with torch.no_grad():
        target = est.ann_(Xs)
        errors = []
        for steps in (4, 32, 256):
            est.module_.time_steps = steps
            errors.append(float((est.module_(Xs) - target).abs().mean()))
        est.module_.time_steps = 64
    assert errors[0] > errors[1] > errors[2]


def test_conversion_thresholds_come_from_training_rows(converted):
    est, X, _ = converted
    assert est.thresholds_.shape == (2,) and np.all(est.thresholds_ > 0)
    np.testing.assert_allclose(est.module_.if1.threshold.item(), est.thresholds_[0], rtol=1e-6)
    with pytest.raises(InputError, match="ANN2SNNClassifier"):
        accuracy_vs_time_steps(SpikingClassifier(), X, np.zeros(len(X)))


def test_ann2snn_pickles(converted):
    est, X, _ = converted
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    np.testing.assert_array_equal(restored.thresholds_, est.thresholds_)


@pytest.mark.parametrize("name", NAMES)
def test_estimator_checks_fail_only_as_documented(name):
    estimator = SPECS[name].build(CHECK_INFO).set_params(net__max_epochs=3, net__n_threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert failed == set(SPIKING_CASES[name])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", NAMES)
def test_cuda_training_cpu_inference(name, tiny):
    X, y, info = tiny
    gpu = SPECS[name].build(info).set_params(**FAST, net__device="cuda").fit(X, y)
    assert gpu.named_steps["net"].device_.startswith("cuda")
    assert gpu.predict_proba(X).shape == (len(X), 2)
