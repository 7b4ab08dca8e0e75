"""Recurrent networks over the multichannel signal, with matched settings.

One architecture, four cells: the epoch (batch, n_chans, n_times) is optionally downsampled
in time by average pooling (to about ``target_hz``), read as a sequence over time of
``n_chans`` features, passed through a (stacked) recurrent layer, summarised over time (the
mean of the hidden states, or the last one) and mapped to class scores by a linear layer.
``rnn``, ``lstm``, ``gru`` and ``bilstm`` differ only in the cell, so their comparison is
fair: they share the hidden size (per direction), the number of layers, the downsampling,
the dropout and -- through :mod:`neurocompare.pipelines.deep.catalogue` -- the optimiser,
learning rate, batch size and epoch budget.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import torch
from torch import nn

from neurocompare._errors import check_option, input_error

__all__ = ["CELLS", "RecurrentNet", "bilstm", "gru", "lstm", "pool_factor", "rnn"]

#: Cell name -> (torch module class, bidirectional).
CELLS: dict[str, tuple[type[nn.RNNBase], bool]] = {
    "rnn": (nn.RNN, False),
    "lstm": (nn.LSTM, False),
    "gru": (nn.GRU, False),
    "bilstm": (nn.LSTM, True),
}


def pool_factor(sfreq: float | None, target_hz: float | None, n_times: int) -> int:
    """Average-pooling factor bringing ``sfreq`` down to about ``target_hz``.

    Parameters
    ----------
    sfreq : float, optional
        Sampling rate of the input in Hz; without it (or without ``target_hz``) no pooling.
    target_hz : float, optional
        Wanted rate after pooling.
    n_times : int
        Input length; the factor never exceeds it, so at least one step remains.

    Returns
    -------
    int
        ``max(1, min(round(sfreq / target_hz), n_times))``.
    """
    if sfreq is None or target_hz is None:
        return 1
    if not target_hz > 0:
        raise input_error("target_hz", "a positive rate in Hz or None", target_hz)
    return max(1, min(round(sfreq / target_hz), n_times))


class RecurrentNet(nn.Module):
    """Average pooling in time -> recurrent layers -> temporal readout -> linear.

    Parameters
    ----------
    n_chans : int
        Input channels (features per time step).
    n_outputs : int
        Number of classes.
    cell : {"rnn", "lstm", "gru", "bilstm"}
        Recurrent cell; ``"bilstm"`` is a bidirectional LSTM.
    hidden_size : int
        Hidden units per direction.
    num_layers : int
        Stacked recurrent layers.
    pool : int
        Average-pooling factor applied in time before the recurrence (1 = none).
    readout : {"mean", "last"}
        Summarise the hidden states by their mean over time, or take the last time step
        (for a bidirectional cell: the forward direction's last step and the backward
        direction's first, i.e. both directions' final states).
    dropout : float
        Dropout on the summary before the linear layer (and between stacked layers).

    Notes
    -----
    Input shape (batch, n_chans, n_times); output shape (batch, n_outputs) of logits.
    """

    def __init__(self, n_chans: int, n_outputs: int, cell: str = "lstm", hidden_size: int = 64,
                 num_layers: int = 1, pool: int = 1, readout: str = "mean",
                 dropout: float = 0.25):
        super().__init__()
        check_option("cell", cell, CELLS)
        check_option("readout", readout, ("mean", "last"))
        for name, value in (("hidden_size", hidden_size), ("num_layers", num_layers),
                            ("pool", pool)):
            if not isinstance(value, Integral) or value < 1:
                raise input_error(name, "a positive integer", value)
        kind, bidirectional = CELLS[cell]
        hidden_size, num_layers, pool = int(hidden_size), int(num_layers), int(pool)
        self.readout = readout
        self.pool = nn.AvgPool1d(pool) if pool > 1 else nn.Identity()
        self.rnn = kind(input_size=n_chans, hidden_size=hidden_size, num_layers=num_layers,
                        batch_first=True, bidirectional=bidirectional,
                        dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size * (2 if bidirectional else 1), n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (batch, n_outputs), from ``x`` of shape (batch, n_chans, n_times)."""
        x = self.pool(x).transpose(1, 2)  # (batch, steps, n_chans)
        states, _ = self.rnn(x)  # (batch, steps, directions * hidden)
        if self.readout == "mean":
            summary = states.mean(dim=1)
        elif self.rnn.bidirectional:
            hidden = self.rnn.hidden_size
            summary = torch.cat([states[:, -1, :hidden], states[:, 0, hidden:]], dim=1)
        else:
            summary = states[:, -1]
        return self.classifier(self.drop(summary))


def _build(cell: str, n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
           target_hz: float | None = 64.0, **params: Any) -> nn.Module:
    return RecurrentNet(n_chans, n_outputs, cell=cell,
                        pool=pool_factor(sfreq, target_hz, n_times), **params)


def rnn(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
        **params: Any) -> nn.Module:
    """Vanilla (tanh) RNN; see :class:`RecurrentNet` (``target_hz`` sets the pooling)."""
    return _build("rnn", n_chans, n_times, n_outputs, sfreq, **params)


def lstm(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
         **params: Any) -> nn.Module:
    """LSTM; see :class:`RecurrentNet` (``target_hz`` sets the pooling)."""
    return _build("lstm", n_chans, n_times, n_outputs, sfreq, **params)


def gru(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
        **params: Any) -> nn.Module:
    """GRU; see :class:`RecurrentNet` (``target_hz`` sets the pooling)."""
    return _build("gru", n_chans, n_times, n_outputs, sfreq, **params)


def bilstm(n_chans: int, n_times: int, n_outputs: int, sfreq: float | None,
           **params: Any) -> nn.Module:
    """Bidirectional LSTM; see :class:`RecurrentNet` (``target_hz`` sets the pooling)."""
    return _build("bilstm", n_chans, n_times, n_outputs, sfreq, **params)
