"""Network builders: name -> function(n_chans, n_times, n_outputs, sfreq, **params) -> Module.

The braindecode models keep braindecode's architecture; only their temporal kernel and
pooling lengths, which braindecode specifies in samples for a reference sampling rate, are
rescaled to the data's sampling rate (and clamped to the epoch length), so that a 100 ms
kernel stays 100 ms at 128 Hz. The recurrent networks (``rnn``, ``lstm``, ``gru``,
``bilstm``) live in :mod:`.recurrent` and the CNN-LSTM with attention in :mod:`.hybrid`.
Every network maps (batch, n_chans, n_times) to (batch, n_outputs) logits.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from neurocompare._errors import input_error
from neurocompare.pipelines.deep import hybrid, recurrent

__all__ = ["MODULES", "MeanOverTime", "build_module", "deep4", "deep4_min_times", "eegnet",
           "scaled", "shallow"]

#: Final-layer lengths of braindecode's cropped-decoding example
#: (``plot_bcic_iv_2a_moabb_cropped``): in pooled time steps for ShallowFBCSPNet, in the
#: last block's steps for Deep4Net.
CROPPED_FINAL = {"shallow": 30, "deep4": 2}


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


class MeanOverTime(nn.Module):
    """Average dense predictions (batch, n_outputs, n_preds) into one logit vector per trial.

    Cropped decoding (Schirrmeister et al. 2017; braindecode's ``CroppedLoss``): a network
    made dense (strides replaced by dilations, ``to_dense_prediction_model``) predicts the
    class of every crop its receptive field covers; the trial's logits are their mean, and
    the loss on that mean trains all crops at once.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], x.shape[1], -1).mean(dim=2)


def _assemble(model: nn.Module, pad: bool, cropped: bool) -> nn.Module:
    """A braindecode ``model``, after zero-padding one channel to two when ``pad``, made a
    dense-prediction model with its crops averaged when ``cropped``."""
    parts = [ZeroPadChannels(2)] if pad else []
    if cropped:
        model.to_dense_prediction_model()
        return nn.Sequential(*parts, model, MeanOverTime())
    return nn.Sequential(*parts, model) if parts else model


def _braindecode():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import braindecode.models as models
    return models


def shallow(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
            cropped: bool = False, **params: Any) -> nn.Module:
    """ShallowFBCSPNet (Schirrmeister et al. 2017); kernels defined at 250 Hz.

    ``cropped=True`` builds braindecode's cropped-decoding variant: a final layer of
    :data:`CROPPED_FINAL` pooled steps (about 2.1 s receptive field at any rate, fewer steps
    when the epoch is shorter), made dense, crops averaged (:class:`MeanOverTime`).
    """
    filt = min(scaled(25, sfreq, 250.0), n_times)
    pool = min(scaled(75, sfreq, 250.0), n_times - filt + 1)
    stride = max(1, min(scaled(15, sfreq, 250.0), pool))
    kwargs = {"filter_time_length": filt, "pool_time_length": pool,
              "pool_time_stride": stride}
    if cropped:
        pooled = (n_times - filt + 1 - pool) // stride + 1
        kwargs["final_conv_length"] = max(1, min(CROPPED_FINAL["shallow"], pooled))
    kwargs |= params
    # braindecode 1.8.1's merged time/space convolution squeezes away a single channel
    # ("self must be a matrix") and its unsplit variant fails to build; a zero second
    # channel gives exactly the single-channel function (its weights get no gradient).
    model = _braindecode().ShallowFBCSPNet(n_chans=max(2, n_chans), n_outputs=n_outputs,
                                           n_times=n_times, sfreq=sfreq, **kwargs)
    return _assemble(model, n_chans == 1, cropped)


