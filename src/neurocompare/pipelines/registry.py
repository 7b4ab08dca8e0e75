"""The explicit pipeline registry.

Each entry is a :class:`PipelineSpec`: a name, a family (traditional, deep or spiking), a line
of description, the data kinds and tasks it accepts, and a ``build(info)`` function that
returns an unfitted scikit-learn estimator for data described by a
:class:`~neurocompare.data.containers.SignalInfo`. Nothing is discovered by scanning modules:
to add a pipeline, add a spec to :data:`PIPELINES` (and a test case; the completeness test
checks both). A pipeline's tuned hyperparameters are declared in its spec
(``search_space``); :func:`search_space_for` looks them up by label.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from neurocompare._errors import input_error
from neurocompare._spec import parse_choice
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.connectome.catalogue import CONNECTOME_SPECS
from neurocompare.pipelines.deep.catalogue import DEEP_SPECS
from neurocompare.pipelines.dti.catalogue import DTI_SPECS
from neurocompare.pipelines.eeg.catalogue import TRADITIONAL_SPECS
from neurocompare.pipelines.molecules.catalogue import MOLECULE_SPECS
from neurocompare.pipelines.molecules.deep_catalogue import MOLECULE_DEEP_SPECS
from neurocompare.pipelines.spec import FAMILIES, PipelineSpec
from neurocompare.pipelines.spiking.catalogue import SPIKING_SPECS
from neurocompare.pipelines.tabular.catalogue import TABULAR_SPECS
from neurocompare.pipelines.transfer.catalogue import TRANSFER_SPECS

__all__ = [
    "DEFAULT_PIPELINES",
    "FAMILIES",
    "PIPELINES",
    "PipelineSpec",
    "get_spec",
    "make_pipeline",
    "search_space_for",
]

_SPECS = [*TRADITIONAL_SPECS, *TRANSFER_SPECS, *DEEP_SPECS, *SPIKING_SPECS, *CONNECTOME_SPECS,
          *TABULAR_SPECS, *MOLECULE_SPECS, *MOLECULE_DEEP_SPECS, *DTI_SPECS]

#: name -> spec, in listing order.
PIPELINES: dict[str, PipelineSpec] = {spec.name: spec for spec in _SPECS}
#: Pipelines of a run when none are named: quick, one or more per family.
DEFAULT_PIPELINES: tuple[str, ...] = ("bandpower-lda", "csp-lda", "ts-lr", "shallow-convnet")


def get_spec(label: str) -> PipelineSpec:
    """Return the spec of ``label`` (``name`` or ``name:param=value,...``); the error lists
    the valid names."""
    name = parse_choice(label, "pipeline")[0]
    if name not in PIPELINES:
        raise input_error("pipeline", f"one of {list(PIPELINES)}", name,
                          hint="Run `neurocompare pipelines` to list them.")
    return PIPELINES[name]


def make_pipeline(label: str, info: SignalInfo) -> BaseEstimator:
    """Build the unfitted estimator for ``label`` on data described by ``info``.

    Parameters
    ----------
    label : str
        A registered name, optionally with parameter overrides in scikit-learn's nested
        notation: ``"shallow-convnet:net__max_epochs=30,net__lr=0.001"``.
    info : SignalInfo
    """
    spec = get_spec(label)
    reason = spec.applicable(info)
    if reason:
        raise input_error(f"pipeline {spec.name!r}", "data it can run on", reason)
    estimator = spec.build(info)
    overrides = parse_choice(label, "pipeline")[1]
    valid = estimator.get_params(deep=True)
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise input_error(f"pipeline {spec.name!r} parameters",
                          f"some of {sorted(k for k in valid if '__' in k)}", unknown)
    return estimator.set_params(**overrides)


def search_space_for(label: str) -> dict[str, Any]:
    """A copy of the search space of pipeline ``label`` (``name`` or ``name:overrides``).

    Empty when the pipeline declares no tuned hyperparameter or ``label`` names no registered
    pipeline (the runner validates names itself).
    """
    spec = PIPELINES.get(label.partition(":")[0])
    return dict(spec.search_space) if spec is not None else {}
