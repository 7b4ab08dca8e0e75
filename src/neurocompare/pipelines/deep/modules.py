"""Network builders: name -> function(n_chans, n_times, n_outputs, sfreq, **params) -> Module.

The braindecode models keep braindecode's architecture; only their temporal kernel and
pooling lengths, which braindecode specifies in samples for a reference sampling rate, are
rescaled to the data's sampling rate (and clamped to the epoch length), so that a 100 ms
kernel stays 100 ms at 128 Hz.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from neurocompare._errors import input_error

__all__ = ["MODULES", "build_module", "scaled"]


def scaled(samples_at_ref: int, sfreq: float | None, ref: float) -> int:
    """Rescale a length given in samples at ``ref`` Hz to ``sfreq`` Hz (at least 1)."""
    if sfreq is None:
        return samples_at_ref
    return max(1, round(samples_at_ref * sfreq / ref))


class ZeroPadChannels(nn.Module):
    """Append zero channels to (batch, n_chans, n_times) input up to ``n_chans`` channels."""

    def __init__(self, n_chans: int):
        super().__init__()
        self.n_chans = n_chans

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = self.n_chans - x.shape[1]
        return torch.cat([x, x.new_zeros(x.shape[0], pad, x.shape[2])], dim=1) if pad > 0 else x


def _braindecode():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import braindecode.models as models
    return models


def shallow(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
            **params: Any) -> nn.Module:
    """ShallowFBCSPNet (Schirrmeister et al. 2017); kernels defined at 250 Hz."""
    filt = min(scaled(25, sfreq, 250.0), n_times)
    pool = min(scaled(75, sfreq, 250.0), n_times - filt + 1)
    stride = max(1, min(scaled(15, sfreq, 250.0), pool))
    kwargs = {"filter_time_length": filt, "pool_time_length": pool,
              "pool_time_stride": stride} | params
    if n_chans == 1:
        # braindecode 1.8.1's merged time/space convolution squeezes away a single channel
        # ("self must be a matrix") and its unsplit variant fails to build; a zero second
        # channel gives exactly the single-channel function (its weights get no gradient).
        net = _braindecode().ShallowFBCSPNet(n_chans=2, n_outputs=n_outputs, n_times=n_times,
                                             sfreq=sfreq, **kwargs)
        return nn.Sequential(ZeroPadChannels(2), net)
    return _braindecode().ShallowFBCSPNet(n_chans=n_chans, n_outputs=n_outputs,
                                          n_times=n_times, sfreq=sfreq, **kwargs)


MODULES: dict[str, Callable[..., nn.Module]] = {
    "shallow": shallow,
}


def build_module(name: str, *, n_chans: int, n_times: int, n_outputs: int,
                 sfreq: float | None, **params: Any) -> nn.Module:
    """Build the network ``name`` for inputs of shape (n_chans, n_times).

    Parameters
    ----------
    name : str
        Key of :data:`MODULES`.
    n_chans, n_times : int
        Input signal shape.
    n_outputs : int
        Number of classes.
    sfreq : float, optional
        Sampling rate in Hz.
    **params
        Passed to the builder (override the defaults).
    """
    if name not in MODULES:
        raise input_error("model", f"one of {sorted(MODULES)}", name)
    return MODULES[name](n_chans=n_chans, n_times=n_times, n_outputs=n_outputs,
                         sfreq=sfreq, **params)
