"""The deep pipelines: fit/predict on multichannel and single-channel data, reproducibility,
early stopping inside the training fold, training-fold standardisation and a planted effect.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from neurocompare.cost.macs import count_macs
from neurocompare.data.containers import SignalInfo
from neurocompare.data.simulated import CHANNELS, ERD_ONSET, SimulatedMotorImagery
from neurocompare.pipelines.deep.catalogue import DEEP_SPECS
from neurocompare.pipelines.deep.estimator import DeepClassifier
from neurocompare.pipelines.deep.modules import MODULES, build_module, deep4_min_times
from neurocompare.pipelines.deep.recurrent import RecurrentNet

SPECS = {spec.name: spec for spec in DEEP_SPECS}
NAMES = list(SPECS)
FAST = {"net__max_epochs": 5, "net__n_threads": 1}


@pytest.fixture(scope="module")
def strong():
    """One strong-effect simulated subject: X (160, 24, 384) at 128 Hz, 2 classes."""
    return SimulatedMotorImagery(n_subjects=1, n_trials_per_class=40,
                                 effects=(0.6,)).load_subject(1)


@pytest.fixture(scope="module")
def small(strong):
    """40 trials of the strong subject, balanced: (X, y, info)."""
    keep = np.concatenate([np.flatnonzero(strong.y == c)[:20] for c in (0, 1)])
    return strong.X[keep], strong.y[keep], strong.info


@pytest.fixture(scope="module")
def single_channel():
    """Bonn-like single-channel epochs (40, 1, 512) at 173.61 Hz; class 1 has a 6 Hz rhythm."""
    rng = np.random.default_rng(0)
    sfreq, y = 173.61, np.repeat([0, 1], 20)
    t = np.arange(512) / sfreq
    phase = rng.uniform(0, 2 * np.pi, (40, 1, 1))
    X = rng.standard_normal((40, 1, 512)) + 2 * y[:, None, None] * np.sin(2 * np.pi * 6 * t + phase)
    info = SignalInfo(kind="epochs", class_names=("interictal", "ictal"), sfreq=sfreq)
    return X * 1e-5, y, info


def _net(pipeline) -> DeepClassifier:
    return pipeline.named_steps["net"]


def test_catalogue_names_and_modules():
    assert NAMES == ["eegnet", "shallow-convnet", "shallow-convnet-cropped", "deep4",
                     "deep4-cropped", "rnn", "lstm", "gru", "bilstm", "cnn-lstm-attention"]
    for spec in DEEP_SPECS:
        assert spec.family == "deep"
        net = _net(spec.build(SignalInfo(kind="epochs", class_names=("a", "b"), sfreq=128.0)))
        assert net.model in MODULES
        assert net.sfreq == 128.0


@pytest.mark.parametrize("name", NAMES)
def test_fit_predict_multichannel(name, small):
    X, y, info = small
    pipeline = SPECS[name].build(info).set_params(**FAST).fit(X, y)
    proba = pipeline.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(pipeline.predict(X)) <= set(pipeline.classes_)
    net = _net(pipeline)
    assert 1 <= net.n_epochs_ <= 5 and net.n_params_ > 0
    assert net.macs_ == count_macs(net.module_, (1, 24, 384)) > 0


@pytest.mark.parametrize("name", NAMES)
def test_fit_predict_single_channel(name, single_channel):
    X, y, info = single_channel
    pipeline = SPECS[name].build(info).set_params(**FAST).fit(X, y)
    proba = pipeline.predict_proba(X[:7])
    assert proba.shape == (7, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(pipeline.predict(X)) <= {0, 1}
    assert _net(pipeline).macs_ > 0


@pytest.fixture(scope="module")
def tiny(small):
    """A cheap 8-channel, 2-s version of the small set."""
    X, y, info = small
    return X[:, 8:16, :256], y, info


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_model_other_seed_other_weights(name, tiny):
    X, y, info = tiny
    params = {"net__max_epochs": 2, "net__n_threads": 1}
    fits = [SPECS[name].build(info).set_params(**params, net__random_state=seed).fit(X, y)
            for seed in (3, 3, 4)]
    first, again, other = (_net(fit) for fit in fits)
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    assert [h["train_loss"] for h in first.history_] == [h["train_loss"] for h in again.history_]
    state, other_state = first.module_.state_dict(), other.module_.state_dict()
    # a pickled model (weights, rebuilt network) predicts the same
    restored = pickle.loads(pickle.dumps(fits[0]))
    np.testing.assert_array_equal(restored.predict_proba(X), fits[0].predict_proba(X))
    assert any(not torch.equal(state[key], other_state[key]) for key in state
               if state[key].is_floating_point())


def test_global_rng_untouched(tiny):
    X, y, info = tiny
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    SPECS["lstm"].build(info).set_params(net__max_epochs=1).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_early_stopping_restores_best_weights(small):
    X, y, info = small
    net = _net(SPECS["shallow-convnet"].build(info).set_params(
        net__max_epochs=12, net__valid_size=0.2, net__patience=3, net__lr=3e-3,
        net__n_threads=1).fit(X, y))
    losses = [record["valid_loss"] for record in net.history_]
    assert len(losses) == net.n_epochs_
    assert net.best_epoch_ == int(np.argmin(losses)) + 1
    # the validation rows are a stratified part of the data given to fit
    valid = net.valid_indices_
    assert len(valid) == round(0.2 * len(X)) and len(set(valid)) == len(valid)
    assert valid.min() >= 0 and valid.max() < len(X)
    assert np.bincount(y[valid]).tolist() == [4, 4]
    # the kept module reproduces the best validation loss
    Xs = torch.as_tensor(((X[valid] - net.mean_) / net.scale_).astype(np.float32))
    with torch.no_grad():
        loss = nn.functional.cross_entropy(net.module_.eval()(Xs), torch.as_tensor(y[valid]))
    assert float(loss) == pytest.approx(min(losses), rel=1e-5)


def test_standardisation_uses_training_data_only(small):
    X, y, info = small
    X_train, X_test = X[:30], X[30:] * 50 + 1e-3
    net = _net(SPECS["shallow-convnet"].build(info).set_params(net__max_epochs=1)
               .fit(X_train, y[:30]))
    np.testing.assert_allclose(net.mean_[:, 0], X_train.mean(axis=(0, 2)), rtol=1e-4,
                               atol=1e-9)
    np.testing.assert_allclose(net.scale_[:, 0], X_train.std(axis=(0, 2)), rtol=1e-4)
    before = net.mean_.copy()
    net.predict(X_test)
    np.testing.assert_array_equal(net.mean_, before)


def test_lr_schedule_option(tiny):
    X, y, info = tiny
    with pytest.raises(ValueError, match="lr_schedule"):
        DeepClassifier(model="lstm", lr_schedule="step").fit(X, y)
    net = DeepClassifier(model="lstm", sfreq=info.sfreq, max_epochs=2, lr_schedule="constant")
    assert net.fit(X, y).n_epochs_ == 2


def test_planted_effect_above_chance(strong):
    """ShallowConvNet finds the planted mu/beta ERD: the 11 fronto-centro-parietal channels
    around C3/C4 from 0.5 s after the cue (the ERD window), 10 epochs, held-out quarter."""
    central = [CHANNELS.index(name) for name in ("FC3", "FC4", "C5", "C3", "C1", "Cz", "C2",
                                                 "C4", "C6", "CP3", "CP4")]
    X = strong.X[:, central, int(ERD_ONSET * strong.info.sfreq):]
    X_train, X_test, y_train, y_test = train_test_split(
        X, strong.y, test_size=0.25, stratify=strong.y, random_state=0)
    pipeline = SPECS["shallow-convnet"].build(strong.info).set_params(net__max_epochs=10)
    score = pipeline.fit(X_train, y_train).score(X_test, y_test)
    assert score > 0.7, f"held-out accuracy {score:.2f} on a strong planted effect"


@pytest.mark.parametrize("name", list(MODULES))
def test_modules_build_on_short_inputs(name):
    for n_chans, n_times in [(1, 1), (1, 2), (2, 5), (3, 33)]:
        module = build_module(name, n_chans=n_chans, n_times=n_times, n_outputs=3, sfreq=128.0)
        assert module(torch.randn(2, n_chans, n_times)).shape == (2, 3)


def test_kernel_rescaling():
    assert deep4_min_times((10,) * 4, 3, 3) == 441  # braindecode's 250 Hz default
    assert deep4_min_times((5,) * 4, 3, 3) == 241
    deep = build_module("deep4", n_chans=24, n_times=384, n_outputs=2, sfreq=128.0)
    assert deep.conv_time_spat.conv_time.kernel_size[0] == 5 and deep.conv_4.kernel_size[0] == 5
    assert deep.pool.kernel_size[0] == 3
    eeg = build_module("eegnet", n_chans=24, n_times=384, n_outputs=2, sfreq=256.0)
    assert eeg.conv_temporal.kernel_size == (1, 128) and eeg.pool_1.kernel_size == (1, 8)
    assert build_module("lstm", n_chans=4, n_times=384, n_outputs=2,
                        sfreq=128.0).pool.kernel_size == (2,)


def test_recurrent_readouts_and_attention():
    net = RecurrentNet(3, 2, cell="bilstm", hidden_size=4, readout="last").eval()
    x = torch.randn(2, 3, 10)
    _, (hidden, _) = net.rnn(x.transpose(1, 2))
    # "last" for a bidirectional cell = both directions' final states
    expected = net.classifier(torch.cat([hidden[0], hidden[1]], dim=1))
    torch.testing.assert_close(net(x), expected)
    hybrid = build_module("cnn_lstm_attention", n_chans=3, n_times=64, n_outputs=2,
                          sfreq=128.0).eval()
    weights = hybrid.attention_weights(torch.randn(2, 3, 64))
    assert weights.shape == (2, 16)  # 64 samples pooled to 32 Hz (plus "same" padding)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(2))


def test_derived_classifiers_take_the_parent_parameters_amended():
    import inspect

    from sklearn.base import clone

    from neurocompare.pipelines.common.params import derived_params
    from neurocompare.pipelines.connectome.networks import NetClassifier
    from neurocompare.pipelines.spiking.networks import SpikingClassifier

    parent = set(inspect.signature(DeepClassifier.__init__).parameters) - {"self"}
    names = set(SpikingClassifier().get_params())
    assert names == parent - {"augmentation", "augmentation_probability"} | {"encoding",
                                                                             "time_steps"}
    assert SpikingClassifier().model == "snn_conv" and NetClassifier().standardize is False
    assert DeepClassifier().standardize is True  # the parent's default is untouched
    net = SpikingClassifier(encoding="rate", max_epochs=7)
    again = clone(net)
    assert again.get_params() == net.get_params() and again is not net
    assert "augmentation" not in vars(net)  # dropped: not an instance parameter
    assert repr(net) == "SpikingClassifier(encoding='rate', max_epochs=7)"
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        SpikingClassifier(augmentation="sign-flip")
    with pytest.raises(TypeError, match="has no parameters"):
        derived_params(DeepClassifier, drop=("nope",))


def test_networks_see_every_channel_group_traditional_steps_the_first():
    from neurocompare.pipelines.registry import make_pipeline
    from tests.test_traditional import synthetic_ssvep

    X, y, info = synthetic_ssvep()
    groups = info.extra["channel_groups"]
    n_group = len(next(iter(groups.values())))
    assert X.shape[1] == n_group * len(groups) > n_group
    for spec in DEEP_SPECS:
        picks = spec.build(info).named_steps["picks"].fit(X, y)
        assert picks.transform(X).shape[1] == X.shape[1], spec.name
    generic = make_pipeline("bandpower-lda", info).named_steps["picks"].fit(X, y)
    np.testing.assert_array_equal(generic.transform(X), X[:, :n_group])
