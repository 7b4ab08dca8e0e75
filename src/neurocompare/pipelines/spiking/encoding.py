"""Input encodings for spiking networks and the SNN time axis.

The spiking networks of :mod:`.networks` take the standardised epoch (batch, n_chans,
n_times) that :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier` feeds every
network, and run their neurons along **the EEG time axis itself**: the epoch is average-pooled
in time (:func:`to_time_steps`) to about ``target_hz`` (64 Hz by default, one SNN step per
15.6 ms, 192 steps for a 3-s epoch) or to exactly ``time_steps`` steps, and each step's
sample is presented to the network once. No artificial repetition of a static input is
needed, and the number of steps is a parameter.

Three encodings turn the pooled signal into the network's input current, step by step:

=========== ============== ===========================================================
name        channels out   what each step carries
=========== ============== ===========================================================
``direct``  ``n_chans``    the analog sample itself (the first layer then does MACs)
``rate``    ``2 n_chans``  Bernoulli spikes, ON with probability ``clip(gain x, 0, 1)``
                           and OFF with probability ``clip(-gain x, 0, 1)``
``delta``   ``2 n_chans``  level-crossing (send-on-delta) events of the signal: ON when
                           it has risen ``threshold`` above the last event level, OFF
                           when it has fallen ``threshold`` below it
=========== ============== ===========================================================

``rate`` draws fresh spikes from the torch RNG while training (seeded by the classifier) and
uses one frozen noise field per (channel, step), drawn from ``seed``, in evaluation mode: a
trial's spikes are then the same in every call and do not depend on the other trials of its
batch. ``delta`` is deterministic. Both binary encodings make the first layer's synaptic
operations accumulates (ACs) instead of multiply-accumulates (MACs); see
:mod:`neurocompare.cost.ledger`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.deep.recurrent import pool_factor

__all__ = ["ENCODINGS", "DeltaEncoder", "DirectEncoder", "RateEncoder", "delta_events",
           "make_encoder", "n_time_steps", "to_time_steps"]

#: Encoding names accepted by :func:`make_encoder`.
ENCODINGS = ("direct", "rate", "delta")


def n_time_steps(n_times: int, sfreq: float | None, target_hz: float | None = 64.0,
                 time_steps: int | None = None) -> int:
    """Number of SNN steps for an epoch of ``n_times`` samples.

    Parameters
    ----------
    n_times : int
        Samples per epoch.
    sfreq : float, optional
        Sampling rate in Hz.
    target_hz : float, optional
        Wanted step rate when ``time_steps`` is None (average pooling by
        :func:`~neurocompare.pipelines.deep.recurrent.pool_factor`).
    time_steps : int, optional
        Exact number of steps (at most ``n_times``).

    Returns
    -------
    int
    """
    if time_steps is not None:
        if isinstance(time_steps, bool) or not isinstance(time_steps, int) or time_steps < 1:
            raise input_error("time_steps", "a positive integer or None", time_steps)
        return min(int(time_steps), n_times)
    return max(1, n_times // pool_factor(sfreq, target_hz, n_times))


def to_time_steps(x: torch.Tensor, steps: int) -> torch.Tensor:
    """Average-pool (batch, n_chans, n_times) to (batch, n_chans, steps) along time."""
    if steps == x.shape[-1]:
        return x
    if x.shape[-1] % steps == 0:
        factor = x.shape[-1] // steps
        return F.avg_pool1d(x, factor)
    return F.adaptive_avg_pool1d(x, steps)


class DirectEncoder(nn.Module):
    """The analog signal as input current (identity); ``channels_out(c) = c``."""

    @staticmethod
    def channels_out(n_chans: int) -> int:
        """Channels produced from ``n_chans`` input channels."""
        return n_chans

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x``, shape (batch, n_chans, steps)."""
        return x


