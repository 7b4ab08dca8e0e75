"""Real data from the shared data root: the SSVEP exoskeleton set and the Bonn segments."""

import numpy as np
import pytest

from neurocompare import InputError
from neurocompare.data.bonn import BonnEpilepsy
from neurocompare.data.ssvep import SSVEPExoskeleton
from neurocompare.pipelines.eeg.features import psd_welch

pytestmark = pytest.mark.usefixtures("real_data")


@pytest.fixture(scope="module")
def ssvep_two():
    dataset = SSVEPExoskeleton()
    return [dataset.load_subject(s) for s in (1, 2)]


def test_ssvep_shapes_and_labels(ssvep_two):
    for data in ssvep_two:
        assert data.X.shape[1:] == (32, 513)  # 8 channels x (broadband + 3 bands), 2 s at 256 Hz
        assert data.info.sfreq == 256.0
        assert data.info.ch_names[:3] == ("Oz", "O1", "O2")
        for _, frame in data.metadata.groupby("session"):
            counts = np.bincount(data.y[frame.index], minlength=4)
            assert counts.tolist() == [8, 8, 8, 8]  # 8 trials per class per session
        # rest trials come first in every session (the drift caveat of the dataset)
        first = data.metadata.groupby("session").head(8).index
        assert (data.y[first] == 0).all()


def test_ssvep_spectral_peak_at_stimulation_frequency(ssvep_two):
    """The occipital spectral peak (power at f0 over its +-1-2 Hz neighbours) names the
    flicker frequency far above the 1/3 chance of the three flicker classes."""
    for data in ssvep_two:
        freqs, psd = psd_welch(data.X[:, :3], data.info.sfreq, window=2.0)  # Oz, O1, O2
        power = psd.mean(axis=1)
        snr = []
        for name in data.info.class_names[1:]:
            at = np.argmin(np.abs(freqs - data.info.extra["stim_freqs"][name]))
            neighbours = np.r_[at - 4:at - 1, at + 2:at + 5]
            snr.append(power[:, at] / power[:, neighbours].mean(axis=1))
        flicker = data.y > 0
        accuracy = np.mean(np.argmax(snr, axis=0)[flicker] + 1 == data.y[flicker])
        assert accuracy > 0.5  # 48 flicker trials: the binomial 95% chance bound is ~0.46


def test_ssvep_bad_root_names_the_folder(tmp_path):
    with pytest.raises(InputError, match="subject01"):
        (tmp_path / "subject01").mkdir()
        SSVEPExoskeleton(root=tmp_path).load_subject(1)


def test_bonn_five_sets():
    data = BonnEpilepsy(sets="ABCDE").load_subject("all")
    assert data.X.shape == (500, 1, 4097)
    assert np.bincount(data.y).tolist() == [100] * 5
    std = data.X[:, 0].std(axis=1)
    assert std[data.y == 4].mean() > 3 * std[data.y == 0].mean()  # ictal segments are larger
    assert set(data.metadata["segment"].str[0]) == {"Z", "O", "N", "F", "S"}


def test_bonn_errors(tmp_path):
    with pytest.raises(InputError, match="sets"):
        BonnEpilepsy(sets="AX").load_subject("all")
    folder = tmp_path / "A_Z"
    folder.mkdir()
    (folder / "Z001.txt").write_text("1\n2\n3\n")
    (tmp_path / "E_S").mkdir()
    (tmp_path / "E_S" / "S001.txt").write_text("\n".join(["5"] * 4097))
    with pytest.raises(InputError, match=r"Z001.txt: expected 4097 samples"):
        BonnEpilepsy(root=tmp_path).load_subject("all")


def test_bonn_windows_tile_the_segments_and_keep_their_recording():
    whole = BonnEpilepsy(sets="AE").load_subject("all")
    dataset = BonnEpilepsy(sets="AE", window_s=4.0)
    windows = dataset.load_subject("all")
    size = round(4.0 * 173.61)
    per = 4097 // size
    assert windows.X.shape == (200 * per, 1, size)
    # window w of segment i is samples [w*size, (w+1)*size) of that segment, label kept
    for i, w in ((0, 0), (7, per - 1), (150, 2)):
        np.testing.assert_array_equal(windows.X[i * per + w, 0],
                                      whole.X[i, 0, w * size:(w + 1) * size])
        assert windows.y[i * per + w] == whole.y[i]
    assert windows.metadata.groupby("recording").size().eq(per).all()
    # the default (whole segments) keeps the key of results stored before window_s existed
    assert BonnEpilepsy(sets="AE", window_s=None).fingerprint() == \
        BonnEpilepsy(sets="AE").fingerprint() != dataset.fingerprint()
    with pytest.raises(InputError, match="window_s"):
        BonnEpilepsy(window_s=60.0).load_subject("all")
