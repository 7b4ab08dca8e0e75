"""EEGFiles: FIF/EDF/BrainVision folders by pattern, checks that name the file at fault."""

from __future__ import annotations

import re
from pathlib import Path

import mne
import numpy as np
import pytest

from neurocompare._errors import InputError
from neurocompare.data.files import EEGFiles, parse_pattern

CHANNELS = ["C3", "Cz", "C4", "Pz"]
ONSETS = [1.0, 3.0, 5.0, 7.0, 9.0, 11.0]
LABELS = ["left", "right", "right", "left", "left", "right"]
EVENT_ID = {"left": "left", "right": "right"}
SFREQ = 100.0
DURATION = 14.0


def make_raw(seed: int, *, sfreq: float = SFREQ, channels: list[str] | None = None,
             annotate: bool = True, stim: bool = False) -> mne.io.RawArray:
    """A short 4-channel recording with six left/right events."""
    rng = np.random.default_rng(seed)
    channels = list(channels or CHANNELS)
    n = int(DURATION * sfreq)
    data = rng.standard_normal((len(channels), n)) * 1e-5
    types = ["eeg"] * len(channels)
    if stim:
        trigger = np.zeros((1, n))
        for onset, label in zip(ONSETS, LABELS, strict=True):
            trigger[0, int(onset * sfreq)] = 1 if label == "left" else 2
        data = np.vstack([data, trigger])
        channels, types = [*channels, "STI"], [*types, "stim"]
    raw = mne.io.RawArray(data, mne.create_info(channels, sfreq, types), verbose="error")
    if annotate:
        raw.set_annotations(mne.Annotations(ONSETS, [1.0] * len(ONSETS), LABELS))
    return raw


