"""Spiking networks of leaky integrate-and-fire (LIF) neurons, trained with surrogate gradients.

Both networks map a standardised epoch (batch, n_chans, n_times) to (batch, n_outputs)
logits, so :class:`SpikingClassifier` trains them on
:class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`'s path unchanged
(training-fold standardisation, early stopping on a split of the training fold, best-weights
restore, cosine learning rate, seeds, CUDA when available, float64 inference). The epoch is
pooled to the SNN time axis and encoded by :mod:`.encoding`; the neurons then run step by step
(backpropagation through time, BPTT), their Heaviside spike function given the arctan
surrogate gradient of Fang et al. (2021) (:class:`ATanSpike`).

``snn_conv`` (:class:`SpikingConvNet`)
    encoded input -> temporal-spatial convolution (``kernel_s`` = 0.25 s, ``n_filters``) ->
    batch norm -> LIF -> strided convolution on the spikes (to ~``pool_hz`` = 16 Hz,
    ``n_filters2``) -> batch norm -> LIF -> linear readout of the spikes at every step,
    averaged over steps (a non-spiking integrator output).
``snn_recurrent`` (:class:`RecurrentSNN`)
    encoded input -> linear (``hidden_size`` = 64, as the recurrent deep nets) -> recurrent
    LIF layer (``snntorch.RLeaky``, all-to-all recurrent linear weights on the previous
    step's spikes) -> linear readout at every step, averaged over steps.

Membrane decay per step ``beta`` = 0.5 in the convolutional net (time constant ~22 ms at
64 Hz: its first layer already filters in time, and with 0.9 and direct input it stayed near
chance on simulated MI) and 0.9 in the recurrent one (~150 ms, its only memory besides the
recurrent weights); threshold 1, reset by subtraction. Batch norms fold into the preceding
convolution at inference, so every layer after the input receives binary spikes: with
``rate`` or ``delta`` encoding all synaptic operations are accumulates; with ``direct``
encoding the first layer's are MACs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import snntorch as snn
import torch
from torch import nn

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.common.params import derived_params
from neurocompare.pipelines.deep.estimator import AUGMENTATION_PARAMS, DeepClassifier
from neurocompare.pipelines.spiking.encoding import (
    ENCODINGS,
    make_encoder,
    n_time_steps,
    to_time_steps,
)

__all__ = ["SPIKING_MODULES", "ATanSpike", "RecurrentSNN", "SpikingClassifier",
           "SpikingConvNet", "clear_state", "lif_neuron", "run_lif", "snn_conv",
           "snn_recurrent"]


class _ATan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        surrogate = ctx.alpha / 2 / (1 + (torch.pi / 2 * ctx.alpha * x) ** 2)
        return surrogate * grad, None


class ATanSpike:
    """Heaviside spike with the arctan surrogate gradient (snnTorch's ``surrogate.atan``).

    Unlike snnTorch's, the spikes keep the membrane's dtype, so a network converted to
    float64 for inference stays float64. A plain class (not a closure), so it pickles.

    Parameters
    ----------
    alpha : float
        Surrogate sharpness: ``dS/dU = alpha / 2 / (1 + (pi / 2 * alpha * U) ** 2)``.
    """

    def __init__(self, alpha: float = 2.0):
        self.alpha = float(alpha)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return _ATan.apply(x, self.alpha)


def _untracked(neuron: snn.SpikingNeuron) -> snn.SpikingNeuron:
    # snnTorch appends every neuron to a class-level list (used only for init_hidden=True
    # state resets); dropping it lets finished networks be garbage-collected.
    instances = snn.SpikingNeuron.instances
    for i in range(len(instances) - 1, -1, -1):
        if instances[i] is neuron:
            del instances[i]
    return neuron


def lif_neuron(beta: float = 0.9, threshold: float = 1.0, learn_beta: bool = False,
               alpha: float = 2.0) -> snn.Leaky:
    """An ``snntorch.Leaky`` LIF neuron (reset by subtraction, explicit state)."""
    return _untracked(snn.Leaky(beta=beta, threshold=threshold, spike_grad=ATanSpike(alpha),
                                learn_beta=learn_beta, reset_mechanism="subtract"))


def clear_state(module: nn.Module) -> None:
    """Drop the membrane/spike state snnTorch neurons keep after a forward pass.

    The state would hold the last batch's autograd graph (and block ``copy.deepcopy``).
    """
    for layer in module.modules():
        if isinstance(layer, snn.SpikingNeuron):
            for name in ("mem", "spk"):
                if name in layer._buffers:
                    layer._buffers[name] = torch.zeros(0)
            layer.__dict__.pop("reset", None)


def run_lif(neuron: snn.Leaky, current: torch.Tensor, mem: torch.Tensor | None = None
            ) -> torch.Tensor:
    """Run ``neuron`` over the last axis of ``current``.

    Parameters
    ----------
    neuron : snntorch.Leaky
    current : Tensor, shape (batch, n_units, steps)
    mem : Tensor, shape (batch, n_units), optional
        Initial membrane potential (zeros by default).

    Returns
    -------
    Tensor, shape (batch, n_units, steps)
        0/1 spikes.
    """
    mem = torch.zeros_like(current[..., 0]) if mem is None else mem
    spikes = []
    for t in range(current.shape[-1]):
        spk, mem = neuron(current[..., t], mem)
        spikes.append(spk)
    return torch.stack(spikes, dim=-1)


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise input_error(name, "a positive integer", value)
    return value


class SpikingConvNet(nn.Module):
    """Convolutional SNN over the EEG time axis (see the module docstring).

    Parameters
    ----------
    n_chans, n_outputs : int
        Input channels and classes.
    steps : int
        SNN time steps (the epoch is average-pooled to this length).
    encoder : nn.Module
        One of :mod:`.encoding`'s encoders.
    kernel, stride2 : int
        First kernel length (made odd, at most ``steps``) and second-layer kernel = stride,
        in steps.
    n_filters, n_filters2 : int
        Channels of the two spiking layers.
    beta, threshold : float
        LIF decay per step and firing threshold.
    learn_beta : bool
        Learn one decay per layer.
    dropout : float
        Dropout on the second layer's spikes while training.

    Notes
    -----
    Input (batch, n_chans, n_times); output (batch, n_outputs) logits.
    """

    def __init__(self, n_chans: int, n_outputs: int, steps: int, encoder: nn.Module,
                 kernel: int = 16, n_filters: int = 16, stride2: int = 4,
                 n_filters2: int = 32, beta: float = 0.5, threshold: float = 1.0,
                 learn_beta: bool = False, dropout: float = 0.25):
        super().__init__()
        for name, value in (("steps", steps), ("kernel", kernel), ("n_filters", n_filters),
                            ("stride2", stride2), ("n_filters2", n_filters2)):
            _positive_int(name, value)
        self.steps = steps
        self.encoder = encoder
        c_in = encoder.channels_out(n_chans)
        kernel = min(kernel, steps)
        kernel -= 1 - kernel % 2  # odd: "same" padding is then symmetric (centred kernel)
        self.conv1 = nn.Conv1d(c_in, n_filters, kernel, padding="same", bias=False)
        self.bn1 = nn.BatchNorm1d(n_filters)
        self.lif1 = lif_neuron(beta, threshold, learn_beta)
        stride2 = min(stride2, steps)
        self.conv2 = nn.Conv1d(n_filters, n_filters2, stride2, stride=stride2, bias=False)
        self.bn2 = nn.BatchNorm1d(n_filters2)
        self.lif2 = lif_neuron(beta, threshold, learn_beta)
        self.drop = nn.Dropout(dropout)
        self.readout = nn.Linear(n_filters2, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (batch, n_outputs), from ``x`` of shape (batch, n_chans, n_times)."""
        x = self.encoder(to_time_steps(x, self.steps))
        spikes1 = run_lif(self.lif1, self.bn1(self.conv1(x)))
        spikes2 = run_lif(self.lif2, self.bn2(self.conv2(spikes1)))
        out = self.readout(self.drop(spikes2.transpose(1, 2)))  # (batch, steps2, n_outputs)
        clear_state(self)
        return out.mean(dim=1)


class RecurrentSNN(nn.Module):
    """Recurrent SNN: linear input -> ``snntorch.RLeaky`` -> linear readout (module docstring).

    Parameters
    ----------
    n_chans, n_outputs : int
        Input channels and classes.
    steps : int
        SNN time steps.
    encoder : nn.Module
        One of :mod:`.encoding`'s encoders.
    hidden_size : int
        Recurrent LIF neurons.
    beta, threshold : float
        LIF decay per step and firing threshold.
    learn_beta : bool
        Learn the decay.
    dropout : float
        Dropout on the spikes before the readout while training.

    Notes
    -----
    Input (batch, n_chans, n_times); output (batch, n_outputs) logits.
    """

    def __init__(self, n_chans: int, n_outputs: int, steps: int, encoder: nn.Module,
                 hidden_size: int = 64, beta: float = 0.9, threshold: float = 1.0,
                 learn_beta: bool = False, dropout: float = 0.25):
        super().__init__()
        _positive_int("steps", steps)
        _positive_int("hidden_size", hidden_size)
        self.steps = steps
        self.encoder = encoder
        self.fc_in = nn.Linear(encoder.channels_out(n_chans), hidden_size)
        self.rlif = _untracked(snn.RLeaky(beta=beta, threshold=threshold,
                                          linear_features=hidden_size, all_to_all=True,
                                          spike_grad=ATanSpike(), learn_beta=learn_beta,
                                          reset_mechanism="subtract"))
        self.drop = nn.Dropout(dropout)
        self.readout = nn.Linear(hidden_size, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (batch, n_outputs), from ``x`` of shape (batch, n_chans, n_times)."""
        x = self.encoder(to_time_steps(x, self.steps))
        current = self.fc_in(x.transpose(1, 2))  # (batch, steps, hidden)
        spk = torch.zeros_like(current[:, 0])
        mem = torch.zeros_like(current[:, 0])
        spikes = []
        for t in range(current.shape[1]):
            spk, mem = self.rlif(current[:, t], spk, mem)
            spikes.append(spk)
        out = self.readout(self.drop(torch.stack(spikes, dim=1)))
        clear_state(self)
        return out.mean(dim=1)


def _step_rate(n_times: int, steps: int, sfreq: float | None) -> float | None:
    return None if sfreq is None else steps * sfreq / n_times


def _encoder_and_steps(n_times: int, sfreq: float | None, params: dict[str, Any]):
    steps = n_time_steps(n_times, sfreq, params.pop("target_hz", 64.0),
                         params.pop("time_steps", None))
    encoder = make_encoder(params.pop("encoding", "direct"),
                           rate_gain=params.pop("rate_gain", 1 / 3),
                           delta_threshold=params.pop("delta_threshold", 0.3),
                           seed=params.pop("seed", 0))
    return encoder, steps


def snn_conv(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
             **params: Any) -> nn.Module:
    """:class:`SpikingConvNet`; ``kernel_s`` (0.25 s) and ``pool_hz`` (16 Hz) set the kernel
    and the second layer's stride from the step rate, ``encoding``, ``time_steps``,
    ``target_hz``, ``rate_gain``, ``delta_threshold`` and ``seed`` the input (:mod:`.encoding`).
    """
    encoder, steps = _encoder_and_steps(n_times, sfreq, params)
    rate = _step_rate(n_times, steps, sfreq)
    kernel_s, pool_hz = params.pop("kernel_s", 0.25), params.pop("pool_hz", 16.0)
    if rate is not None:
        params.setdefault("kernel", max(1, round(kernel_s * rate)))
        params.setdefault("stride2", max(1, round(rate / pool_hz)))
    return SpikingConvNet(n_chans, n_outputs, steps, encoder, **params)


def snn_recurrent(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
                  **params: Any) -> nn.Module:
    """:class:`RecurrentSNN`; input parameters as :func:`snn_conv`."""
    encoder, steps = _encoder_and_steps(n_times, sfreq, params)
    return RecurrentSNN(n_chans, n_outputs, steps, encoder, **params)


#: Spiking network builders, same signature as :data:`~neurocompare.pipelines.deep.modules.MODULES`.
SPIKING_MODULES: dict[str, Callable[..., nn.Module]] = {"snn_conv": snn_conv,
                                                        "snn_recurrent": snn_recurrent}


@derived_params(DeepClassifier, drop=AUGMENTATION_PARAMS, model="snn_conv", encoding="direct",
                time_steps=None)
class SpikingClassifier(DeepClassifier):
    """:class:`~neurocompare.pipelines.deep.estimator.DeepClassifier` for the spiking networks.

    Same parameters, training path and attributes, plus two dedicated input parameters.

    Parameters
    ----------
    model : {"snn_conv", "snn_recurrent"}
        Network of :data:`SPIKING_MODULES`.
    encoding : {"direct", "rate", "delta"}
        Input encoding (:mod:`.encoding`).
    time_steps : int, optional
        SNN time steps (the epoch is average-pooled to this many); default: pooled to about
        64 Hz (``model_params={"target_hz": ...}`` changes the rate).
    **others
        As :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`. The rate
        encoder's evaluation noise is seeded by ``random_state``.
    """

    modules = SPIKING_MODULES

    def _validate_params(self) -> None:
        super()._validate_params()
        check_option("encoding", self.encoding, ENCODINGS)
        if self.time_steps is not None:
            _positive_int("time_steps", self.time_steps)
        clash = {"encoding", "time_steps", "seed"} & set(self.model_params or {})
        if clash:
            raise input_error("model_params", "no keys that have their own parameter",
                              sorted(clash), hint="Set encoding/time_steps directly.")

    def _build_network(self, n_chans: int, n_times: int, n_outputs: int) -> nn.Module:
        params = {"encoding": self.encoding, "time_steps": self.time_steps,
                  "seed": int(self.random_state)} | dict(self.model_params or {})
        return self.modules[self.model](n_chans=n_chans, n_times=n_times, n_outputs=n_outputs,
                                        sfreq=self.sfreq, **params)
