"""Multiply-accumulate (MAC) counts per prediction, from forward hooks.

:func:`count_macs` runs one forward pass on a zero input of shape (1, n_chans, n_times) and
adds up, per executed layer:

==================== ===================================================================
layer                MACs
==================== ===================================================================
``Conv1d/2d``        ``out.numel() * in_channels / groups * prod(kernel_size)``, plus
                     ``out.numel()`` bias additions if the layer has a bias
``Linear``           ``out.numel() * in_features``, plus ``out.numel()`` with a bias
``CombinedConv``     braindecode's merged temporal+spatial convolution of
                     ShallowFBCSPNet/Deep4Net, counted as the single convolution it runs:
                     ``out.numel() * filter_time_length * in_chans`` (+ bias); merging the
                     two weight tensors is per forward pass, not per trial, and is left out
``RNN/LSTM/GRU``     per time step, direction and layer ``g * (in * h + h * h)`` with
                     ``g`` = 1 (RNN), 4 (LSTM), 3 (GRU), ``in`` the layer's input size
                     and ``h`` the hidden size; bias additions and gate nonlinearities are
                     not counted
module with          whatever ``module.mac_count(inputs, output)`` returns (attention
``mac_count``        matmuls, e.g. :class:`~neurocompare.pipelines.deep.hybrid.AdditiveAttention`)
==================== ===================================================================

Normalisation, activation, pooling and dropout layers are not counted.

Relation to ``torchinfo.summary(...).total_mult_adds``: for plain ``Conv*d`` and
``Linear`` leaf layers (2-D input to Linear) the two agree exactly (torchinfo also counts
the bias additions). torchinfo differs where its parameter-times-output-size rule does not
fit the computation: it counts batch norm as ``2 * C`` MACs per trial; it counts nothing
for ``CombinedConv`` nor for a weight-parametrised conv such as EEGNet's max-norm spatial
``Conv2dWithConstraint`` (modules with children are never leaves of its sum); for a Linear
layer on 3-D input (batch, steps, features) it counts one step only; and for recurrent
layers it counts every parameter, both bias vectors included, once per time step,
``T * n_params``, which is the rule above plus ``T * 2 * g * h`` bias additions per layer
and direction.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

import torch
from torch import nn

from neurocompare._errors import input_error

__all__ = ["count_macs", "macs_by_layer", "recurrent_macs"]

_GATES = {nn.RNN: 1, nn.LSTM: 4, nn.GRU: 3}


def _combined_conv_type() -> type | None:
    # A model can only hold a CombinedConv once braindecode is imported; not importing it
    # here keeps counting plain torch models fast.
    return getattr(sys.modules.get("braindecode.modules"), "CombinedConv", None)


def recurrent_macs(module: nn.RNNBase, n_steps: int, batch: int = 1) -> int:
    """MACs of a recurrent layer over ``n_steps`` steps (see the module docstring).

    Parameters
    ----------
    module : torch.nn.RNN, LSTM or GRU
        The (possibly stacked, possibly bidirectional) recurrent module.
    n_steps : int
        Sequence length.
    batch : int
        Sequences in the batch.

    Returns
    -------
    int
        ``batch * n_steps * directions * sum_l g * (in_l * h + h * h)``.
    """
    gates = next((g for kind, g in _GATES.items() if isinstance(module, kind)), None)
    if gates is None:
        raise input_error("module", "a torch RNN, LSTM or GRU", type(module).__name__)
    if getattr(module, "proj_size", 0):
        raise input_error("module.proj_size", "0 (projected LSTMs are not counted)",
                          module.proj_size)
    directions = 2 if module.bidirectional else 1
    hidden = module.hidden_size
    per_step = 0
    for layer in range(module.num_layers):
        size_in = module.input_size if layer == 0 else hidden * directions
        per_step += gates * (size_in * hidden + hidden * hidden)
    return batch * n_steps * directions * per_step


def _layer_macs(module: nn.Module, inputs: tuple, output, combined: type | None) -> int:
    if hasattr(module, "mac_count"):
        return int(module.mac_count(inputs, output))
    if isinstance(module, nn.RNNBase):
        x = inputs[0]
        if not isinstance(x, torch.Tensor):
            raise input_error("input", "a padded tensor (PackedSequence is not counted)",
                              type(x).__name__)
        if x.dim() == 2:
            return recurrent_macs(module, x.shape[0])
        steps, batch = (x.shape[1], x.shape[0]) if module.batch_first else x.shape[:2]
        return recurrent_macs(module, steps, batch)
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
        return output.numel() * (per_output + (module.bias is not None))
    if isinstance(module, nn.Linear):
        return output.numel() * (module.in_features + (module.bias is not None))
    if combined is not None and isinstance(module, combined):
        per_output = module.conv_time.kernel_size[0] * module.conv_spat.kernel_size[1]
        has_bias = module.bias_time or module.bias_spat
        return output.numel() * (per_output + has_bias)
    return 0


def _counted(module: nn.Module, combined: type | None) -> bool:
    return (hasattr(module, "mac_count")
            or isinstance(module, (nn.RNNBase, nn.Conv1d, nn.Conv2d, nn.Linear))
            or (combined is not None and isinstance(module, combined)))


def macs_by_layer(module: nn.Module, input_shape: Sequence[int]) -> dict[str, int]:
    """MACs per counted layer for one forward pass on an input of ``input_shape``.

    Parameters
    ----------
    module : torch.nn.Module
        The network; its train/eval mode is restored afterwards (the pass runs in eval mode).
    input_shape : sequence of int
        Full input shape including the batch, e.g. ``(1, n_chans, n_times)``.

    Returns
    -------
    dict
        Qualified layer name (``""`` for the root) -> MACs summed over its calls. Layers
        inside a counted layer (e.g. the two convolutions of ``CombinedConv``, or the
        projections inside a module with ``mac_count``) are counted on their own if they run.
    """
    combined = _combined_conv_type()
    counts: dict[str, int] = {}
    handles = []
    for name, layer in module.named_modules():
        if _counted(layer, combined):
            def hook(mod, inputs, output, name=name):
                counts[name] = counts.get(name, 0) + _layer_macs(mod, inputs, output, combined)
            handles.append(layer.register_forward_hook(hook))
    was_training = module.training
    parameter = next(module.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    dtype = parameter.dtype if parameter is not None else torch.float32
    try:
        module.eval()
        with torch.no_grad():
            module(torch.zeros(tuple(input_shape), device=device, dtype=dtype))
    finally:
        for handle in handles:
            handle.remove()
        module.train(was_training)
    return counts


def count_macs(module: nn.Module, input_shape: Sequence[int]) -> int:
    """Total MACs of one forward pass on an input of ``input_shape``.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    input_shape : sequence of int
        Input shape including the batch, usually ``(1, n_chans, n_times)`` for the MACs of
        one prediction.

    Returns
    -------
    int
        Sum of :func:`macs_by_layer`.
    """
    return sum(macs_by_layer(module, input_shape).values())
