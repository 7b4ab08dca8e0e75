"""PhysionetMI acceptance test: a small PhysioNet-layout folder written by our own writer."""

from __future__ import annotations

import re

import mne
import numpy as np
import pytest

from neurocompare._errors import InputError
from neurocompare.data.physionet import (
    PhysionetMI,
    physionet_channel_name,
    physionet_path,
    write_physionet_edf,
)

SFREQ = 160.0
CHANNELS = ["FC5", "FCz", "C3", "Cz", "C4", "Fp1"]
DOTTED = ["Fc5.", "Fcz.", "C3..", "Cz..", "C4..", "Fp1."]
#: per (subject, run): the T1/T2 order planted between T0 rest periods
PLANTED = {
    (1, 4): ["T1", "T2", "T2", "T1"],
    (1, 8): ["T2", "T1", "T1", "T2"],
    (2, 4): ["T2", "T2", "T1", "T1"],
    (2, 8): ["T1", "T1", "T2", "T2"],
}
CUE, REST = 4.0, 4.0  # seconds of cue and of rest, as in PhysioNet's runs (4.1 s / 4.2 s)


def annotations(cues: list[str]) -> list[tuple[float, float, str]]:
    items, t = [], 0.0
    for cue in cues:
        items += [(t, REST, "T0"), (t + REST, CUE, cue)]
        t += REST + CUE
    return [*items, (t, REST, "T0")]


@pytest.fixture(scope="module")
def physionet_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("eegbci")
    rng = np.random.default_rng(42)
    for (subject, run), cues in PLANTED.items():
        n_times = int((len(cues) * (CUE + REST) + REST + 1) * SFREQ)
        data = rng.standard_normal((len(CHANNELS), n_times)) * 2e-5
        write_physionet_edf(physionet_path(root, subject, run), data, SFREQ, CHANNELS,
                            annotations(cues))
    return root


def test_written_file_has_physionet_names(physionet_root):
    raw = mne.io.read_raw_edf(physionet_path(physionet_root, 1, 4), verbose="error")
    assert raw.ch_names == DOTTED
    assert raw.info["sfreq"] == SFREQ
    assert list(raw.annotations.description[:4]) == ["T0", "T1", "T0", "T2"]


def test_acceptance_labels_channels_shapes(physionet_root):
    ds = PhysionetMI(root=physionet_root, task="imagery_hands")
    assert ds.subjects() == [1, 2]
    data = ds.load()
    assert data.info.class_names == ("left_hand", "right_hand")
    assert data.info.ch_names == ("FC5", "FCz", "C3", "Cz", "C4", "Fp1")
    assert data.info.montage == "colin27_1005"
    assert data.info.sfreq == SFREQ
    assert data.X.shape == (16, 6, int(3 * SFREQ) + 1)
    planted = {"T1": "left_hand", "T2": "right_hand"}
    expected = [planted[c] for key in sorted(PLANTED) for c in PLANTED[key]]
    assert [data.info.class_names[c] for c in data.y] == expected
    meta = data.metadata
    assert meta["subject"].tolist() == [1] * 8 + [2] * 8
    assert meta["run"].tolist() == (["4"] * 4 + ["8"] * 4) * 2
    assert set(meta["session"]) == {"0"}
    np.testing.assert_allclose(meta["onset"][:4], [4.0, 12.0, 20.0, 28.0], atol=1 / SFREQ)
    assert meta["recording"].iloc[0] == "S001R04.edf"
    assert [p.name for p in ds.files(1)] == ["S001R04.edf", "S001R08.edf"]


def test_rest_and_hands_feet_names(physionet_root):
    data = PhysionetMI(root=physionet_root, include_rest=True, tmax=2.0).load_subject(1)
    assert data.info.class_names == ("left_hand", "right_hand", "rest")
    assert np.bincount(data.y).tolist() == [4, 4, 10]
    # runs 4/8 hold no hands/feet runs (6/10/14): a clear error, naming the folder
    with pytest.raises(InputError, match="S001") as info:
        PhysionetMI(root=physionet_root, task="imagery_hands_feet").load_subject(1)
    assert "S001R06.edf" in str(info.value)


def test_bad_parameters(physionet_root):
    with pytest.raises(InputError, match="task"):
        PhysionetMI(root=physionet_root, task="imagery").load_subject(1)
    with pytest.raises(InputError, match="runs"):
        PhysionetMI(root=physionet_root, runs=(4, 6)).load_subject(1)
    with pytest.raises(InputError, match=re.escape("S001R12.edf")):
        PhysionetMI(root=physionet_root, runs=(4, 12)).load_subject(1)
    with pytest.raises(InputError, match="root"):
        PhysionetMI(root=physionet_root / "absent").subjects()
    assert PhysionetMI(root=physionet_root, runs=(8,)).load_subject(2).X.shape[0] == 4


def test_writer_checks(tmp_path):
    assert physionet_channel_name("FCz") == "Fcz."
    assert physionet_channel_name("T10") == "T10."
    assert physionet_channel_name("C3..") == "C3.."
    with pytest.raises(InputError, match="data"):
        write_physionet_edf(tmp_path / "x.edf", np.zeros((2, 10)), SFREQ, CHANNELS, [])
    with pytest.raises(InputError, match="path"):
        write_physionet_edf(tmp_path / "x.fif", np.zeros((6, 10)), SFREQ, CHANNELS, [])