def write(raw: mne.io.BaseRaw, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".fif":
        raw.save(path, overwrite=True, verbose="error")
    else:
        fmt = {".edf": "edf", ".vhdr": "brainvision"}[path.suffix]
        mne.export.export_raw(path, raw, fmt=fmt, overwrite=True, verbose="error")
    return path


def build(root: Path, ext: str, subjects=("01", "02"), sessions=("a", "b"), runs=("1",),
          **kwargs) -> list[Path]:
    paths = []
    for i, (sub, ses, run) in enumerate((s, e, r) for s in subjects for e in sessions
                                        for r in runs):
        paths.append(write(make_raw(i, **kwargs), root / f"sub-{sub}" / f"ses-{ses}"
                           / f"run-{run}{ext}"))
    return paths


PATTERN = "sub-{subject}/ses-{session}/run-{run}"


@pytest.mark.parametrize("ext", [".fif", ".edf", ".vhdr"])
def test_annotations_by_pattern(tmp_path, ext):
    build(tmp_path, ext)
    ds = EEGFiles(tmp_path, PATTERN + ext, EVENT_ID, tmin=0.0, tmax=1.0)
    assert ds.subjects() == ["01", "02"]
    data = ds.load_subject("01")
    assert data.X.shape == (12, 4, 101)
    assert data.info.class_names == ("left", "right")
    assert data.info.ch_names == tuple(CHANNELS)
    assert data.info.sfreq == SFREQ
    expected = [0 if label == "left" else 1 for label in LABELS] * 2
    assert data.y.tolist() == expected
    meta = data.metadata
    assert meta["session"].tolist() == ["a"] * 6 + ["b"] * 6
    assert set(meta["run"]) == {"1"}
    assert meta["recording"].tolist() == [f"run-1{ext}"] * 12
    np.testing.assert_allclose(meta["onset"], ONSETS * 2, atol=1e-2)
    assert len(ds.files("01")) == (2 if ext != ".vhdr" else 6)
    both = ds.load()
    assert len(both) == 24 and set(both.metadata["subject"]) == {"01", "02"}


def test_values_survive_fif_round_trip(tmp_path):
    raw = make_raw(0)
    write(raw, tmp_path / "sub-1" / "run-1.fif")
    data = EEGFiles(tmp_path, "sub-{subject}/run-{run}.fif", EVENT_ID, tmin=0.0,
                    tmax=0.5).load_subject("1")
    start = int(ONSETS[0] * SFREQ)
    np.testing.assert_allclose(data.X[0], raw.get_data()[:, start:start + 51], rtol=1e-6)


def test_stim_channel_and_event_file(tmp_path):
    write(make_raw(0, annotate=False, stim=True), tmp_path / "stim" / "sub-1" / "run-1.fif")
    ds = EEGFiles(tmp_path / "stim", "sub-{subject}/run-{run}.fif", {"left": 1, "right": 2},
                  tmin=0.0, tmax=1.0, stim_channel="STI")
    data = ds.load_subject("1")
    assert data.X.shape == (6, 4, 101)  # the stim channel is not kept
    assert [data.info.class_names[c] for c in data.y] == LABELS

    raw = make_raw(1, annotate=False)
    folder = tmp_path / "eve" / "sub-7"
    write(raw, folder / "run-2_raw.fif")
    events = np.array([[int(o * SFREQ), 0, 1 if lab == "left" else 2]
                       for o, lab in zip(ONSETS, LABELS, strict=True)])
    mne.write_events(folder / "run-2_raw-eve.fif", events, verbose="error")
    ds = EEGFiles(tmp_path / "eve", "sub-{subject}/run-{run}_raw.fif",
                  {"left": 1, "right": 2}, tmin=0.0, tmax=1.0,
                  event_file_pattern="{stem}-eve.fif")
    data = ds.load_subject("7")
    assert [data.info.class_names[c] for c in data.y] == LABELS
    assert data.metadata["run"].tolist() == ["2"] * 6
    assert ds.files("7")[-1].name == "run-2_raw-eve.fif"
    base = EEGFiles(tmp_path / "eve", "sub-{subject}/run-{run}_raw.fif", {"left": 1},
                    event_file_pattern="{base}-eve.fif")
    assert base.files("7")[-1].name == "run-2-eve.fif"
    with pytest.raises(InputError, match="event_file_pattern"):
        EEGFiles(tmp_path / "eve", "sub-{subject}/run-{run}_raw.fif", {"left": 1},
                 event_file_pattern="{name}-eve.fif").files("7")


def test_pattern_without_session_and_with_wildcard(tmp_path):
    for i, name in enumerate(["x_a.fif", "x_b.fif"]):
        write(make_raw(i), tmp_path / "S10" / name)
    write(make_raw(5), tmp_path / "S2" / "x_a.fif")
    ds = EEGFiles(tmp_path, "S{subject}/x_{any}.fif", EVENT_ID, tmax=1.0)
    assert ds.subjects() == ["2", "10"]  # natural order
    data = ds.load_subject("10")
    assert data.metadata["run"].tolist() == ["0"] * 6 + ["1"] * 6
    assert set(data.metadata["session"]) == {"0"}


def test_mixed_sampling_rates(tmp_path):
    write(make_raw(0), tmp_path / "sub-1" / "run-1.fif")
    odd = write(make_raw(1, sfreq=200.0), tmp_path / "sub-1" / "run-2.fif")
    pattern = "sub-{subject}/run-{run}.fif"
    with pytest.raises(InputError, match=re.escape(str(odd))) as info:
        EEGFiles(tmp_path, pattern, EVENT_ID, tmax=1.0).load_subject("1")
    assert "200 Hz" in str(info.value) and "resample" in str(info.value)
    data = EEGFiles(tmp_path, pattern, EVENT_ID, tmax=1.0, resample=50.0).load_subject("1")
    assert data.X.shape == (12, 4, 51)
    assert data.info.sfreq == 50.0
    np.testing.assert_allclose(data.metadata["onset"], ONSETS * 2, atol=0.03)


def test_inconsistent_channels_name_the_file(tmp_path):
    write(make_raw(0), tmp_path / "sub-1" / "run-1.fif")
    odd = write(make_raw(1, channels=["C3", "Cz", "C4", "Oz"]), tmp_path / "sub-1" / "run-2.fif")
    with pytest.raises(InputError, match=re.escape(str(odd))) as info:
        EEGFiles(tmp_path, "sub-{subject}/run-{run}.fif", EVENT_ID, tmax=1.0).load_subject("1")
    assert "Oz" in str(info.value) and "Pz" in str(info.value)


def test_reordered_channels_are_aligned(tmp_path):
    write(make_raw(0), tmp_path / "sub-1" / "run-1.fif")
    write(make_raw(1).reorder_channels(CHANNELS[::-1]), tmp_path / "sub-1" / "run-2.fif")
    data = EEGFiles(tmp_path, "sub-{subject}/run-{run}.fif", EVENT_ID, tmax=1.0
                    ).load_subject("1")
    assert data.info.ch_names == tuple(CHANNELS)
    reference = make_raw(1).get_data()[:, int(ONSETS[0] * SFREQ)]
    np.testing.assert_allclose(data.X[6, :, 0], reference, rtol=1e-6)


def test_missing_empty_and_truncated_files(tmp_path):
    paths = build(tmp_path, ".edf", subjects=("1",), sessions=("a",))
    ds = EEGFiles(tmp_path, PATTERN + ".edf", EVENT_ID, tmax=1.0)
    assert len(ds.load_subject("1")) == 6

    blob = paths[0].read_bytes()
    paths[0].write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError, match=str(paths[0])) as info:
        ds.load_subject("1")
    assert "truncated" in str(info.value)

    paths[0].write_bytes(b"")
    with pytest.raises(InputError, match=str(paths[0])) as info:
        ds.load_subject("1")
    assert "0 bytes" in str(info.value)

    paths[0].write_bytes(b"not an EDF file" * 30)
    with pytest.raises(InputError, match=str(paths[0])):
        ds.load_subject("1")

    with pytest.raises(InputError, match="none under"):
        EEGFiles(tmp_path, "sub-{subject}/nothing-{run}.edf", EVENT_ID).subjects()
    with pytest.raises(InputError, match="root"):
        EEGFiles(tmp_path / "absent", PATTERN + ".edf", EVENT_ID).subjects()


