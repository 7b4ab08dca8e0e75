import numpy as np
import pandas as pd
import pytest

from neurocompare import InputError
from neurocompare.data.containers import NeuralData, SignalInfo, concat_data, validate_data


def _data(n=6, kind="epochs", rng=None):
    rng = rng or np.random.default_rng(0)
    meta = pd.DataFrame({"subject": 1, "session": "0", "run": "0", "trial": range(n)})
    info = SignalInfo(kind=kind, class_names=("a", "b"), sfreq=100.0, ch_names=("C3", "C4"))
    return NeuralData(rng.standard_normal((n, 2, 50)), np.arange(n) % 2, meta, info)


def test_valid_epochs_round_trip_subset_and_concat():
    data = validate_data(_data())
    sub = data.subset([0, 2, 4])
    assert sub.X.shape == (3, 2, 50) and list(sub.metadata["trial"]) == [0, 2, 4]
    both = concat_data([data, sub])
    assert len(both) == 9 and both.metadata.index.tolist() == list(range(9))
    np.testing.assert_array_equal(both.X[6:], sub.X)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.metadata.drop(columns="session"), "missing ['session']"),
    (lambda d: d.metadata.iloc[:3], "equal length"),
])
def test_metadata_errors(change, message):
    data = _data()
    data.metadata = change(data)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_data(data, source="demo")


def test_sample_errors_name_the_source():
    data = _data()
    data.X[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="demo: X: expected finite"):
        validate_data(data, source="demo")
    data = _data()
    data.X = data.X[:, 0]
    with pytest.raises(InputError, match=r"n_trials, n_channels, n_times"):
        validate_data(data)
    data = _data()
    data.y = data.y + 1
    with pytest.raises(InputError, match=r"codes in 0..1"):
        validate_data(data)


def test_other_kinds():
    rng = np.random.default_rng(1)
    meta = pd.DataFrame({"subject": ["s1", "s2"], "session": "0", "run": "0"})
    series = np.empty(2, dtype=object)
    series[:] = [rng.standard_normal((100, 5)), rng.standard_normal((80, 5))]
    ts = NeuralData(series, np.array([0, 1]), meta,
                    SignalInfo(kind="timeseries", class_names=("asd", "control"), sfreq=0.5))
    validate_data(ts)
    series[1] = rng.standard_normal((80, 4))
    with pytest.raises(InputError, match="one n_rois"):
        validate_data(ts)
    mols = NeuralData(np.array(["CCO", "c1ccccc1"], dtype=object), np.array([0.5, -1.0]), meta,
                      SignalInfo(kind="molecules", task="regression"))
    validate_data(mols)
    tab = NeuralData(rng.standard_normal((2, 3)), np.array([0, 1]), meta,
                     SignalInfo(kind="tabular", class_names=("no", "yes")))
    validate_data(tab)
    assert concat_data([mols, mols]).X.dtype == object
