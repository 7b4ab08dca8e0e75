"""MOABBDataset on MOABB's FakeDataset (generated in memory, no network)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from neurocompare._errors import InputError
from neurocompare.data.moabb_adapter import MOABBDataset

pytest.importorskip("moabb")
from moabb.datasets.fake import FakeDataset
from moabb.paradigms import MotorImagery

# FakeDataset builds its montage with the deprecated name; not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Montage name 'standard_1005' is deprecated:FutureWarning")


def fake(paradigm="imagery", events=("right_hand", "left_hand"), **kwargs):
    options = {"n_subjects": 2, "n_sessions": 2, "n_runs": 2, "duration": 40, "n_events": 8,
               "seed": 7, "channels": ("C3", "Cz", "C4")}
    return FakeDataset(event_list=events, paradigm=paradigm, **{**options, **kwargs})


def test_motor_imagery_shapes_labels_metadata():
    ds = MOABBDataset(fake(), resample=64.0, fmin=8.0, fmax=30.0)
    assert ds.subjects() == [1, 2]
    data = ds.load_subject(2)
    assert data.X.shape == (32, 3, 3 * 64)  # 2 sessions x 2 runs x 8 events; [0, 3) s
    assert data.info.class_names == ("left_hand", "right_hand")
    assert data.info.ch_names == ("C3", "Cz", "C4")
    assert data.info.sfreq == 64.0
    assert data.info.units == "uV"
    assert data.info.montage == "colin27_1005"
    # FakeDataset alternates its events in event_list order: right, left, right, ...
    assert data.y.tolist() == [1, 0] * 16
    meta = data.metadata
    assert (meta["subject"] == 2).all()
    assert meta["session"].tolist() == ["0"] * 16 + ["1"] * 16
    assert meta["run"].tolist() == (["0"] * 8 + ["1"] * 8) * 2
    assert meta["trial"].tolist() == list(range(8)) * 4
    assert meta["label"].iloc[0] == "right_hand"
    assert 1.0 < data.X.std() < 100.0  # microvolts


def test_matches_moabb_array_output():
    dataset = fake()
    ds = MOABBDataset(dataset, tmin=0.5, tmax=2.5)
    data = ds.load_subject(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        X, labels, _ = MotorImagery(tmin=0.5, tmax=2.5).get_data(dataset, subjects=[1])
    np.testing.assert_allclose(data.X, X)
    assert [data.info.class_names[c] for c in data.y] == list(labels)
    assert data.info.tmin == pytest.approx(0.5)


def test_p300_auto_paradigm_and_events():
    ds = MOABBDataset(fake("p300", events=("Target", "NonTarget")), resample=32.0)
    data = ds.load_subject(1)
    assert data.info.class_names == ("NonTarget", "Target")  # Target is the positive class
    assert data.info.extra["paradigm"] == "P300"
    assert set(data.y.tolist()) == {0, 1}
    three = fake(events=("left_hand", "right_hand", "feet"))
    data = MOABBDataset(three, events=("left_hand", "feet")).load_subject(1)
    assert data.info.class_names == ("feet", "left_hand")
    # 8 events per run cycle left, right, feet: 3 left + 2 feet kept, in 2 x 2 runs
    assert np.bincount(data.y).tolist() == [2 * 4, 3 * 4]


def test_unknown_dataset_lists_close_names():
    with pytest.raises(InputError, match="dataset") as info:
        MOABBDataset("BNCI2014_00").subjects()
    assert "BNCI2014_001" in str(info.value)
    with pytest.raises(InputError, match="dataset"):
        MOABBDataset(3.5).subjects()


def test_bad_paradigm():
    with pytest.raises(InputError, match="paradigm"):
        MOABBDataset(fake(), paradigm="erp").load_subject(1)
    with pytest.raises(InputError, match="paradigm") as info:
        MOABBDataset(fake(), paradigm="p300").load_subject(1)
    assert "imagery" in str(info.value)
    with pytest.raises(InputError, match="subject"):
        MOABBDataset(fake()).load_subject(5)