def test_missing_event_file_and_corrupt_fif(tmp_path):
    path = write(make_raw(0, annotate=False), tmp_path / "sub-1" / "run-1_raw.fif")
    ds = EEGFiles(tmp_path, "sub-{subject}/run-{run}_raw.fif", {"left": 1, "right": 2},
                  event_file_pattern="{stem}-eve.fif", tmax=1.0)
    with pytest.raises(InputError, match=re.escape("run-1_raw-eve.fif")):
        ds.load_subject("1")
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError, match=re.escape(str(path))):
        EEGFiles(tmp_path, "sub-{subject}/run-{run}_raw.fif", EVENT_ID, tmax=1.0
                 ).load_subject("1")


def test_wrong_labels_name_the_file(tmp_path):
    path = write(make_raw(0), tmp_path / "sub-1" / "run-1.edf")
    ds = EEGFiles(tmp_path, "sub-{subject}/run-{run}.edf", {"up": "up", "down": "down"},
                  tmax=1.0)
    with pytest.raises(InputError, match=re.escape(str(path))) as info:
        ds.load_subject("1")
    assert "left" in str(info.value)

    stim = write(make_raw(0, annotate=False, stim=True), tmp_path / "s" / "sub-1" / "run-1.fif")
    ds = EEGFiles(tmp_path / "s", "sub-{subject}/run-{run}.fif", {"a": 7, "b": 8},
                  stim_channel="STI", tmax=1.0)
    with pytest.raises(InputError, match=re.escape(str(stim))) as info:
        ds.load_subject("1")
    assert "[1, 2]" in str(info.value)


def test_bad_parameters():
    with pytest.raises(InputError, match="subject"):
        parse_pattern("run-{run}.edf")
    with pytest.raises(InputError, match="placeholders"):
        parse_pattern("sub-{subject}/{task}.edf")
    glob, regex = parse_pattern("sub-{subject}/sub-{subject}_run-{run}.edf")
    assert glob == "sub-*/sub-*_run-*.edf"
    assert regex.fullmatch("sub-01/sub-01_run-2.edf").groupdict() == {"subject": "01",
                                                                      "run": "2"}
    assert regex.fullmatch("sub-01/sub-02_run-2.edf") is None