class RateEncoder(nn.Module):
    """Bernoulli rate coding with ON/OFF polarity channels.

    Parameters
    ----------
    gain : float
        Probability per unit of (standardised) amplitude: ``p_on = clip(gain * x, 0, 1)``,
        ``p_off = clip(-gain * x, 0, 1)``. The default 1/3 reaches probability 1 at 3
        standard deviations.
    seed : int
        Seed of the frozen noise field used in evaluation mode.

    Notes
    -----
    Input (batch, n_chans, steps); output (batch, 2 n_chans, steps) of 0/1, ON channels
    first. The spike rate of a channel is the expected probability, so a constant amplitude
    ``a`` in [0, 1] (with ``gain=1``) gives ON spikes at rate ``a``.
    """

    def __init__(self, gain: float = 1 / 3, seed: int = 0):
        super().__init__()
        if not gain > 0:
            raise input_error("gain", "a positive number", gain)
        self.gain = float(gain)
        self.seed = int(seed)

    @staticmethod
    def channels_out(n_chans: int) -> int:
        """Channels produced from ``n_chans`` input channels."""
        return 2 * n_chans

    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """Spike probabilities, shape (batch, 2 n_chans, steps)."""
        return torch.cat([(self.gain * x).clamp(0, 1), (-self.gain * x).clamp(0, 1)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return 0/1 spikes, shape (batch, 2 n_chans, steps), in ``x``'s dtype."""
        p = self.probabilities(x)
        if self.training:
            return torch.bernoulli(p)
        generator = torch.Generator().manual_seed(self.seed)
        noise = torch.rand(p.shape[1:], generator=generator, dtype=torch.float64)
        return (noise.to(p.device) < p).to(p.dtype)


def delta_events(x: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Level-crossing (send-on-delta) ON/OFF events of ``x`` along its last axis.

    The event level starts at the first sample. At step ``t >= 1`` an ON event is emitted
    when ``x[t] - level >= threshold`` (the level then rises by ``threshold``), an OFF
    event when ``x[t] - level <= -threshold`` (it falls by ``threshold``); at most one event
    per step and channel, so a jump of several thresholds is spread over the next steps.

    Parameters
    ----------
    x : Tensor, shape (..., steps)
    threshold : float
        Level spacing (in the units of ``x``; standard deviations for standardised input).

    Returns
    -------
    on, off : Tensor, shape (..., steps)
        0/1 events in ``x``'s dtype; step 0 carries no event.
    """
    if not threshold > 0:
        raise input_error("threshold", "a positive level spacing", threshold)
    level = x[..., 0].clone()
    on, off = torch.zeros_like(x), torch.zeros_like(x)
    for t in range(1, x.shape[-1]):
        diff = x[..., t] - level
        up, down = diff >= threshold, diff <= -threshold
        on[..., t], off[..., t] = up.to(x.dtype), down.to(x.dtype)
        level = level + threshold * (up.to(x.dtype) - down.to(x.dtype))
    return on, off


class DeltaEncoder(nn.Module):
    """Level-crossing encoding of the signal's changes (:func:`delta_events`).

    Parameters
    ----------
    threshold : float
        Level spacing in standard deviations of the standardised input.

    Notes
    -----
    Input (batch, n_chans, steps); output (batch, 2 n_chans, steps) of 0/1, ON first.
    """

    def __init__(self, threshold: float = 0.3):
        super().__init__()
        if not threshold > 0:
            raise input_error("threshold", "a positive level spacing", threshold)
        self.threshold = float(threshold)

    @staticmethod
    def channels_out(n_chans: int) -> int:
        """Channels produced from ``n_chans`` input channels."""
        return 2 * n_chans

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return 0/1 events, shape (batch, 2 n_chans, steps)."""
        on, off = delta_events(x, self.threshold)
        return torch.cat([on, off], dim=1)


def make_encoder(encoding: str, *, rate_gain: float = 1 / 3, delta_threshold: float = 0.3,
                 seed: int = 0) -> nn.Module:
    """Build the encoder ``encoding`` (one of :data:`ENCODINGS`).

    Parameters
    ----------
    encoding : {"direct", "rate", "delta"}
    rate_gain : float
        :class:`RateEncoder` gain.
    delta_threshold : float
        :class:`DeltaEncoder` level spacing.
    seed : int
        :class:`RateEncoder` evaluation noise seed.
    """
    check_option("encoding", encoding, ENCODINGS)
    if encoding == "rate":
        return RateEncoder(rate_gain, seed)
    if encoding == "delta":
        return DeltaEncoder(delta_threshold)
    return DirectEncoder()
