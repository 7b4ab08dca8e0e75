"""The embedded default: deterministic, per-subject loadable, and carrying its planted effect."""

import numpy as np
import pytest
from scipy.stats import binom
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import StratifiedKFold, cross_val_score

from neurocompare import InputError
from neurocompare.data.simulated import CHANNELS, WAVEFORM, SimulatedMotorImagery
from neurocompare.data.waveforms import chirp_templates
from neurocompare.pipelines.eeg.features import CANONICAL_BANDS, band_power
from neurocompare.pipelines.eeg.filters import bandpass
from neurocompare.pipelines.registry import make_pipeline


def test_shapes_metadata_and_ground_truth(small_sim):
    data = small_sim.load_subject(1)
    assert data.X.shape == (80, len(CHANNELS), 384)
    assert data.info.class_names == ("left_hand", "right_hand")
    assert np.bincount(data.y).tolist() == [40, 40]
    assert set(data.metadata["session"]) == {"0", "1"}
    truth = data.info.ground_truth
    assert truth["channels"] == ["C3", "C4"]
    assert truth["effect_sizes"] == {1: 0.6, 2: 0.0}
    weights = truth["channel_weights"]
    assert weights["C3"] == weights["C4"] == 1.0 and weights["Fp1"] < 0.01
    assert 5e-6 < data.X.std() < 5e-5  # tens of microvolts, in volts


def test_deterministic_and_subjects_independent(small_sim):
    a = small_sim.load_subject(2)
    b = SimulatedMotorImagery(n_subjects=2, n_trials_per_class=20, effects=(0.6, 0.0)
                              ).load_subject(2)
    np.testing.assert_array_equal(a.X, b.X)
    whole = small_sim.load()
    np.testing.assert_array_equal(whole.X[whole.metadata["subject"].to_numpy() == 2], a.X)
    other_seed = SimulatedMotorImagery(n_subjects=2, n_trials_per_class=20, seed=7)
    assert not np.allclose(other_seed.load_subject(2).X, a.X)


def _mu_log_power(data, channel):
    power = band_power(data.X[:, [CHANNELS.index(channel)]], data.info.sfreq,
                       {"mu": (8.0, 13.0)})
    return np.log(power[:, 0, 0])


def test_planted_erd_is_contralateral_and_scales_with_effect(small_sim):
    strong, null = small_sim.load_subject(1), small_sim.load_subject(2)
    left, right = strong.y == 0, strong.y == 1
    # imagining the right hand desynchronises the left cortex (C3), and vice versa
    c3, c4 = _mu_log_power(strong, "C3"), _mu_log_power(strong, "C4")
    assert c3[right].mean() < c3[left].mean() - 0.5
    assert c4[left].mean() < c4[right].mean() - 0.5
    # the parieto-occipital alpha distractor carries no class information
    poz = _mu_log_power(strong, "POz")
    assert abs(poz[left].mean() - poz[right].mean()) < 0.3
    c3n = _mu_log_power(null, "C3")
    assert abs(c3n[null.y == 1].mean() - c3n[null.y == 0].mean()) < 0.3


def test_bad_parameters_are_named():
    with pytest.raises(InputError, match="effects"):
        SimulatedMotorImagery(effects=(1.5,)).subjects()
    with pytest.raises(InputError, match="n_trials_per_class"):
        SimulatedMotorImagery(n_trials_per_class=0).subjects()
    with pytest.raises(InputError, match="subject"):
        SimulatedMotorImagery(n_subjects=2).load_subject(3)


# -- scenarios -------------------------------------------------------------------------------
TRADITIONAL_BLIND = ("bandpower-lda", "csp-lda", "ts-lr", "mvpa-lr")


def _cv_accuracy(label, data):
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(make_pipeline(label, data.info), data.X, data.y, cv=cv).mean()


@pytest.fixture(scope="module")
def waveform_data():
    return SimulatedMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=100,
                                 scenario="waveform").load_subject(1)


def test_erd_default_keeps_fingerprint_and_data():
    # literals from the simulator before the scenario parameter existed: stored result keys
    # contain the fingerprint, so these must never change
    assert SimulatedMotorImagery().fingerprint() == "c5aa24c6e10c"
    assert SimulatedMotorImagery(n_subjects=2).fingerprint() == "b0b77999830e"
    small = SimulatedMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=5)
    explicit = SimulatedMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=5,
                                     scenario="erd")
    assert small.fingerprint() == explicit.fingerprint() == "9c0360c8c16d"
    data = small.load_subject(1)
    np.testing.assert_array_equal(explicit.load_subject(1).X, data.X)
    assert data.y.tolist() == [0, 1, 0, 0, 0, 1, 1, 1, 1, 0]
    np.testing.assert_allclose(np.abs(data.X).sum(), 0.7390697819924466, rtol=1e-9)
    np.testing.assert_allclose(data.X[0, 0, :3], [-1.7868880465671312e-06,
                                                  -2.7625680511145505e-06,
                                                  -1.5283359397314086e-06], rtol=1e-9)
    others = {SimulatedMotorImagery(scenario=s).fingerprint() for s in ("waveform", "null")}
    assert len(others) == 2 and "c5aa24c6e10c" not in others


