"""The PhysioNet EEG Motor Movement/Imagery dataset (Schalk et al. 2004; ``eegmmidb``).

Layout as MNE's :mod:`mne.datasets.eegbci` and MOABB's ``PhysionetMI`` read it:
``<root>/S001/S001R04.edf``, where ``root`` defaults to ``<data root>/eegmmidb`` (or, when
that folder is absent, ``<data root>/MNE-eegbci-data``, the folder
``mne.datasets.eegbci.load_data(..., path=<data root>)`` downloads into). 109 subjects,
64 channels at 160 Hz, 14 runs each. Runs 1-2 are baselines; the task runs come in threes:

============================ ============ ============= =============
task                         runs         T1            T2
============================ ============ ============= =============
``executed_hands``           3, 7, 11     left_hand     right_hand
``imagery_hands``            4, 8, 12     left_hand     right_hand
``executed_hands_feet``      5, 9, 13     both_hands    feet
``imagery_hands_feet``       6, 10, 14    both_hands    feet
============================ ============ ============= =============

T0 (rest between cues) becomes the class ``rest`` when ``include_rest`` is set. Channel
names such as ``"C3.."`` and ``"Fcz."`` are standardised as
:func:`mne.datasets.eegbci.standardize` does (``"C3"``, ``"FCz"``). Epochs are [0, 3] s after
the cue by default, MOABB's interval.

:func:`write_physionet_edf` writes a recording in the same format (dotted channel names,
T0/T1/T2 annotations) through :func:`mne.export.export_raw`, for tests and examples.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mne
import numpy as np
from mne.datasets.eegbci import standardize

from neurocompare._errors import check_option, check_path, input_error
from neurocompare.config import data_root, dataset_path
from neurocompare.data.base import Dataset
from neurocompare.data.containers import NeuralData
from neurocompare.data.files import Recording, epoch_recordings

__all__ = ["TASKS", "PhysionetMI", "physionet_channel_name", "physionet_path",
           "write_physionet_edf"]

logger = logging.getLogger(__name__)

MONTAGE = "colin27_1005"
#: task -> (runs, class name of T1, class name of T2)
TASKS: dict[str, tuple[tuple[int, ...], str, str]] = {
    "executed_hands": ((3, 7, 11), "left_hand", "right_hand"),
    "imagery_hands": ((4, 8, 12), "left_hand", "right_hand"),
    "executed_hands_feet": ((5, 9, 13), "both_hands", "feet"),
    "imagery_hands_feet": ((6, 10, 14), "both_hands", "feet"),
}
#: Where MNE's ``eegbci.load_data`` puts the files under its data folder.
_MNE_SUBFOLDER = Path("files") / "eegmmidb" / "1.0.0"
#: The folder ``eegbci.load_data(path=...)`` creates under the path it is given.
_MNE_FOLDER = "MNE-eegbci-data"


def physionet_path(root: str | Path, subject: int, run: int) -> Path:
    """Return ``<root>/S{subject:03d}/S{subject:03d}R{run:02d}.edf``."""
    return Path(root) / f"S{subject:03d}" / f"S{subject:03d}R{run:02d}.edf"


def physionet_channel_name(name: str) -> str:
    """Return PhysioNet's dotted spelling of a 10-10 name: ``"FCz"`` -> ``"Fcz."``.

    First letter upper case, the rest lower case, padded with dots to four characters.
    Names already dotted are returned re-spelled the same way.
    """
    bare = name.strip(".")
    if not bare or len(bare) > 4:
        raise input_error("ch_names", "10-10 channel names of 1 to 4 characters", name)
    return (bare[0].upper() + bare[1:].lower()).ljust(4, ".")


def write_physionet_edf(
    path: str | Path,
    data: np.ndarray,
    sfreq: float,
    ch_names: Sequence[str],
    annotations: mne.Annotations | Iterable[tuple[float, float, str]],
    *,
    overwrite: bool = False,
) -> Path:
    """Write one recording as a PhysioNet-style EDF+ file.

    Parameters
    ----------
    path : str or Path
        Output ``.edf`` file; parent folders are created.
    data : ndarray, shape (n_channels, n_times)
        EEG in volts.
    sfreq : float
        Sampling rate in Hz (PhysioNet: 160).
    ch_names : sequence of str
        10-10 names, plain (``"C3"``) or dotted (``"C3.."``); written dotted.
    annotations : mne.Annotations or iterable of (onset, duration, description)
        Events in seconds, descriptions ``"T0"``, ``"T1"``, ``"T2"``.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    if path.suffix.lower() != ".edf":
        raise input_error("path", "a file name ending in .edf", str(path))
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] != len(ch_names):
        raise input_error("data", f"an array of shape ({len(ch_names)}, n_times) matching "
                          "ch_names", data.shape)
    if not np.isfinite(data).all():
        raise input_error("data", "finite samples", "NaN or inf")
    if not isinstance(annotations, mne.Annotations):
        items = list(annotations)
        annotations = mne.Annotations([float(a[0]) for a in items],
                                      [float(a[1]) for a in items],
                                      [str(a[2]) for a in items])
    names = [physionet_channel_name(ch) for ch in ch_names]
    raw = mne.io.RawArray(data, mne.create_info(names, float(sfreq), "eeg"), verbose="error")
    raw.set_annotations(annotations)
    path.parent.mkdir(parents=True, exist_ok=True)
    mne.export.export_raw(path, raw, fmt="edf", overwrite=overwrite, verbose="error")
    return path


