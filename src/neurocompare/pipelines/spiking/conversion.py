"""ANN-to-SNN conversion: train a ReLU CNN, run it as integrate-and-fire (IF) neurons.

:class:`ANN2SNNClassifier` trains :class:`ReluCNN` on
:class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`'s path (same standardisation,
early stopping, seeds), then converts it (:func:`convert`) with **threshold balancing**
(data-based normalisation; Diehl et al. 2015, Rueckauer et al. 2017, Sengupta et al. 2019):

* ``lambda_l``, the ``percentile`` (99.9 %, Rueckauer's robust maximum) of layer ``l``'s ReLU
  activations over the **training fold** (the rows the ANN was trained on; never test data),
  becomes the firing threshold of the IF neurons replacing that ReLU;
* the next layer's weights are multiplied by ``lambda_l`` so that a binary spike carries the
  activation ``lambda_l`` (biases unchanged); the output layer does not spike and its
  potential averaged over the ``time_steps`` steps is the logit.

An IF neuron with threshold ``lambda`` and constant input current ``I`` fires at rate
``clip(I / lambda, 0, 1)`` (reset by subtraction), so the spike rates approximate the ReLU
activations divided by ``lambda`` and the logits approach the ANN's as ``time_steps`` grows
(:func:`accuracy_vs_time_steps`). Membranes start at half the threshold (Bu et al. 2022),
which halves the quantisation error of short simulations. The epoch is the constant input
(direct encoding): the first layer's current is computed once and injected at every step,
so its MACs do not grow with ``time_steps``; every later layer receives spikes (ACs).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from torch import nn

from neurocompare._errors import input_error
from neurocompare.cost.energy import energy_estimate
from neurocompare.cost.macs import count_macs
from neurocompare.cost.networks import network_ledger
from neurocompare.pipelines.common.params import derived_params
from neurocompare.pipelines.deep.estimator import AUGMENTATION_PARAMS, DeepClassifier
from neurocompare.pipelines.spiking.encoding import n_time_steps, to_time_steps
from neurocompare.pipelines.spiking.networks import clear_state, lif_neuron

__all__ = [
    "CONVERSION_MODULES",
    "ANN2SNNClassifier",
    "ConvertedSNN",
    "ReluCNN",
    "accuracy_vs_time_steps",
    "calibrate",
    "convert",
    "relu_cnn",
]


class ReluCNN(nn.Module):
    """The convolutional ANN that :func:`convert` turns into an SNN.

    Same topology as :class:`~neurocompare.pipelines.spiking.networks.SpikingConvNet`:
    pool to ``steps`` -> Conv1d (``kernel``, "same") -> ReLU -> Conv1d (kernel = stride =
    ``stride2``) -> ReLU -> dropout -> linear readout at every step, averaged over steps
    (global average pooling then linear, written so that the readout reads the spikes). No
    batch norm (it would have to be folded before conversion) and no pooling layer (the
    strided convolution takes its place), so every layer after the first receives spikes
    once converted.

    Notes
    -----
    Input (batch, n_chans, n_times); output (batch, n_outputs) logits.
    """

    def __init__(self, n_chans: int, n_outputs: int, steps: int, kernel: int = 17,
                 n_filters: int = 16, stride2: int = 4, n_filters2: int = 32,
                 dropout: float = 0.25):
        super().__init__()
        self.steps = steps
        kernel = min(kernel, steps)
        kernel -= 1 - kernel % 2
        stride2 = min(stride2, steps)
        self.conv1 = nn.Conv1d(n_chans, n_filters, kernel, padding="same")
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv1d(n_filters, n_filters2, stride2, stride=stride2)
        self.relu2 = nn.ReLU()
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(n_filters2, n_outputs)

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The two ReLU outputs, shapes (batch, n_filters, steps), (batch, n_filters2, steps2)."""
        a1 = self.relu1(self.conv1(to_time_steps(x, self.steps)))
        return [a1, self.relu2(self.conv2(a1))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (batch, n_outputs)."""
        return self.fc(self.drop(self.hidden(x)[1].transpose(1, 2))).mean(dim=1)


def relu_cnn(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
             **params: Any) -> nn.Module:
    """:class:`ReluCNN` on the 64-Hz time axis (``target_hz``, ``time_axis_steps`` change it);
    ``kernel_s`` (0.25 s) and ``pool_hz`` (16 Hz) as in the spiking conv net."""
    steps = n_time_steps(n_times, sfreq, params.pop("target_hz", 64.0),
                         params.pop("time_axis_steps", None))
    kernel_s, pool_hz = params.pop("kernel_s", 0.25), params.pop("pool_hz", 16.0)
    if sfreq is not None:
        rate = steps * sfreq / n_times
        params.setdefault("kernel", max(1, round(kernel_s * rate)))
        params.setdefault("stride2", max(1, round(rate / pool_hz)))
    return ReluCNN(n_chans, n_outputs, steps, **params)


#: The ANN builder of :class:`ANN2SNNClassifier`.
CONVERSION_MODULES: dict[str, Callable[..., nn.Module]] = {"relu_cnn": relu_cnn}


class ConvertedSNN(nn.Module):
    """IF-neuron version of a trained :class:`ReluCNN` (see the module docstring).

    Parameters
    ----------
    ann : ReluCNN
        The trained network (copied; not modified).
    thresholds : sequence of 2 float
        ``lambda_1, lambda_2``: firing thresholds of the two hidden layers.
    time_steps : int
        Simulation steps per prediction.
    mem_init : float
        Initial membrane potential as a fraction of the threshold.

    Notes
    -----
    Input (batch, n_chans, n_times); output (batch, n_outputs): the output layer's
    potential averaged over the steps (approximately the ANN's logits).
    """

    def __init__(self, ann: ReluCNN, thresholds: Sequence[float], time_steps: int,
                 mem_init: float = 0.5):
        super().__init__()
        lam1, lam2 = (float(t) for t in thresholds)
        self.steps, self.time_steps, self.mem_init = ann.steps, int(time_steps), mem_init
        self.conv1 = copy.deepcopy(ann.conv1)
        self.conv2 = copy.deepcopy(ann.conv2)
        self.fc = copy.deepcopy(ann.fc)
        with torch.no_grad():
            self.conv2.weight.mul_(lam1)
            self.fc.weight.mul_(lam2)
        self.if1 = lif_neuron(beta=1.0, threshold=lam1)
        self.if2 = lif_neuron(beta=1.0, threshold=lam2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Averaged output potential, shape (batch, n_outputs)."""
        current1 = self.conv1(to_time_steps(x, self.steps))  # constant: computed once
        mem1 = torch.full_like(current1, self.mem_init) * self.if1.threshold
        mem2, total = None, 0.0
        for _ in range(self.time_steps):
            spikes1, mem1 = self.if1(current1, mem1)
            current2 = self.conv2(spikes1)
            if mem2 is None:
                mem2 = torch.full_like(current2, self.mem_init) * self.if2.threshold
            spikes2, mem2 = self.if2(current2, mem2)
            total = total + self.fc(spikes2.transpose(1, 2)).mean(dim=1)
        clear_state(self)
        return total / self.time_steps


def calibrate(ann: ReluCNN, X: np.ndarray, percentile: float = 99.9,
              batch_size: int = 256) -> np.ndarray:
    """Threshold of each hidden layer: a percentile of its ReLU activations on ``X``.

    Parameters
    ----------
    ann : ReluCNN
        Trained network (evaluation mode is used).
    X : ndarray, shape (n_trials, n_channels, n_times)
        Standardised **training** epochs.
    percentile : float
        In (0, 100]; 100 is the maximum activation (Diehl et al. 2015).

    Returns
    -------
    ndarray, shape (2,)
        ``lambda_1, lambda_2`` (1.0 for a layer that never activates).
    """
    if not 0 < percentile <= 100:
        raise input_error("percentile", "a percentile in (0, 100]", percentile)
    ann = ann.eval()
    layers: list[list[np.ndarray]] = [[], []]
    parameter = next(ann.parameters())
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            batch = torch.as_tensor(X[i:i + batch_size], dtype=parameter.dtype,
                                    device=parameter.device)
            for store, act in zip(layers, ann.hidden(batch), strict=True):
                store.append(act.flatten().cpu().numpy())
    out = [float(np.percentile(np.concatenate(acts), percentile)) for acts in layers]
    return np.array([value if value > 0 else 1.0 for value in out])


def convert(ann: ReluCNN, thresholds: Sequence[float], time_steps: int) -> ConvertedSNN:
    """The :class:`ConvertedSNN` of ``ann`` (evaluation mode, on ``ann``'s device)."""
    return ConvertedSNN(ann, thresholds, time_steps).eval()


@derived_params(DeepClassifier, drop=AUGMENTATION_PARAMS, model="relu_cnn", time_steps=64,
                percentile=99.9)
class ANN2SNNClassifier(DeepClassifier):
    """Train a ReLU CNN like any deep pipeline, predict with its converted IF-neuron SNN.

    Parameters
    ----------
    model : {"relu_cnn"}
        The ANN of :data:`CONVERSION_MODULES`.
    time_steps : int
        Simulation steps of the converted SNN per prediction.
    percentile : float
        Activation percentile used as each layer's threshold (:func:`calibrate`).
    **others
        As :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`.

    Attributes
    ----------
    ann_ : ReluCNN
        The trained ANN.
    thresholds_ : ndarray, shape (2,)
        Thresholds found on the training rows.
    module_ : ConvertedSNN
        The converted network used by ``predict``; ``n_params_`` and ``macs_`` refer to it
        (``macs_`` counts every step's layers as dense MACs).
    """

    modules = CONVERSION_MODULES

    def _validate_params(self) -> None:
        super()._validate_params()
        if isinstance(self.time_steps, bool) or not isinstance(self.time_steps, int) \
                or self.time_steps < 1:
            raise input_error("time_steps", "a positive integer", self.time_steps)
        if isinstance(self.percentile, bool) or not isinstance(self.percentile, (int, float)) \
                or not 0 < self.percentile <= 100:
            raise input_error("percentile", "a percentile in (0, 100]", self.percentile)

    def _train(self, X: np.ndarray, codes: np.ndarray, train_idx: np.ndarray,
               valid_idx: np.ndarray, device: torch.device) -> None:
        super()._train(X, codes, train_idx, valid_idx, device)
        self.ann_ = self.module_
        self.thresholds_ = calibrate(self.ann_, X[train_idx], float(self.percentile))
        self.module_ = convert(self.ann_, self.thresholds_, self.time_steps)
        self.macs_ = count_macs(self.module_, (1, *X.shape[1:]))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(BaseEstimator.__getstate__(self))
        for key in ("ann_", "module_"):
            if isinstance(state.get(key), nn.Module):
                state[key] = {k: v.detach().clone() for k, v in state[key].state_dict().items()}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        BaseEstimator.__setstate__(self, state)
        weights = self.__dict__.get("ann_")
        if isinstance(weights, Mapping):
            n_chans, n_times = (1, *self.signal_shape_) if len(self.signal_shape_) == 1 \
                else self.signal_shape_
            with torch.random.fork_rng(devices=[]):
                ann = self._build_network(n_chans, n_times, len(self.classes_))
            ann.load_state_dict(weights)
            self.ann_ = ann.eval()
            snn = convert(ann, self.thresholds_, self.time_steps)
            snn.load_state_dict(self.__dict__["module_"])
            self.module_ = snn


def _final(estimator: BaseEstimator, X) -> tuple[ANN2SNNClassifier, Any]:
    if isinstance(estimator, Pipeline):
        return estimator.steps[-1][1], estimator[:-1].transform(X)
    return estimator, X


def _ledger(final: ANN2SNNClassifier, sample) -> dict[str, float]:
    # the network's own counts: the leaf cost modules, not the ledger, which imports every
    # pipeline family to count the traditional steps
    out = network_ledger(final, sample)
    return {"synaptic_macs": float(out["synaptic_macs"]),
            "synaptic_acs": float(out["synaptic_acs"])}


def accuracy_vs_time_steps(estimator: BaseEstimator, X, y,
                           time_steps: Sequence[int] = (4, 8, 16, 32, 64, 128, 256)
                           ) -> list[dict[str, Any]]:
    """Accuracy of a fitted conversion pipeline's SNN at several simulation lengths.

    Parameters
    ----------
    estimator : ANN2SNNClassifier or Pipeline ending in one
        Fitted.
    X : array-like, shape (n_trials, n_channels, n_times)
        Evaluation epochs (e.g. a test fold).
    y : array-like, shape (n_trials,)
    time_steps : sequence of int
        Simulation lengths to evaluate (the fitted ``time_steps`` is restored afterwards).

    Returns
    -------
    list of dict
        One row per length, then one for the ANN (``time_steps`` None): ``time_steps``,
        ``accuracy``, ``agreement`` (fraction of predictions equal to the ANN's) and the
        operation ledger of one prediction (``synaptic_macs``, ``synaptic_acs``,
        ``energy_j``; the network's :func:`~neurocompare.cost.networks.network_ledger`, as
        :func:`neurocompare.cost.ledger.operation_ledger` counts a network step).
    """
    final, Xt = _final(estimator, X)
    if not isinstance(final, ANN2SNNClassifier):
        raise input_error("estimator", "a fitted ANN2SNNClassifier (or a pipeline ending in one)",
                          type(final).__name__)
    y = np.asarray(y)
    snn, fitted_steps = final.module_, final.module_.time_steps
    sample = Xt[:16]
    try:
        final.module_ = final.ann_
        ann_pred = final.predict(Xt)
        rows = []
        ann_ledger = _ledger(final, sample)
        for steps in [*time_steps, None]:
            if steps is not None:
                final.module_ = snn
                snn.time_steps = int(steps)
                pred, ledger = final.predict(Xt), _ledger(final, sample)
            else:
                final.module_, pred, ledger = final.ann_, ann_pred, ann_ledger
            rows.append({"time_steps": steps, "accuracy": float(np.mean(pred == y)),
                         "agreement": float(np.mean(pred == ann_pred)),
                         "synaptic_macs": ledger["synaptic_macs"],
                         "synaptic_acs": ledger["synaptic_acs"],
                         "energy_j": energy_estimate(ledger)})
    finally:
        snn.time_steps = fitted_steps
        final.module_ = snn
    return rows
