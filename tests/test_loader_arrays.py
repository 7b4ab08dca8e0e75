"""ArrayDataset: in-memory arrays and mne.Epochs."""

from __future__ import annotations

import mne
import numpy as np
import pandas as pd
import pytest

from neurocompare._errors import InputError
from neurocompare.data.arrays import ArrayDataset


def arrays(n_trials=12, n_channels=4, n_times=50, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_trials, n_channels, n_times))


def test_defaults_one_subject():
    X = arrays()
    y = ["right", "left", "rest"] * 4
    ds = ArrayDataset(X, y, sfreq=100.0)
    assert ds.subjects() == [1]
    data = ds.load_subject(1)
    assert data.info.class_names == ("left", "rest", "right")
    assert data.y.tolist() == [2, 0, 1] * 4
    assert data.info.ch_names == ("ch0", "ch1", "ch2", "ch3")
    assert data.metadata[["subject", "session", "run"]].iloc[0].tolist() == [1, "0", "0"]
    np.testing.assert_array_equal(data.X, X)


def test_subjects_from_metadata_and_numeric_labels():
    X = arrays()
    y = np.array([10, 2] * 6)
    metadata = pd.DataFrame({"subject": ["b"] * 6 + ["a"] * 6, "run": [1, 2] * 6})
    ds = ArrayDataset(X, y, sfreq=128.0, ch_names=["C3", "Cz", "C4", "Pz"],
                      metadata=metadata, montage="colin27_1005")
    assert ds.subjects() == ["a", "b"]
    a = ds.load_subject("a")
    assert a.info.class_names == ("2", "10")  # numeric order, not text order
    assert a.y.tolist() == [1, 0] * 3
    np.testing.assert_array_equal(a.X, X[6:])
    assert a.metadata["run"].tolist() == ["1", "2"] * 3
    assert set(a.metadata["session"]) == {"0"}
    both = ds.load()
    assert len(both) == 12 and both.info.montage == "colin27_1005"


def test_given_class_names_and_fingerprint():
    X = arrays()
    y = ["b", "a"] * 6
    ds = ArrayDataset(X, y, sfreq=100.0, class_names=["b", "a"])
    assert ds.load_subject(1).y.tolist() == [0, 1] * 6
    other = ArrayDataset(X + 1.0, y, sfreq=100.0, class_names=["b", "a"])
    assert ds.fingerprint() != other.fingerprint()
    same = ArrayDataset(X.copy(), list(y), sfreq=100.0, class_names=["b", "a"])
    assert ds.fingerprint() == same.fingerprint()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"X": np.zeros((4, 10))}, "X"),
        ({"y": [0, 1, 0]}, "y"),
        ({"sfreq": 0.0}, "sfreq"),
        ({"ch_names": ["a", "b"]}, "ch_names"),
        ({"metadata": pd.DataFrame({"subject": [1, 2]})}, "metadata"),
        ({"class_names": ["0", "2"]}, "y: labels"),
        ({"X": np.full((4, 3, 10), np.nan)}, "X"),
        ({"montage": "colin27"}, "montage"),
    ],
)
def test_bad_inputs_name_the_parameter(kwargs, name):
    params = {"X": arrays(4, 3, 10), "y": [0, 1, 0, 1], "sfreq": 100.0, **kwargs}
    with pytest.raises(InputError, match=name):
        ArrayDataset(**params).load_subject(1)


def test_from_epochs():
    rng = np.random.default_rng(3)
    info = mne.create_info(["C3", "Cz", "C4", "EOG"], 100.0, ["eeg", "eeg", "eeg", "eog"])
    raw = mne.io.RawArray(rng.standard_normal((4, 2000)) * 1e-5, info, verbose="error")
    events = np.array([[100 + 150 * i, 0, 1 + i % 2] for i in range(10)])
    epochs = mne.Epochs(raw, events, {"left": 1, "right": 2}, tmin=-0.2, tmax=1.0,
                        baseline=None, preload=True, verbose="error")
    ds = ArrayDataset.from_epochs(epochs, subject="s1", session="2", picks="eeg",
                                  montage="colin27_1005")
    data = ds.load_subject("s1")
    assert data.X.shape == (10, 3, 121)
    assert data.info.class_names == ("left", "right")
    assert data.y.tolist() == [0, 1] * 5
    assert data.info.tmin == pytest.approx(-0.2)
    assert data.info.units == "V" and data.info.ch_types == "eeg"
    np.testing.assert_allclose(data.metadata["onset"], events[:, 0] / 100.0)
    assert data.metadata["session"].iloc[0] == "2"
    with pytest.raises(InputError, match="epochs"):
        ArrayDataset.from_epochs(np.zeros((2, 2, 2)))
