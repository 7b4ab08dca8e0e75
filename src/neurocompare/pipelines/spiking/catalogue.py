"""The spiking pipelines: one :class:`PipelineSpec` per network, in :data:`SPIKING_SPECS`.

Every pipeline is ``picked(info, ("net", classifier))`` like the deep ones, and its classifier
subclasses :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`, so it is trained
the same way (training-fold standardisation, AdamW, cosine schedule, early stopping on a
stratified 20 % split of the training fold, best weights restored, seeded).

====================== ============================ ========== ===== ====== ========
pipeline               classifier / network         max_epochs batch lr     patience
====================== ============================ ========== ===== ====== ========
``snn-conv``           SpikingClassifier snn_conv   100        64    1e-3   20
``snn-recurrent``      SpikingClassifier            100        64    1e-3   20
                       snn_recurrent
``ann2snn``            ANN2SNNClassifier relu_cnn   100        64    1e-3   20
====================== ============================ ========== ===== ====== ========

Input encodings and steps are parameters: ``snn-conv:net__encoding='rate'``,
``snn-recurrent:net__encoding='direct'``, ``snn-conv:net__time_steps=96``,
``ann2snn:net__time_steps=32``, ``snn-conv:net__model_params={'beta':0.9}``. ``snn-conv``
defaults to direct encoding; ``snn-recurrent`` to delta encoding (on simulated MI, 4
subjects, its direct version reached 0.56 and the delta one 0.69: see
``benchmarks/results/recurrent_comparison.md``); ``ann2snn`` presents the epoch as constant
input for 64 steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.base import BaseEstimator

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.spec import PipelineSpec, picked
from neurocompare.pipelines.spiking.conversion import ANN2SNNClassifier
from neurocompare.pipelines.spiking.networks import SpikingClassifier

__all__ = ["SPIKING_SPECS", "TRAINING"]

#: Training settings shared by the spiking pipelines (classifier keyword arguments).
TRAINING: dict[str, Any] = {"max_epochs": 100, "batch_size": 64, "lr": 1e-3, "patience": 20}


def _spiking(model: str, encoding: str) -> Callable[[SignalInfo], BaseEstimator]:
    def build(info: SignalInfo) -> BaseEstimator:
        return picked(info, ("net", SpikingClassifier(model=model, encoding=encoding,
                                                      sfreq=info.sfreq, **TRAINING)))
    build.__name__ = f"build_{model}"
    return build


def _ann2snn(info: SignalInfo) -> BaseEstimator:
    return picked(info, ("net", ANN2SNNClassifier(sfreq=info.sfreq, time_steps=64,
                                                  **TRAINING)))


SPIKING_SPECS: list[PipelineSpec] = [
    PipelineSpec("snn-conv", "spiking",
                 "convolutional LIF SNN on the EEG time axis (64 Hz): conv -> LIF -> strided "
                 "conv -> LIF -> linear readout; surrogate-gradient BPTT; encoding direct "
                 "(net__encoding: direct, rate, delta)", _spiking("snn_conv", "direct")),
    PipelineSpec("snn-recurrent", "spiking",
                 "recurrent LIF SNN on the EEG time axis (64 Hz): linear -> 64 RLeaky neurons "
                 "with all-to-all recurrent weights -> linear readout; surrogate-gradient "
                 "BPTT; encoding delta (net__encoding)", _spiking("snn_recurrent", "delta")),
    PipelineSpec("ann2snn", "spiking",
                 "ReLU CNN (the snn-conv topology) trained as a deep net, converted to "
                 "integrate-and-fire neurons with thresholds balanced on the training fold; "
                 "64 simulation steps (net__time_steps)", _ann2snn),
]