def test_duplicate_event_codes_and_bad_window(tmp_path):
    write(make_raw(0), tmp_path / "sub-1" / "run-1.fif")
    pattern = "sub-{subject}/run-{run}.fif"
    with pytest.raises(InputError, match="event_id"):
        EEGFiles(tmp_path, pattern, {"a": "left", "b": "left"}).load_subject("1")
    with pytest.raises(InputError, match="tmax"):
        EEGFiles(tmp_path, pattern, EVENT_ID, tmin=1.0, tmax=0.5).load_subject("1")
    data = EEGFiles(tmp_path, pattern, EVENT_ID, tmax=1.0, picks=["C3", "Cz"],
                    montage="colin27_1005").load_subject("1")
    assert data.info.ch_names == ("C3", "Cz") and data.info.montage == "colin27_1005"
    odd = write(make_raw(1, channels=["C3", "Cz", "C4", "EXG1"]), tmp_path / "o" / "sub-1"
                / "run-1.fif")
    with pytest.raises(InputError, match=re.escape(str(odd))) as info:
        EEGFiles(tmp_path / "o", pattern, EVENT_ID, tmax=1.0,
                 montage="colin27_1005").load_subject("1")
    assert "EXG1" in str(info.value)
    with pytest.raises(InputError, match="subject"):
        EEGFiles(tmp_path, pattern, EVENT_ID).load_subject("9")


@pytest.mark.parametrize(("sfreq", "tmin", "tmax"), [(256.0, 2.0, 4.0), (173.61, -0.1, 0.5),
                                                     (100.0, 0.013, 0.377)])
def test_cut_epochs_matches_mne_epochs(sfreq, tmin, tmax):
    """Our slicing gives mne.Epochs' samples exactly, including events near both edges."""
    from neurocompare.data.epoching import cut_epochs

    rng = np.random.default_rng(0)
    info = mne.create_info(4, sfreq, "eeg")
    raw = mne.io.RawArray(rng.standard_normal((4, 3000)), info, first_samp=37, verbose="error")
    samples = np.sort(rng.choice(np.arange(37, 3037), size=40, replace=False))
    samples[0], samples[-1] = 37, 3036  # windows outside the recording: dropped by both
    events = np.column_stack([samples, np.zeros(40, int), rng.integers(1, 3, 40)])
    epochs = mne.Epochs(raw, events, event_id={"a": 1, "b": 2}, tmin=tmin, tmax=tmax,
                        baseline=None, preload=True, reject_by_annotation=False,
                        verbose="error")
    X, kept = cut_epochs(raw.get_data(), events, raw.first_samp, sfreq, tmin, tmax)
    np.testing.assert_array_equal(kept, epochs.events)
    np.testing.assert_array_equal(X, epochs.get_data())
    with pytest.raises(InputError, match="repeated event samples"):
        cut_epochs(raw.get_data(), np.vstack([events, events[3]]), raw.first_samp, sfreq,
                   tmin, tmax)


@pytest.mark.parametrize("method", ["iir", "fir"])
@pytest.mark.parametrize("annotated", [False, True])
def test_epoch_raw_filters_as_raw_filter(method, annotated):
    """The direct filter of a recording without annotations gives ``raw.filter``'s samples
    exactly, and only data channels are filtered (a misc channel passes unchanged)."""
    from neurocompare.data.epoching import epoch_raw

    rng = np.random.default_rng(1)
    info = mne.create_info(["C3", "Cz", "C4", "aux"], 128.0, ["eeg", "eeg", "eeg", "misc"])
    raw = mne.io.RawArray(rng.standard_normal((4, 4000)), info, verbose="error")
    if annotated:  # a BAD_ACQ_SKIP span: raw.filter filters the two sides separately
        raw.set_annotations(mne.Annotations([15.0], [2.0], ["BAD_ACQ_SKIP"]))
    events = np.column_stack([np.arange(200, 3600, 300), np.zeros(12, int),
                              np.tile([1, 2], 6)])
    got = epoch_raw(raw, events, {"a": 1, "b": 2}, tmin=0.0, tmax=1.0, source="r",
                    l_freq=8.0, h_freq=12.0, picks=["C3", "Cz", "C4", "aux"],
                    filter_method=method)
    reference = raw.copy().filter(8.0, 12.0, method=method, verbose="error")
    epochs = mne.Epochs(reference, events, event_id={"a": 1, "b": 2}, tmin=0.0, tmax=1.0,
                        baseline=None, preload=True, reject_by_annotation=False,
                        verbose="error")
    np.testing.assert_array_equal(got.X, epochs.get_data())
    raw_aux = raw.get_data(picks="aux")[0]
    np.testing.assert_array_equal(got.X[0, 3], raw_aux[200:329])
