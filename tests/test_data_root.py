"""The data root decides what every dataset with a conventional folder reads.

Each test builds a temporary data root holding a tiny generated copy (Bonn text segments,
PhysioNet EDF files) and checks that ``NEUROCOMPARE_DATA_ROOT`` / ``--data-root`` pick it,
that ``root=`` still wins, and that a missing folder is one error naming the folder.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from neurocompare import cli
from neurocompare._errors import InputError
from neurocompare.config import DATA_ROOT_ENV
from neurocompare.data import cache
from neurocompare.data.bonn import N_SAMPLES, SET_FOLDERS, BonnEpilepsy
from neurocompare.data.physionet import PhysionetMI, physionet_path, write_physionet_edf
from neurocompare.data.registry import DATASETS, make_dataset
from neurocompare.records.store import ResultStore

#: Datasets whose ``root`` defaults to a folder under the data root.
WITH_FOLDER = sorted(name for name, cls in DATASETS.items() if cls.data_folder)


def write_bonn(root, per_set: int, seed: int = 0):
    """A Bonn-layout folder ``<root>/bonn_epilepsy`` with ``per_set`` segments in sets A and E
    (E with a 10 Hz rhythm, so the two classes differ)."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_SAMPLES) / 173.61
    for letter in "AE":
        folder = root / "bonn_epilepsy" / SET_FOLDERS[letter]
        folder.mkdir(parents=True)
        for k in range(per_set):
            signal = rng.normal(0, 20, N_SAMPLES) + (80 * np.sin(2 * np.pi * 10 * t)
                                                     if letter == "E" else 0)
            text = "\n".join(str(int(v)) for v in signal)
            (folder / f"{SET_FOLDERS[letter][-1]}{k + 1:03d}.txt").write_text(text)
    return root


def write_physionet(root, subjects=(1, 2)):
    """Two imagery runs per subject in PhysioNet's layout under ``root``."""
    rng = np.random.default_rng(1)
    cues = ["T1", "T2", "T2", "T1"]
    events = [item for k, cue in enumerate(cues)
              for item in ((8.0 * k, 4.0, "T0"), (8.0 * k + 4.0, 4.0, cue))]
    for subject in subjects:
        for run in (4, 8):
            data = rng.standard_normal((3, 34 * 160)) * 2e-5
            write_physionet_edf(physionet_path(root, subject, run), data, 160.0,
                                ["C3", "Cz", "C4"], events)
    return root


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_environment_variable_decides_which_copy_is_read(tmp_path, monkeypatch):
    small, large = write_bonn(tmp_path / "small", 3), write_bonn(tmp_path / "large", 5)
    monkeypatch.setenv(DATA_ROOT_ENV, str(small))
    assert len(BonnEpilepsy().load_subject("all")) == 6
    monkeypatch.setenv(DATA_ROOT_ENV, str(large))
    assert len(BonnEpilepsy().load_subject("all")) == 10
    # an explicit root wins over the data root
    assert len(BonnEpilepsy(root=small / "bonn_epilepsy").load_subject("all")) == 6


def test_physionet_defaults_to_its_folder_under_the_data_root(tmp_path, monkeypatch):
    write_physionet(tmp_path / "a" / "eegmmidb", subjects=(1, 2))
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "a"))
    dataset = make_dataset("physionet-mi")  # no root needed any more
    assert dataset.subjects() == [1, 2]
    assert dataset.load_subject(2).X.shape == (8, 3, 481)
    # the folder MNE's eegbci.load_data(path=<data root>) fills is found too
    write_physionet(tmp_path / "b" / "MNE-eegbci-data" / "files" / "eegmmidb" / "1.0.0",
                    subjects=(3,))
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "b"))
    assert PhysionetMI().subjects() == [3]


def test_physionet_default_keeps_explicit_roots_and_their_keys(tmp_path):
    """An explicit root reads what it names and hashes as before (stored keys stay)."""
    root = write_physionet(tmp_path / "elsewhere", subjects=(5,))
    assert PhysionetMI(root=root).subjects() == [5]
    assert PhysionetMI(root=root).fingerprint() != PhysionetMI().fingerprint()


@pytest.mark.parametrize("name", WITH_FOLDER)
def test_a_missing_folder_is_one_error_naming_folder_and_data_root(name, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path))
    dataset = make_dataset(name)
    with pytest.raises(InputError) as error:
        dataset.load_subject(dataset.subjects()[0])
    message = str(error.value)
    assert message.startswith(f"{name}: data root")
    assert repr(DATASETS[name].data_folder) in message and str(tmp_path) in message
    assert f"{name}:root=" in message and "--data-root" in message


def test_user_file_loaders_have_no_default_folder():
    for name in ("eeg-files", "bids-eeg", "arrays", "tabular", "molecule-files",
                 "timeseries-files", "nifti-atlas", "simulated-mi", "moabb"):
        assert DATASETS[name].data_folder is None, name
    assert {"physionet-mi", "ssvep-exoskeleton", "bonn-epilepsy", "davis"} <= set(WITH_FOLDER)


def test_cli_data_root_decides_what_a_run_reads(tmp_path, monkeypatch, capsys):
    """``--data-root`` points the run (planner and workers) at the generated copy: every
    fold's train + test rows are its 8 segments, not the 200 of the real sets A and E."""
    root = write_bonn(tmp_path / "data", 4)
    # a root that does not exist, so only the CLI's --data-root can make the run work; the
    # variable (which the CLI sets) is restored after the test
    monkeypatch.setenv(DATA_ROOT_ENV, str(tmp_path / "elsewhere"))
    monkeypatch.setattr(sys, "argv", [
        "neurocompare", "run", "--data-root", str(root), "-d", "bonn-epilepsy",
        "-p", "bandpower-lr", "--protocol-param", "n_splits=2", "-j", "1",
        "--no-report", "-o", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 0, capsys.readouterr().err
    table = ResultStore(tmp_path / "out").table()
    assert len(table) == 2 and ((table["n_train"] + table["n_test"]) == 8).all()
