"""The embedded default: deterministic, per-subject loadable, and carrying its planted effect."""

import numpy as np
import pytest

from neurocompare import InputError
from neurocompare.data.simulated import CHANNELS, SimulatedMotorImagery
from neurocompare.pipelines.eeg.features import band_power


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
