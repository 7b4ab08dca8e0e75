"""BIDSEEG: a tiny BIDS dataset written with mne-bids from simulated recordings."""

from __future__ import annotations

import re

import mne
import numpy as np
import pytest
from mne_bids import BIDSPath, write_raw_bids

from neurocompare._errors import InputError
from neurocompare.data.bids import BIDSEEG

CHANNELS = ["C3", "Cz", "C4"]
SFREQ = 100.0
ONSETS = [1.0, 4.0, 7.0, 10.0]
TRIALS = {"1": ["left", "right", "left", "right"], "2": ["right", "right", "left", "left"]}
EVENT_ID = {"left_hand": "left", "right_hand": "right"}


def make_raw(seed: int, labels: list[str], sfreq: float = SFREQ) -> mne.io.RawArray:
    rng = np.random.default_rng(seed)
    info = mne.create_info(CHANNELS, sfreq, "eeg")
    info["line_freq"] = 50.0
    raw = mne.io.RawArray(rng.standard_normal((3, int(14 * sfreq))) * 1e-5, info,
                          verbose="error")
    raw.set_annotations(mne.Annotations(ONSETS, [1.0] * 4, labels))
    return raw


def write(root, subject, run, raw, *, fmt="EDF", task="mi", session="a"):
    path = BIDSPath(subject=subject, session=session, task=task, run=run, datatype="eeg",
                    root=root)
    write_raw_bids(raw, path, allow_preload=True, format=fmt, overwrite=True, verbose=False)
    return path


@pytest.fixture(scope="module")
def bids_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("bids")
    for i, subject in enumerate(["01", "02"]):
        for j, (run, labels) in enumerate(TRIALS.items()):
            fmt = "EDF" if subject == "01" else "BrainVision"
            write(root, subject, run, make_raw(10 * i + j, labels), fmt=fmt)
    return root


def test_load_subjects_sessions_runs(bids_root):
    ds = BIDSEEG(bids_root, EVENT_ID, tmin=0.0, tmax=1.0)
    assert ds.subjects() == ["01", "02"]
    for subject in ("01", "02"):
        data = ds.load_subject(subject)
        assert data.X.shape == (8, 3, 101)
        assert data.info.class_names == ("left_hand", "right_hand")
        assert data.info.ch_names == tuple(CHANNELS)
        names = {"left": "left_hand", "right": "right_hand"}
        expected = [names[label] for labels in TRIALS.values() for label in labels]
        assert [data.info.class_names[c] for c in data.y] == expected
        assert data.metadata["run"].tolist() == ["1"] * 4 + ["2"] * 4
        assert set(data.metadata["session"]) == {"a"}
        np.testing.assert_allclose(data.metadata["onset"], ONSETS * 2, atol=0.01)
    names = [p.name for p in ds.files("01")]
    assert "sub-01_ses-a_task-mi_run-1_eeg.edf" in names
    assert "sub-01_ses-a_task-mi_run-1_events.tsv" in names
    assert ds.load().X.shape == (16, 3, 101)


def test_resample_and_filter(bids_root):
    data = BIDSEEG(bids_root, EVENT_ID, task="mi", tmax=1.0, l_freq=1.0, h_freq=30.0,
                   resample=50.0).load_subject("01")
    assert data.X.shape == (8, 3, 51)
    assert data.info.sfreq == 50.0


def test_bad_inputs(bids_root, tmp_path):
    with pytest.raises(InputError, match="task") as info:
        BIDSEEG(bids_root, EVENT_ID, task="rest").subjects()
    assert "mi" in str(info.value)
    with pytest.raises(InputError, match=re.escape("sub-01_ses-a_task-mi_run-1_eeg.edf")) as info:
        BIDSEEG(bids_root, {"up": "up", "down": "down"}).load_subject("01")
    assert "left" in str(info.value)
    with pytest.raises(InputError, match="root"):
        BIDSEEG(tmp_path / "absent", EVENT_ID).subjects()


def test_several_tasks_need_task(tmp_path):
    write(tmp_path, "01", "1", make_raw(0, TRIALS["1"]), task="mi")
    write(tmp_path, "01", "1", make_raw(1, TRIALS["2"]), task="me")
    with pytest.raises(InputError, match="task"):
        BIDSEEG(tmp_path, EVENT_ID).subjects()
    data = BIDSEEG(tmp_path, EVENT_ID, task="me", tmax=0.5).load_subject("01")
    assert data.metadata["recording"].iloc[0] == "sub-01_ses-a_task-me_run-1_eeg.edf"
    names = {"left": 0, "right": 1}
    assert data.y.tolist() == [names[label] for label in TRIALS["2"]]


def test_mixed_rates_name_the_file(tmp_path):
    write(tmp_path, "01", "1", make_raw(0, TRIALS["1"]))
    path = write(tmp_path, "01", "2", make_raw(1, TRIALS["2"], sfreq=200.0))
    with pytest.raises(InputError, match=re.escape(path.basename)):
        BIDSEEG(tmp_path, EVENT_ID, tmax=1.0).load_subject("01")
    data = BIDSEEG(tmp_path, EVENT_ID, tmax=1.0, resample=100.0).load_subject("01")
    assert data.X.shape == (8, 3, 101)