@dataclass
class PhysionetMI(Dataset):
    """PhysioNet motor movement/imagery EEG read from a local copy.

    Parameters
    ----------
    root : str or Path, optional
        Folder holding ``S001``, ``S002``, ...; MNE's download folder
        (``.../MNE-eegbci-data``) also works. Default: ``<data root>/eegmmidb``, else
        ``<data root>/MNE-eegbci-data`` when only that exists.
    task : {"imagery_hands", "executed_hands", "imagery_hands_feet", "executed_hands_feet"}
        Which three runs to read and their class names (see the module docstring).
    include_rest : bool
        Add T0 as the class ``"rest"`` (last class code).
    tmin, tmax : float
        Epoch window after the cue in seconds (MOABB: 0 and 3).
    l_freq, h_freq : float, optional
        Band-pass edges in Hz.
    resample : float, optional
        Common sampling rate in Hz. A few subjects (88, 92, 100) were recorded at 128 Hz;
        set this to mix them with the 160 Hz subjects.
    runs : tuple of int, optional
        Read only these of the task's runs, all of which must exist. By default the task's
        runs that exist are read (a warning names missing ones; none at all is an error).
    """

    name = "physionet-mi"
    kind = "epochs"
    description = ("PhysioNet EEG Motor Movement/Imagery: 109 subjects, 64 channels, 160 Hz, "
                   "left/right fist or fists/feet, imagined or executed")
    scope_note = ("Three runs per task and subject in one session; subjects 88, 92 and 100 "
                  "differ in sampling rate (use resample) and some runs in length.")

    data_folder = "eegmmidb"

    root: str | Path | None = None
    task: str = "imagery_hands"
    include_rest: bool = False
    tmin: float = 0.0
    tmax: float = 3.0
    l_freq: float | None = None
    h_freq: float | None = None
    resample: float | None = None
    runs: tuple[int, ...] | None = None

    def _root(self) -> Path:
        if self.root is not None:
            root = check_path("root", self.root, kind="dir")
        else:
            base = data_root()
            mne_copy = base / _MNE_FOLDER
            use_mne = mne_copy.is_dir() and not (base / self.data_folder).is_dir()
            root = mne_copy if use_mne else dataset_path(self.data_folder, dataset=self.name)
        nested = root / _MNE_SUBFOLDER
        return nested if nested.is_dir() else root

    def _runs(self) -> tuple[tuple[int, ...], dict[str, str]]:
        check_option("task", self.task, TASKS)
        runs, t1, t2 = TASKS[self.task]
        if self.runs is not None:
            extra = sorted(set(self.runs) - set(runs))
            if extra or not self.runs:
                raise input_error("runs", f"a non-empty subset of the {self.task} runs "
                                  f"{list(runs)}", list(self.runs))
            runs = tuple(run for run in runs if run in self.runs)
        event_id = {t1: "T1", t2: "T2"}
        if self.include_rest:
            event_id["rest"] = "T0"
        return runs, event_id

    def subjects(self) -> list[int]:
        """Return the subject numbers whose ``S###`` folder exists."""
        root = self._root()
        return sorted(int(p.name[1:]) for p in root.glob("S[0-9][0-9][0-9]") if p.is_dir())

    def files(self, subject: int) -> list[Path]:
        """Return the task's run files of ``subject`` that exist."""
        runs, _ = self._runs()
        paths = [physionet_path(self._root(), subject, run) for run in runs]
        return [path for path in paths if path.is_file()]

    def _load_subject(self, subject: int) -> NeuralData:
        runs, event_id = self._runs()
        root = self._root()
        paths = {run: physionet_path(root, subject, run) for run in runs}
        missing = [path.name for path in paths.values() if not path.is_file()]
        if missing and (self.runs is not None or len(missing) == len(runs)):
            raise input_error(str(root / f"S{subject:03d}"),
                              f"the {self.task} runs {list(runs)} as S{subject:03d}Rxx.edf",
                              f"missing {missing}")
        if missing:
            logger.warning("%s subject %d: runs %s missing; reading the others",
                           self.name, subject, missing)
        recordings = [Recording(path, subject, "0", str(run))
                      for run, path in paths.items() if path.is_file()]
        return epoch_recordings(
            recordings, event_id, tmin=self.tmin, tmax=self.tmax,
            source=f"{self.name} subject {subject}", l_freq=self.l_freq, h_freq=self.h_freq,
            resample=self.resample, montage=MONTAGE, prepare=standardize,
            extra={"task": self.task, "runs": [int(rec.run) for rec in recordings]})