def test_runs_split_each_session_without_changing_data_or_keys():
    small = dict(n_subjects=1, n_sessions=2, n_trials_per_class=6)
    one, three = SimulatedMotorImagery(**small), SimulatedMotorImagery(**small, n_runs=3)
    assert SimulatedMotorImagery(n_runs=1).fingerprint() == "c5aa24c6e10c"
    assert three.fingerprint() != one.fingerprint()
    a, b = one.load_subject(1), three.load_subject(1)
    np.testing.assert_array_equal(a.X, b.X)
    assert set(a.metadata["run"]) == {"0"}
    runs = b.metadata.groupby("session")["run"].apply(list)
    assert runs.tolist() == [["0"] * 4 + ["1"] * 4 + ["2"] * 4] * 2  # consecutive blocks
    with pytest.raises(InputError, match="n_runs"):
        SimulatedMotorImagery(**small, n_runs=13).subjects()
    with pytest.raises(InputError, match="n_runs"):
        SimulatedMotorImagery(n_runs=0).subjects()


def test_bad_scenario_and_short_waveform_epochs_are_named():
    with pytest.raises(InputError, match=r"scenario.*'erd', 'waveform', 'null'"):
        SimulatedMotorImagery(scenario="erp").subjects()
    with pytest.raises(InputError, match="duration"):
        SimulatedMotorImagery(scenario="waveform", duration=1.5).subjects()


def test_waveform_templates_share_amplitude_spectrum_and_autocorrelation():
    rising, falling = chirp_templates(128.0, WAVEFORM["length"], WAVEFORM["f_start"],
                                      WAVEFORM["f_stop"])
    assert np.abs(rising - falling).max() > 0.5  # different shapes ...
    # ... same zero-padded amplitude spectrum, i.e. the same linear autocorrelation
    n = 4 * rising.size
    np.testing.assert_allclose(np.abs(np.fft.rfft(rising, n)), np.abs(np.fft.rfft(falling, n)),
                               atol=1e-9)
    np.testing.assert_allclose(np.correlate(rising, rising, "full"),
                               np.correlate(falling, falling, "full"), atol=1e-9)


def test_null_and_waveform_share_the_background():
    params = {"n_subjects": 1, "n_sessions": 1, "n_trials_per_class": 10}
    null = SimulatedMotorImagery(scenario="null", **params).load_subject(1)
    no_erd = SimulatedMotorImagery(effects=(0.0,), **params).load_subject(1)
    np.testing.assert_array_equal(null.X, no_erd.X)
    assert (null.metadata["effect_size"] == 0.0).all()
    wave = SimulatedMotorImagery(scenario="waveform", **params).load_subject(1)
    added = np.abs(wave.X - null.X).mean(axis=(0, 2))
    assert CHANNELS[int(np.argmax(added))] == "Cz"
    truth = wave.info.ground_truth
    assert truth["channels"] == ["Cz"] and truth["informative_bands"] == []
    assert null.info.ground_truth["channels"] == null.info.ground_truth["informative_bands"] == []


def test_waveform_class_statistics_match(waveform_data):
    data = waveform_data
    power = np.log(band_power(data.X, data.info.sfreq, CANONICAL_BANDS)).reshape(len(data.y), -1)
    a, b = power[data.y == 0], power[data.y == 1]
    standardised = np.abs(a.mean(0) - b.mean(0)) / np.sqrt((a.var(0) + b.var(0)) / 2)
    # sampling sd of one standardised difference is sqrt(2 / 100) = 0.14; max over 120
    # features of pure noise is about 0.4 (the ERD scenario gives about 2)
    assert standardised.max() < 0.6
    X = bandpass(data.X, data.info.sfreq, 8.0, 30.0)
    cov = np.einsum("nct,ndt->ncd", X, X)
    gap = np.linalg.norm(cov[data.y == 0].mean(0) - cov[data.y == 1].mean(0))
    assert gap / np.linalg.norm(cov.mean(0)) < 0.25  # label shuffles give ~0.1, ERD ~0.8


def test_waveform_is_invisible_to_traditional_features_but_present(waveform_data):
    data = waveform_data
    for label in TRADITIONAL_BLIND:
        assert _cv_accuracy(label, data) < 0.62, label
    # a matched filter (peak absolute correlation with each class template over lags) on
    # the transient's spatial pattern finds the class
    weights = data.info.ground_truth["channel_weights"]
    source = np.einsum("c,nct->nt", np.array([weights[ch] for ch in CHANNELS]), data.X)
    templates = chirp_templates(data.info.sfreq, WAVEFORM["length"], WAVEFORM["f_start"],
                                WAVEFORM["f_stop"])
    features = np.log([[np.abs(np.correlate(trial, t, "valid")).max() for t in templates]
                       for trial in source])
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    assert cross_val_score(LinearDiscriminantAnalysis(), features, data.y, cv=cv).mean() > 0.85


def test_null_scenario_is_at_chance_for_traditional_pipelines():
    data = SimulatedMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=100,
                                 scenario="null").load_subject(1)
    # one-sided: under no information an accuracy above the 99.9 % binomial quantile would
    # be a leak; cross-validation under the null is often *below* 0.5 (class balance of the
    # training fold is anti-correlated with that of the test fold)
    bound = binom.ppf(0.999, len(data.y), 0.5) / len(data.y)
    for label in (*TRADITIONAL_BLIND, "bandpower-lr", "mdm"):
        assert _cv_accuracy(label, data) <= bound, label
