"""What a registered pipeline is: :class:`PipelineSpec`, plus helpers to build pipelines."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.steps import PickChannels

__all__ = ["FAMILIES", "PipelineSpec", "picked", "signal_picks"]

FAMILIES = ("traditional", "deep", "spiking")


@dataclass(frozen=True)
class PipelineSpec:
    """How to build one registered pipeline.

    Attributes
    ----------
    name : str
    family : {"traditional", "deep", "spiking"}
    description : str
    build : callable
        ``build(info) -> estimator``; receives the data's :class:`SignalInfo`.
    kinds : tuple of str
        Data kinds accepted.
    tasks : tuple of str
        Tasks accepted (``"classification"``, ``"regression"``); ``build`` returns a
        classifier or a regressor according to ``info.task``.
    requires : tuple of str
        Keys that must be present in ``info.extra`` (e.g. ``"stim_freqs"`` for CCA).
    search_space : mapping
        The hyperparameters a tuned run searches, ``{param: spec}`` in
        :class:`~neurocompare.pipelines.common.tuning.OptunaSearch`'s format; empty when
        the pipeline has none. Part of a tuned run's result key: changing a space
        starts new results instead of resuming the stored ones.
    """

    name: str
    family: str
    description: str
    build: Callable[[SignalInfo], BaseEstimator]
    kinds: tuple[str, ...] = ("epochs",)
    tasks: tuple[str, ...] = ("classification",)
    requires: tuple[str, ...] = ()
    # excluded from the hash: a dict is unhashable, and name identifies the spec anyway
    search_space: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def applicable(self, info: SignalInfo) -> str:
        """Return ``""`` if the pipeline can run on data described by ``info``, else why not."""
        if info.kind not in self.kinds:
            return f"needs {' or '.join(self.kinds)} data, dataset has {info.kind}"
        if info.task not in self.tasks:
            return f"{' or '.join(self.tasks)} pipeline, dataset task is {info.task}"
        missing = [key for key in self.requires if key not in info.extra]
        return f"needs {', '.join(missing)} in the dataset info" if missing else ""


def signal_picks(info: SignalInfo) -> list[int] | None:
    """Channels a generic pipeline should use: the first channel group if the dataset stacks
    filter-bank copies of its channels (``info.extra["channel_groups"]``), else all."""
    groups = info.extra.get("channel_groups")
    return list(next(iter(groups.values()))) if groups else None


def picked(info: SignalInfo, *steps: tuple[str, BaseEstimator],
           every_group: bool = False) -> Pipeline:
    """A Pipeline that first keeps :func:`signal_picks` channels, then runs ``steps``.

    ``every_group=True`` keeps every channel the dataset provides, filter-bank copies
    included (the step stays, so a pipeline's structure is the same on every dataset): a
    network learns its own weighting of the groups, where a traditional feature extractor
    expects one set of channels.
    """
    picks = None if every_group else signal_picks(info)
    return Pipeline([("picks", PickChannels(picks)), *steps])
