"""MOABB side of the SSVEP benchmarks: local files, the filter-bank fix, MOABB's pipelines.

Shared by ``ssvep_reproduction.py`` and ``moabb_side_by_side.py``; not a benchmark itself.

* :class:`LocalKalunga2016` -- MOABB ``BaseDataset`` over the local copy of the SSVEP
  exoskeleton recordings (``<data root>/ssvep_exoskeleton``, resolved only through
  :func:`neurocompare.config.dataset_path`). MOABB cannot download here, so
  ``_get_single_subject_data`` reads the FIF files and adds a stim channel built from each
  ``-eve.fif`` event file. Events ``{"13": 2, "17": 4, "21": 3, "rest": 1}`` (17 Hz is code
  4, 21 Hz is code 3), interval [2, 4] s, paradigm ``"ssvep"``.
* :class:`AllBandsWithinSessionEvaluation` -- ``WithinSessionEvaluation`` with the
  filter-bank defect of MOABB 1.7.2 fixed (see the class docstring).
* :func:`moabb_ssvep_pipelines`, :func:`moabb_cca_pipeline` -- MOABB's SSVEP pipelines
  exactly as its benchmark files define them (``pipelines/TSLR-SSVEP.yml``,
  ``TSSVM-SSVEP.yml``, ``MDM-SSVEP.yml``, ``CCA-SSVEP.yml`` in the MOABB repository).

Covariance estimator: every stored version of MOABB's SSVEP pipeline files (TSLR-SSVEP.yml
at commits bedbf038 and 67c63145, MDM-SSVEP.yml at 5d336409 and 44028a26, TSSVM-SSVEP.yml
at 0f4e37a6) says ``Covariances(estimator="oas")``; none uses ``"lwf"``. Only MOABB's older
SSVEP *examples* (not the benchmark) used ``"lwf"``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mne
import moabb.evaluations.base as _moabb_base
import moabb.evaluations.evaluations as _moabb_evaluations
import numpy as np
from moabb.datasets.base import BaseDataset
from moabb.evaluations import WithinSessionEvaluation
from moabb.evaluations.utils import _pipeline_requires_epochs
from moabb.pipelines import SSVEP_CCA, ExtendedSSVEPSignal
from pyriemann.classification import MDM
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from neurocompare.config import dataset_path

__all__ = [
    "EVENTS",
    "FLICKER_EVENTS",
    "AllBandsWithinSessionEvaluation",
    "LocalKalunga2016",
    "codecarbon",
    "moabb_cca_pipeline",
    "moabb_ssvep_pipelines",
    "recordings",
]

logger = logging.getLogger(__name__)

#: MOABB's current Kalunga2016 event mapping (17 Hz = 4, 21 Hz = 3).
EVENTS = {"13": 2, "17": 4, "21": 3, "rest": 1}
#: The three flicker classes (MOABB's SSVEP_CCA cannot score the rest class).
FLICKER_EVENTS = ["13", "17", "21"]


@contextmanager
def codecarbon(enabled: bool) -> Iterator[None]:
    """Switch MOABB's CodeCarbon emission tracking on or off inside the block.

    MOABB starts a CodeCarbon tracker around every fold fit whenever the ``codecarbon``
    package is importable (it is pinned in this project's lock file); with 2 CPU cores that
    costs more than the fits themselves. Both MOABB modules that read the flag are patched.
    """
    modules = (_moabb_base, _moabb_evaluations)
    saved = [m._carbonfootprint for m in modules]
    for module in modules:
        module._carbonfootprint = enabled and saved[0]
    try:
        yield
    finally:
        for module, value in zip(modules, saved, strict=True):
            module._carbonfootprint = value


def recordings(subject: int, root: Path | None = None) -> list[tuple[Path, Path]]:
    """Return the (``_raw.fif``, ``-eve.fif``) pairs of ``subject``, in time order.

    Parameters
    ----------
    subject : int
        Subject number 1..12.
    root : Path, optional
        Dataset folder; default ``<data root>/ssvep_exoskeleton``.
    """
    folder = (root or dataset_path("ssvep_exoskeleton")) / f"subject{subject:02d}"
    raws = sorted(folder.glob("*_raw.fif"))
    if not raws:
        raise FileNotFoundError(f"no *_raw.fif recordings in {folder}")
    return [(raw, raw.with_name(raw.name.replace("_raw.fif", "-eve.fif"))) for raw in raws]


def _with_stim(raw_path: Path, eve_path: Path) -> mne.io.BaseRaw:
    """Read one recording and add a ``STI`` stim channel holding its ``-eve.fif`` events."""
    raw = mne.io.read_raw_fif(raw_path, preload=True, verbose="error")
    events = mne.read_events(eve_path, verbose="error")
    stim = np.zeros((1, raw.n_times))
    stim[0, events[:, 0] - raw.first_samp] = events[:, 2]  # one-sample pulses
    info = mne.create_info(["STI"], raw.info["sfreq"], ["stim"])
    raw.add_channels([mne.io.RawArray(stim, info, first_samp=raw.first_samp,
                                      verbose="error")], force_update_info=True)
    return raw


class LocalKalunga2016(BaseDataset):
    """MOABB dataset over the local SSVEP exoskeleton files (Kalunga et al. 2016).

    Parameters
    ----------
    subjects : list of int, optional
        Subset of subjects 1..12.
    layout : {"session", "run"}
        ``"session"``: every recording is its own session (``{"0": {"0": raw}, "1": ...}``),
        which is how neurocompare's ``ssvep-exoskeleton`` defines sessions, so within-session
        folds are the same. ``"run"``: MOABB's own ``Kalunga2016`` layout, one session
        ``"0"`` holding every recording as a run, so within-session CV pools a subject's
        recordings (the layout of the published MOABB numbers).
    root : str or Path, optional
        Dataset folder; default ``<data root>/ssvep_exoskeleton``.

    Notes
    -----
    ``unit_factor`` is 1: the FIF values are already the original values x 1e6 (see the
    dataset's SOURCE.md), and neurocompare does not rescale them either, so both tools see
    identical arrays. All pipelines compared here are invariant to a global scale.
    """

    def __init__(self, subjects: list[int] | None = None, layout: str = "session",
                 root: str | Path | None = None):
        if layout not in ("session", "run"):
            raise ValueError(f"layout must be 'session' or 'run', got {layout!r}")
        self.layout = layout
        self.root = Path(root) if root is not None else dataset_path("ssvep_exoskeleton")
        super().__init__(subjects=list(range(1, 13)), sessions_per_subject=1, events=EVENTS,
                         code="LocalKalunga2016", interval=[2, 4], paradigm="ssvep",
                         doi="10.1016/j.neucom.2016.01.007", unit_factor=1.0,
                         selected_subjects=subjects)

    def _get_single_subject_data(self, subject: int) -> dict[str, dict[str, mne.io.BaseRaw]]:
        raws = [_with_stim(raw, eve) for raw, eve in recordings(subject, self.root)]
        if self.layout == "run":
            return {"0": {str(i): raw for i, raw in enumerate(raws)}}
        return {str(i): {"0": raw} for i, raw in enumerate(raws)}

    def data_path(self, subject, path=None, force_update=False, update_path=None,
                  verbose=None) -> list[str]:
        """Return the local files of ``subject`` (nothing is downloaded)."""
        return [str(p) for pair in recordings(subject, self.root) for p in pair]


class AllBandsWithinSessionEvaluation(WithinSessionEvaluation):
    """``WithinSessionEvaluation`` that keeps every filter-bank band.

    MOABB 1.7.2 defect: ``BaseEvaluation._process_parallel`` (``evaluations/base.py``) builds
    ``paradigm.make_process_pipelines(dataset)[0]`` -- the pipeline of the *first* band
    only -- and ``_load_data`` passes ``process_pipelines=[process_pipeline]`` to
    ``paradigm.get_data``. With ``FilterBankSSVEP`` the data then hold one band (X of shape
    (n, 8, 513, 1) instead of (n, 8, 513, 3)), and the extended-covariance pipelines score
    about 25 points lower (TS+LR 45 % instead of 71 %). This override passes
    ``process_pipelines=None`` so that ``get_data`` builds one pipeline per band, as
    ``paradigm.get_data(dataset)`` does when called directly.

    It also records the wall time spent loading and preprocessing data (``load_seconds``),
    so a benchmark can split MOABB's time into data preparation and fitting.
    """

    load_seconds: float = 0.0

    def _load_data(self, dataset, run_pipes, process_pipeline, postprocess_pipeline,
                   subjects=None):
        start = time.perf_counter()
        requires_epochs = any(_pipeline_requires_epochs(clf) for clf in run_pipes.values())
        kwargs: dict[str, Any] = {
            "dataset": dataset,
            "return_epochs": requires_epochs or self.return_epochs,
            "return_raws": self.return_raws,
            "cache_config": self.cache_config,
            "postprocess_pipeline": postprocess_pipeline,
            "process_pipelines": None,  # the fix: every band, not only the first
        }
        if subjects is not None:
            kwargs["subjects"] = subjects
        out = self.paradigm.get_data(**kwargs)
        self.load_seconds += time.perf_counter() - start
        return out


def moabb_ssvep_pipelines() -> dict[str, BaseEstimator]:
    """MOABB's filter-bank SSVEP pipelines as its benchmark files define them.

    Returns
    -------
    dict of str to Pipeline
        ``"TS+LR"`` (TSLR-SSVEP.yml), ``"TS+SVM"`` (TSSVM-SSVEP.yml), ``"MDM"``
        (MDM-SSVEP.yml): ``ExtendedSSVEPSignal`` -> ``Covariances(estimator="oas")`` ->
        ``TangentSpace(metric="riemann")`` -> ``LogisticRegression(C=1.0)`` /
        ``SVC(kernel="linear")``, or -> ``MDM(metric="riemann")``.
    """
    def head() -> list[BaseEstimator]:
        return [ExtendedSSVEPSignal(), Covariances(estimator="oas")]

    return {
        "TS+LR": make_pipeline(*head(), TangentSpace(metric="riemann"),
                               LogisticRegression(C=1.0)),
        "TS+SVM": make_pipeline(*head(), TangentSpace(metric="riemann"), SVC(kernel="linear")),
        "MDM": make_pipeline(*head(), MDM(metric="riemann")),
    }


def moabb_cca_pipeline() -> dict[str, BaseEstimator]:
    """MOABB's ``CCA-SSVEP.yml``: ``SSVEP_CCA(n_harmonics=3)`` on the 3 flicker classes.

    ``freq_map`` is given explicitly. MOABB 1.7.2 defect: without it, ``SSVEP_CCA`` infers
    each class's frequency from the epochs' ``event_id``, but MOABB's ``RawToEpochs`` names
    the epochs' events by their codes (``{"2": 2, "4": 4, "3": 3}``), and the evaluation
    label-encodes ``y`` to 0, 1, 2, so the references are built at 2, 4 and 3 "Hz" and the
    classifier scores chance (34.5 % on these 3 classes, measured) without any error. The
    evaluation's ``LabelEncoder`` sorts the labels ``"13" < "17" < "21"``, hence the map
    below. The rest class has no frequency, so ``SSVEP_CCA`` cannot be fitted with it.

    The yml's ``interval`` and ``freqs`` parameters belong to an older ``SSVEP_CCA``
    signature. Its ``freqs: {"13": 2, "17": 3, "21": 4}`` has 17 and 21 Hz swapped relative
    to this dataset's codes, which is consistent with the published 25.40 % being chance.
    """
    return {"CCA": SSVEP_CCA(n_harmonics=3, freq_map={0: 13.0, 1: 17.0, 2: 21.0})}
