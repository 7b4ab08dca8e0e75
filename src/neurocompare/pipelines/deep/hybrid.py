"""A hybrid CNN-RNN with attention: convolutional front end, LSTM, additive attention pooling.

The front end is EEGNet/ShallowNet-like -- a temporal convolution (band-pass-like filters),
a spatial convolution across all channels (spatial filters), batch norm, ELU and average
pooling to about ``target_hz`` -- and turns the epoch into a short sequence of feature
vectors. An LSTM reads that sequence; additive (Bahdanau) attention weighs its hidden states
over time and their weighted sum is mapped to class scores by a linear layer.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import torch
from torch import nn

from neurocompare._errors import input_error
from neurocompare.pipelines.deep.recurrent import pool_factor

__all__ = ["AdditiveAttention", "CNNLSTMAttention", "cnn_lstm_attention"]


class AdditiveAttention(nn.Module):
    """Additive attention pooling over time.

    ``e_t = v^T tanh(W h_t + b)``, ``a = softmax_t(e)``, output ``sum_t a_t h_t``.

    Parameters
    ----------
    size : int
        Feature size of each time step.
    attention_size : int
        Size of the hidden projection ``W``.

    Notes
    -----
    Input shape (batch, n_steps, size); output shape (batch, size).
    """

    def __init__(self, size: int, attention_size: int):
        super().__init__()
        self.proj = nn.Linear(size, attention_size)
        self.score = nn.Linear(attention_size, 1, bias=False)

    def weights(self, states: torch.Tensor) -> torch.Tensor:
        """Attention weights, shape (batch, n_steps), summing to 1 over time."""
        return torch.softmax(self.score(torch.tanh(self.proj(states))).squeeze(-1), dim=1)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """Weighted sum of ``states`` (batch, n_steps, size) -> (batch, size)."""
        return torch.bmm(self.weights(states).unsqueeze(1), states).squeeze(1)

    def mac_count(self, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> int:
        """MACs of the weighted sum (the projections are counted as Linear layers)."""
        batch, steps, size = inputs[0].shape
        return batch * steps * size


class CNNLSTMAttention(nn.Module):
    """Temporal conv -> spatial conv -> pooling -> LSTM -> additive attention -> linear.

    Parameters
    ----------
    n_chans : int
        Input channels.
    n_times : int
        Input time samples.
    n_outputs : int
        Number of classes.
    kernel_length : int
        Temporal kernel length in samples (clamped to ``n_times``).
    pool : int
        Average-pooling factor in time after the convolutions (clamped to the length).
    n_filters_time, n_filters_spat : int
        Temporal filters, and spatial filters (the LSTM's input features).
    hidden_size : int
        LSTM hidden units.
    num_layers : int
        Stacked LSTM layers.
    attention_size : int, optional
        Size of the attention projection (default ``hidden_size``).
    dropout : float
        Dropout after pooling and before the linear layer.

    Notes
    -----
    Input shape (batch, n_chans, n_times); output shape (batch, n_outputs) of logits.
    """

    def __init__(self, n_chans: int, n_times: int, n_outputs: int, kernel_length: int = 32,
                 pool: int = 4, n_filters_time: int = 16, n_filters_spat: int = 32,
                 hidden_size: int = 64, num_layers: int = 1, attention_size: int | None = None,
                 dropout: float = 0.25):
        super().__init__()
        for name, value in (("kernel_length", kernel_length), ("pool", pool),
                            ("n_filters_time", n_filters_time),
                            ("n_filters_spat", n_filters_spat), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, Integral) or value < 1:
                raise input_error(name, "a positive integer", value)
        kernel = min(int(kernel_length), n_times)
        conv_len = n_times + 2 * (kernel // 2) - kernel + 1
        pool = min(int(pool), conv_len)
        self.front = nn.Sequential(
            nn.Conv2d(1, n_filters_time, (1, kernel), padding=(0, kernel // 2), bias=False),
            nn.BatchNorm2d(n_filters_time),
            nn.Conv2d(n_filters_time, n_filters_spat, (n_chans, 1), bias=False),
            nn.BatchNorm2d(n_filters_spat),
            nn.ELU(),
            nn.AvgPool2d((1, pool)),
            nn.Dropout(dropout),
        )
        self.lstm = nn.LSTM(n_filters_spat, int(hidden_size), num_layers=int(num_layers),
                            batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.attention = AdditiveAttention(int(hidden_size), int(attention_size or hidden_size))
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(int(hidden_size), n_outputs)

    def _states(self, x: torch.Tensor) -> torch.Tensor:
        features = self.front(x.unsqueeze(1)).squeeze(2).transpose(1, 2)  # (batch, steps, F)
        return self.lstm(features)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (batch, n_outputs), from ``x`` of shape (batch, n_chans, n_times)."""
        return self.classifier(self.drop(self.attention(self._states(x))))

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Attention over the pooled time steps, shape (batch, n_steps), for inspection."""
        return self.attention.weights(self._states(x))


def cnn_lstm_attention(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
                       target_hz: float | None = 32.0, **params: Any) -> nn.Module:
    """:class:`CNNLSTMAttention` sized for ``sfreq``.

    The temporal kernel is 32 samples at 128 Hz (250 ms), rescaled to ``sfreq``; the
    pooling brings the sequence to about ``target_hz`` (32 Hz: 96 LSTM steps for 3 s).
    ``params`` override any :class:`CNNLSTMAttention` argument.
    """
    kernel = 32 if sfreq is None else max(1, round(32 * sfreq / 128.0))
    conv_len = n_times + 2 * (min(kernel, n_times) // 2) - min(kernel, n_times) + 1
    defaults = {"kernel_length": kernel, "pool": pool_factor(sfreq, target_hz, conv_len)}
    return CNNLSTMAttention(n_chans, n_times, n_outputs, **(defaults | params))
