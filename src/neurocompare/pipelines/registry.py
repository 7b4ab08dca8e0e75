"""The explicit pipeline registry.

Each entry is a :class:`PipelineSpec`: a name, a family (traditional, deep or spiking), a line
of description, the data kinds and tasks it accepts, and a ``build(info)`` function that
returns an unfitted scikit-learn estimator for data described by a
:class:`~neurocompare.data.containers.SignalInfo`. Nothing is discovered by scanning modules:
to add a pipeline, add a spec to :data:`PIPELINES` (and a test case; the completeness test
checks both).
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from neurocompare._errors import input_error
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.deep.estimator import DeepClassifier
from neurocompare.pipelines.spec import FAMILIES, PipelineSpec, picked
from neurocompare.pipelines.spectral import BandPower

__all__ = [
    "DEFAULT_PIPELINES",
    "FAMILIES",
    "PIPELINES",
    "PipelineSpec",
    "get_spec",
    "make_pipeline",
]

def _bandpower_lda(info: SignalInfo) -> BaseEstimator:
    return picked(info, ("bandpower", BandPower(sfreq=info.sfreq)),
                   ("lda", LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto")))


def _shallow(info: SignalInfo) -> BaseEstimator:
    return picked(info, ("net", DeepClassifier(model="shallow", sfreq=info.sfreq)))


_SPECS = [
    PipelineSpec("bandpower-lda", "traditional",
                 "log band power (delta..gamma, Welch) per channel -> shrinkage LDA",
                 _bandpower_lda),
    PipelineSpec("shallow-convnet", "deep",
                 "braindecode ShallowFBCSPNet, early stopping on a split of the training fold",
                 _shallow),
]

#: name -> spec, in listing order.
PIPELINES: dict[str, PipelineSpec] = {spec.name: spec for spec in _SPECS}
#: Pipelines of a run when none are named: quick, one or more per family.
DEFAULT_PIPELINES: tuple[str, ...] = ("bandpower-lda", "shallow-convnet")


def get_spec(name: str) -> PipelineSpec:
    """Return the spec registered as ``name`` (the error lists the valid names)."""
    if name not in PIPELINES:
        raise input_error("pipeline", f"one of {list(PIPELINES)}", name,
                          hint="Run `neurocompare pipelines` to list them.")
    return PIPELINES[name]


def make_pipeline(name: str, info: SignalInfo) -> BaseEstimator:
    """Build the unfitted estimator ``name`` for data described by ``info``."""
    spec = get_spec(name)
    reason = spec.applicable(info)
    if reason:
        raise input_error(f"pipeline {name!r}", "data it can run on", reason)
    return spec.build(info)
