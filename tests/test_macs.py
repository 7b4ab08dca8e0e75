"""Multiply-accumulate counts: hand-computed layers and agreement with torchinfo."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchinfo import summary

from neurocompare.cost.macs import count_macs, macs_by_layer, recurrent_macs
from neurocompare.pipelines.deep.hybrid import AdditiveAttention
from neurocompare.pipelines.deep.modules import build_module


class _Sequence(nn.Module):
    """(batch, n_chans, n_times) -> recurrent layer over time (batch_first)."""

    def __init__(self, rnn: nn.RNNBase):
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x.transpose(1, 2))[0]


def test_linear_by_hand():
    assert count_macs(nn.Linear(10, 3), (1, 10)) == 10 * 3 + 3
    assert count_macs(nn.Linear(10, 3, bias=False), (1, 10)) == 10 * 3
    # every position of a sequence input is counted
    assert count_macs(nn.Linear(10, 3), (1, 7, 10)) == 7 * (10 * 3 + 3)


def test_conv1d_by_hand():
    # 5 filters x 18 output steps, each 4 channels x 3 taps plus the bias
    assert count_macs(nn.Conv1d(4, 5, 3), (1, 4, 20)) == 5 * 18 * (4 * 3 + 1)
    grouped = nn.Conv1d(4, 8, 3, groups=4, padding=1, bias=False)
    assert count_macs(grouped, (1, 4, 20)) == 8 * 20 * (1 * 3)


@pytest.mark.parametrize(("cell", "gates"), [(nn.RNN, 1), (nn.GRU, 3), (nn.LSTM, 4)])
def test_recurrent_by_hand(cell, gates):
    n_in, hidden, steps = 6, 8, 10
    model = _Sequence(cell(n_in, hidden, batch_first=True))
    assert count_macs(model, (1, n_in, steps)) == steps * gates * (n_in * hidden + hidden ** 2)
    # two stacked bidirectional layers: the second reads both directions' states
    deep = _Sequence(cell(n_in, hidden, num_layers=2, bidirectional=True, batch_first=True))
    per_step = gates * (n_in * hidden + hidden ** 2) + gates * (2 * hidden * hidden + hidden ** 2)
    assert count_macs(deep, (1, n_in, steps)) == steps * 2 * per_step
    # time-major input counts the same
    assert recurrent_macs(cell(n_in, hidden), steps) == steps * gates * (n_in + hidden) * hidden


@pytest.mark.parametrize("cell", [nn.RNN, nn.GRU, nn.LSTM])
def test_recurrent_vs_torchinfo_differs_by_biases(cell):
    """torchinfo counts every parameter once per step: our count plus the bias vectors."""
    n_in, hidden, steps = 5, 7, 11
    rnn = cell(n_in, hidden, num_layers=2, bidirectional=True, batch_first=True)
    model = _Sequence(rnn)
    biases = sum(p.numel() for name, p in rnn.named_parameters() if name.startswith("bias"))
    reference = summary(model, input_size=(1, n_in, steps), verbose=0).total_mult_adds
    assert reference == count_macs(model, (1, n_in, steps)) + steps * biases


def test_attention_by_hand():
    size, attention, steps = 8, 4, 5
    counts = macs_by_layer(AdditiveAttention(size, attention), (1, steps, size))
    assert counts == {"proj": steps * (size * attention + attention),
                      "score": steps * attention, "": steps * size}


def _torchinfo_layers(model: nn.Module, shape: tuple[int, ...]):
    stats = summary(model, input_size=shape, verbose=0)
    names = {id(module): name for name, module in model.named_modules()}
    return stats, {names[id(layer.module)]: layer for layer in stats.summary_list}


@pytest.mark.parametrize("name", ["shallow", "eegnet", "deep4"])
def test_conv_layers_agree_with_torchinfo(name):
    model = build_module(name, n_chans=24, n_times=384, n_outputs=2, sfreq=128.0)
    shape = (1, 24, 384)
    stats, layers = _torchinfo_layers(model, shape)
    ours = macs_by_layer(model, shape)
    plain = {key: layer.macs for key, layer in layers.items()
             if layer.is_leaf_layer and type(layer.module) in (nn.Conv2d, nn.Linear)}
    assert plain, "no plain conv/linear layers compared"
    assert plain == {key: ours[key] for key in plain}
    # The totals differ only where torchinfo's rule does not fit (see macs.py): it adds
    # batch-norm terms, and skips CombinedConv and the max-norm (parametrised) convolution.
    norms = sum(layer.macs for layer in layers.values()
                if layer.is_leaf_layer and "BatchNorm" in layer.class_name)
    skipped = sum(value for key, value in ours.items() if key not in plain)
    assert stats.total_mult_adds - norms == count_macs(model, shape) - skipped


def test_skipped_layers_by_hand():
    shallow = build_module("shallow", n_chans=24, n_times=384, n_outputs=2, sfreq=128.0)
    combined = shallow.conv_time_spat
    n_filters, length = combined.conv_spat.out_channels, combined.conv_time.kernel_size[0]
    n_out = 384 - length + 1
    assert macs_by_layer(shallow, (1, 24, 384))["conv_time_spat"] == \
        n_filters * n_out * (length * 24 + 1)
    # the same as the explicit convolution it runs
    explicit = nn.Conv2d(1, n_filters, (length, 24))
    assert count_macs(explicit, (1, 1, 384, 24)) == n_filters * n_out * (length * 24 + 1)
    eegnet = build_module("eegnet", n_chans=24, n_times=384, n_outputs=2, sfreq=128.0)
    # 16 spatial filters (depth multiplier 2 on 8 temporal ones) over 385 steps, 24 taps each
    assert macs_by_layer(eegnet, (1, 24, 384))["conv_spatial"] == 16 * 385 * 24


def test_count_restores_training_mode():
    model = build_module("lstm", n_chans=3, n_times=40, n_outputs=2, sfreq=128.0)
    model.train()
    count_macs(model, (1, 3, 40))
    assert model.training
