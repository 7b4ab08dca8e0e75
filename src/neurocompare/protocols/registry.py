"""The explicit protocol registry: name -> splitter factory, with a line of description."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from neurocompare._errors import input_error
from neurocompare.protocols.data_budget import CalibrationBudget, LearningCurve
from neurocompare.protocols.dti import ColdSplit, Setting1
from neurocompare.protocols.external import ExternalSplit
from neurocompare.protocols.groups import LeaveSiteOut, SubjectKFold
from neurocompare.protocols.scaffold import ScaffoldKFold, ScaffoldSplit, TimeSplit
from neurocompare.protocols.splitters import (
    BlockedKFold,
    Chronological,
    CrossRun,
    CrossSession,
    CrossSubject,
    GroupedSubjectKFold,
    RecordingKFold,
    Splitter,
    WithinSession,
)

__all__ = ["PROTOCOLS", "ProtocolSpec", "make_splitter"]


@dataclass(frozen=True)
class ProtocolSpec:
    """A named protocol: ``build(seed, **params)`` returns its splitter."""

    name: str
    description: str
    build: Callable[..., Splitter]


_SPECS = [
    ProtocolSpec("within-session",
                 "stratified 5-fold inside each subject and session (MOABB within-session)",
                 lambda seed, **kw: WithinSession(**({"random_state": seed} | kw))),
    ProtocolSpec("repeated-within-session",
                 "stratified 5-fold inside each session, repeated 3 times with new shuffles",
                 lambda seed, **kw: WithinSession(**({"n_repeats": 3, "random_state": seed}
                                                     | kw))),
    ProtocolSpec("recording-kfold",
                 "stratified 5-fold inside each subject and session, every window of a "
                 "recording in one fold (metadata column recording)",
                 lambda seed, **kw: RecordingKFold(**({"random_state": seed} | kw))),
    ProtocolSpec("blocked", "5 contiguous blocks in time order inside each session (no shuffle)",
                 lambda seed, **kw: BlockedKFold(**kw)),
    ProtocolSpec("chronological",
                 "forward chaining inside each session: train on earlier trials, test on later",
                 lambda seed, **kw: Chronological(**kw)),
    ProtocolSpec("cross-session", "leave one session out, within each subject",
                 lambda seed, **kw: CrossSession(**kw)),
    ProtocolSpec("cross-run",
                 "leave one run out, within each subject and session: train on the other "
                 "runs, test on the held-out one (metadata column run)",
                 lambda seed, **kw: CrossRun(**kw)),
    ProtocolSpec("cross-subject", "leave one subject out",
                 lambda seed, **kw: CrossSubject(**kw)),
    ProtocolSpec("grouped-subject-kfold", "5-fold over subjects (each subject in one fold)",
                 lambda seed, **kw: GroupedSubjectKFold(**kw)),
    ProtocolSpec("learning-curve",
                 "within-session 5-fold, training on 10/20/40/70/100% of the smallest "
                 "class's training trials, per class (nested, class-balanced: 100% is the "
                 "whole fold when its classes are balanced; 3 repeats), same test folds",
                 lambda seed, **kw: LearningCurve(WithinSession(random_state=seed),
                                                  **({"random_state": seed} | kw))),
    ProtocolSpec("learning-curve-subjects",
                 "leave one subject out, training on growing numbers of the other subjects "
                 "(20..100%, 3 repeats)",
                 lambda seed, **kw: LearningCurve(CrossSubject(), unit="subjects",
                                                  **({"sizes": (0.2, 0.4, 0.6, 0.8, 1.0),
                                                      "random_state": seed} | kw))),
    ProtocolSpec("learning-curve-kfold",
                 "5-fold over subjects (subject-kfold; quintile-stratified for a real-valued "
                 "target), training on 10/25/50/100% of each training fold (class labels: "
                 "of the smallest class, per class, as learning-curve; nested, 2 repeats), "
                 "same test folds; for connectomes and clinical tables",
                 lambda seed, **kw: LearningCurve(SubjectKFold(n_splits=5, random_state=seed),
                                                  **({"sizes": (0.1, 0.25, 0.5, 1.0),
                                                      "n_repeats": 2, "random_state": seed}
                                                     | kw))),
    ProtocolSpec("calibration",
                 "leave one subject out plus k = 0/1/2/5/10 labelled calibration trials per "
                 "class of the target (2 repeats); same target test trials for every k",
                 lambda seed, **kw: CalibrationBudget(**({"random_state": seed} | kw))),
    ProtocolSpec("subject-kfold",
                 "stratified 10-fold over subjects, a subject's rows (repeated visits) in one "
                 "fold; for connectomes and clinical tables",
                 lambda seed, **kw: SubjectKFold(**({"random_state": seed} | kw))),
    ProtocolSpec("leave-site-out",
                 "leave one site out (metadata column site): train on the other sites",
                 lambda seed, **kw: LeaveSiteOut(**kw)),
    ProtocolSpec("scaffold",
                 "molecules: TDC's balanced scaffold split 70/10/20 (metadata column "
                 "scaffold), 5 seeds; trains on the 70 %, tests on the 20 %, the 10 % "
                 "validation part left out (valid='train' adds it)",
                 lambda seed, **kw: ScaffoldSplit(**({"random_state": seed} | kw))),
    ProtocolSpec("scaffold-kfold",
                 "molecules: 5-fold over scaffold groups (class-stratified for labels), "
                 "every scaffold in one fold",
                 lambda seed, **kw: ScaffoldKFold(**({"random_state": seed} | kw))),
    ProtocolSpec("time-split",
                 "train on the earliest 80 % by metadata column date, test on the latest "
                 "(no date on both sides)",
                 lambda seed, **kw: TimeSplit(**kw)),
    ProtocolSpec("dti-setting1",
                 "drug-target pairs: DeepDTA's setting 1 -- its fixed test set, five models "
                 "each trained on four of its five training folds (warm: test drugs and "
                 "targets seen in training)",
                 lambda seed, **kw: Setting1(**kw)),
    ProtocolSpec("cold-drug",
                 "drug-target pairs: 5-fold over drugs, every test drug unseen in training",
                 lambda seed, **kw: ColdSplit(**({"cold": "drug", "random_state": seed}
                                                 | kw))),
    ProtocolSpec("cold-target",
                 "drug-target pairs: 5-fold over targets, every test target unseen in "
                 "training",
                 lambda seed, **kw: ColdSplit(**({"cold": "target", "random_state": seed}
                                                 | kw))),
    ProtocolSpec("cold-pair",
                 "drug-target pairs: drugs and targets each in 5 groups; fold k tests pairs "
                 "of drug group k and target group k, trains on pairs of neither",
                 lambda seed, **kw: ColdSplit(**({"cold": "pair", "random_state": seed}
                                                 | kw))),
    ProtocolSpec("external",
                 "molecules: train on one set, test on another (molecule-external, metadata "
                 "column source); one fold, n_repeats > 1 trains on seeded 90 % subsamples "
                 "(a stability estimate)",
                 lambda seed, **kw: ExternalSplit(**({"random_state": seed} | kw))),
]

PROTOCOLS: dict[str, ProtocolSpec] = {spec.name: spec for spec in _SPECS}


def make_splitter(name: str, seed: int = 42, **params: Any) -> Splitter:
    """Build the splitter of protocol ``name`` (the error lists the valid names)."""
    if name not in PROTOCOLS:
        raise input_error("protocol", f"one of {list(PROTOCOLS)}", name)
    try:
        return PROTOCOLS[name].build(seed, **params)
    except TypeError as exc:
        raise input_error(f"protocol {name!r} parameters", "parameters it accepts",
                          params, hint=str(exc)) from exc