def _quiet(factory: Callable[..., nn.Module], **kwargs: Any) -> nn.Module:
    """Build a braindecode model with its construction-time deprecation notices silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return factory(**kwargs)


def eegnet(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
           **params: Any) -> nn.Module:
    """EEGNet (Lawhern et al. 2018), braindecode's ``EEGNet``; lengths defined at 128 Hz.

    The temporal kernel (64 samples = 0.5 s) and the first pooling (4 samples, to 32 Hz) are
    rescaled to ``sfreq``, so the depthwise kernel (16 samples after pooling) keeps spanning
    0.5 s. For short epochs the kernel is clamped to ``n_times`` and the poolings to the
    length that reaches them (at least one output time step remains).
    """
    # braindecode probes the output shape with one training-mode sample, so every batch norm
    # must see at least 2 time steps: an even kernel pads a 1-step input to 2 steps.
    kernel = max(2, min(scaled(64, sfreq, 128.0), n_times))
    length = n_times + 2 * (kernel // 2) - kernel + 1  # "same"-padded temporal conv
    pool1 = max(1, min(scaled(4, sfreq, 128.0), length // 2))
    length //= pool1
    depth = max(2, min(16, length))
    length = length + 2 * (depth // 2) - depth + 1
    kwargs = {"kernel_length": kernel, "pool1_kernel_size": pool1,
              "depthwise_kernel_length": depth, "pool2_kernel_size": min(8, length)} | params
    return _quiet(_braindecode().EEGNet, n_chans=n_chans, n_outputs=n_outputs,
                  n_times=n_times, sfreq=sfreq, **kwargs)


def deep4_min_times(filter_lengths: tuple[int, ...], pool: int, stride: int,
                    final: int = 1) -> int:
    """Shortest input Deep4Net accepts with these temporal kernel and pooling lengths and a
    final layer of ``final`` steps."""
    length = final
    for filt in reversed(filter_lengths):
        length = stride * (length - 1) + pool + filt - 1
    return length


def deep4(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
          cropped: bool = False, **params: Any) -> nn.Module:
    """Deep4Net (Schirrmeister et al. 2017); kernels defined at 250 Hz.

    The four temporal kernels (10 samples = 40 ms at 250 Hz) are rescaled to ``sfreq``
    (5 samples at 128 Hz). The pooling (3, stride 3) is kept: an integer factor per block,
    so each block's kernel spans the same duration as in the original at any rate. The
    minimum input is then :func:`deep4_min_times` samples (441 at 250 Hz, 241 = 1.9 s at
    128 Hz). Shorter epochs get all lengths shrunk proportionally (at least 1) until they
    fit -- a different, much smaller receptive field, meant only for toy inputs.

    ``cropped=True``: braindecode's cropped variant (a final layer of :data:`CROPPED_FINAL`
    steps, made dense, crops averaged), when the epoch is long enough for it; otherwise a
    final layer of one step, i.e. one crop.
    """
    filt = scaled(10, sfreq, 250.0)
    filters, pool, stride = [filt] * 4, 3, 3
    while deep4_min_times(tuple(filters), pool, stride) > n_times and max(*filters, pool) > 1:
        factor = n_times / deep4_min_times(tuple(filters), pool, stride)
        filters = [max(1, min(f - 1, int(f * factor))) for f in filters]
        pool = stride = max(1, min(pool - 1, int(pool * factor)))
    kwargs = {"filter_time_length": filters[0], "filter_length_2": filters[1],
              "filter_length_3": filters[2], "filter_length_4": filters[3],
              "pool_time_length": pool, "pool_time_stride": stride}
    if cropped:
        final = CROPPED_FINAL["deep4"]
        fits = deep4_min_times(tuple(filters), pool, stride, final) <= n_times
        kwargs["final_conv_length"] = final if fits else 1
    kwargs |= params
    # one channel: the same CombinedConv failure as in :func:`shallow`, the same zero pad
    model = _quiet(_braindecode().Deep4Net, n_chans=max(2, n_chans), n_outputs=n_outputs,
                   n_times=n_times, sfreq=sfreq, **kwargs)
    return _assemble(model, n_chans == 1, cropped)


MODULES: dict[str, Callable[..., nn.Module]] = {
    "shallow": shallow,
    "eegnet": eegnet,
    "deep4": deep4,
    "rnn": recurrent.rnn,
    "lstm": recurrent.lstm,
    "gru": recurrent.gru,
    "bilstm": recurrent.bilstm,
    "cnn_lstm_attention": hybrid.cnn_lstm_attention,
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
