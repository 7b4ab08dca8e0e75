"""NeuroBench's operation and sparsity metrics for a torch network, in one forward pass.

:func:`module_ledger` follows the definitions of NeuroBench 2.x (Yik et al. 2025;
``neurobench.metrics``) and agrees with its harness (``tests/test_ledger.py`` checks it):

``param_count`` (NeuroBench ``ParameterCount``)
    all parameters of the network (trainable or not).
``param_bytes`` (``Footprint``)
    bytes of parameters plus buffers (e.g. batch-norm statistics, neuron thresholds),
    measured before the forward pass.
``connection_sparsity`` (``ConnectionSparsity``)
    fraction of zero weights over the weight tensors of Linear/Conv layers (weights only)
    and recurrent layers and cells (weights and biases); NaN without such layers.
``activation_sparsity`` (``ActivationSparsity``)
    fraction of zero outputs over every call of every ReLU, Sigmoid and snnTorch spiking
    neuron layer (a spiking layer's spikes); NaN without such layers (NeuroBench reports 0).
``synaptic_macs``, ``synaptic_acs``, ``dense_ops`` (``SynapticOperations``)
    per sample, over every call of every connection layer (Linear, Conv1d/2d/3d, recurrent
    layers and cells): effective operations are the (non-zero input, non-zero weight)
    pairs, i.e. the layer applied to its binarised input with binarised weights and no
    bias, summed; they are accumulates (ACs) when the layer's input holds only -1, 0 and 1
    (spikes) and multiply-accumulates (MACs) otherwise. ``dense_ops`` counts every
    connection with all-ones inputs and weights (sparsity ignored); zero padding added by
    the layer itself is not counted. Biases are not synaptic operations.

Two extensions where NeuroBench has no rule: a torch ``RNN``/``LSTM``/``GRU`` layer (which
NeuroBench rejects) counts per step and direction ``nnz(W_ih)``-weighted non-zero inputs for
the first layer, ``nnz(W_ih)`` for deeper layers (analog hidden-state inputs) and
``nnz(W_hh)`` for the recurrence (none on the first step when the initial state is zero), as
MACs unless the first layer's input is binary; its dense count is
:func:`~neurocompare.cost.macs.recurrent_macs`. braindecode's ``CombinedConv``
(ShallowFBCSPNet, Deep4Net), which merges its two convolutions into one ``conv2d`` call that
no layer hook sees, is counted as that convolution. Recurrent *cells* are counted by
NeuroBench's own ``single_layer_MACs``.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurocompare.cost.macs import recurrent_macs

__all__ = ["activation_layers", "connection_layers", "module_ledger", "network_ledger"]

_STATELESS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONNECTIONS = (*_STATELESS, nn.RNNBase, nn.RNNCellBase)


def _spiking_type() -> type | None:
    module = sys.modules.get("snntorch")  # no model holds a spiking neuron before the import
    return getattr(module, "SpikingNeuron", None)


def _is_graph_linear(module: nn.Module) -> bool:
    """torch-geometric's own ``Linear`` (inside GCN/GraphSAGE layers): counted like
    ``nn.Linear``; the neighbourhood aggregation itself is not counted."""
    kind = getattr(sys.modules.get("torch_geometric.nn.dense.linear"), "Linear", None)
    return kind is not None and isinstance(module, kind)


def _is_combined_conv(module: nn.Module) -> bool:
    kind = getattr(sys.modules.get("braindecode.modules"), "CombinedConv", None)
    return kind is not None and isinstance(module, kind)


def connection_layers(module: nn.Module) -> list[nn.Module]:
    """Connection layers of ``module``, found as NeuroBench does (children, recursively,
    not entering a connection layer), plus ``CombinedConv`` blocks."""
    found = []
    for child in module.children():
        if isinstance(child, _CONNECTIONS) or _is_combined_conv(child) \
                or _is_graph_linear(child):
            found.append(child)
        elif list(child.children()):
            found.extend(connection_layers(child))
    return found


def activation_layers(module: nn.Module) -> list[nn.Module]:
    """ReLU, Sigmoid and snnTorch spiking layers of ``module`` (NeuroBench's search)."""
    kinds = tuple(k for k in (nn.ReLU, nn.Sigmoid, _spiking_type()) if k is not None)
    found = []
    for child in module.children():
        if isinstance(child, kinds):
            found.append(child)
        elif list(child.children()):
            found.extend(activation_layers(child))
    return found


def _binary(x: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return (x != 0).to(dtype)


def _is_spiking(x: torch.Tensor) -> bool:
    return bool(((x == 0) | (x == 1) | (x == -1)).all())


def _stateless_ops(layer: nn.Module, x: torch.Tensor, cache: dict) -> tuple[float, float]:
    weight = layer.weight
    if isinstance(layer, nn.Linear) or _is_graph_linear(layer):
        n_in, n_out = weight.shape[1], weight.shape[0]
        rows = x.numel() // n_in
        effective = _binary(x).reshape(-1, n_in) @ _binary(weight).sum(0)
        return float(effective.sum()), float(rows * n_in * n_out)
    # Each output counts at most in_channels * kernel pairs: exact in float32; summed in
    # float64.
    dtype = x.dtype if x.is_floating_point() else torch.float32
    effective = layer._conv_forward(_binary(x, dtype), _binary(weight, dtype), None)
    key = (id(layer), tuple(x.shape))
    if key not in cache:
        ones = torch.ones(x.shape, dtype=dtype, device=x.device)
        dense = layer._conv_forward(ones, torch.ones_like(weight, dtype=dtype), None)
        cache[key] = float(dense.double().sum())
    return float(effective.double().sum()), cache[key]


def _combined_ops(block: nn.Module, x: torch.Tensor, cache: dict) -> tuple[float, float]:
    weight = (block.conv_time.weight * block.conv_spat.weight.permute(1, 0, 2, 3)).sum(0)
    dtype = x.dtype if x.is_floating_point() else torch.float32
    weight = _binary(weight.unsqueeze(1), dtype)
    effective = float(F.conv2d(_binary(x, dtype), weight).double().sum())
    key = (id(block), tuple(x.shape))
    if key not in cache:
        ones = torch.ones(x.shape, dtype=dtype, device=x.device)
        cache[key] = float(F.conv2d(ones, torch.ones_like(weight)).double().sum())
    return effective, cache[key]


def _recurrent_ops(layer: nn.RNNBase, args: tuple) -> tuple[float, float, float]:
    """(effective input-side ops, effective hidden-side ops, dense ops) of one call."""
    x = args[0]
    if not isinstance(x, torch.Tensor):
        return math.nan, math.nan, math.nan
    if x.dim() == 2:
        x = x.unsqueeze(0) if layer.batch_first else x.unsqueeze(1)
    batch, steps = (x.shape[0], x.shape[1]) if layer.batch_first else (x.shape[1], x.shape[0])
    given_state = len(args) > 1 and args[1] is not None
    directions = 2 if layer.bidirectional else 1
    inputs = hidden = 0.0
    for level in range(layer.num_layers):
        for suffix in ("", "_reverse")[:directions]:
            w_ih = getattr(layer, f"weight_ih_l{level}{suffix}")
            w_hh = getattr(layer, f"weight_hh_l{level}{suffix}")
            if level == 0:
                inputs += float((_binary(x).reshape(-1, x.shape[-1]) @ _binary(w_ih).sum(0)).sum())
            else:
                inputs += batch * steps * float((w_ih != 0).sum())
            hidden += batch * (steps - (0 if given_state else 1)) * float((w_hh != 0).sum())
    return inputs, hidden, float(recurrent_macs(layer, steps, batch))


def _cell_ops(layer: nn.Module, args: tuple) -> tuple[float, float, bool]:
    from neurobench.metrics.utils.layers import single_layer_MACs

    inputs = args if len(args) > 1 else args[0]
    effective, spiking = single_layer_MACs(inputs, layer)
    dense, _ = single_layer_MACs(inputs, layer, total=True)
    return float(effective), float(dense), bool(spiking)


def _connection_sparsity(module: nn.Module) -> tuple[float, float]:
    zeros = total = 0.0
    for layer in module.modules():
        if isinstance(layer, _STATELESS):
            tensors = [layer.weight]
        elif isinstance(layer, (nn.RNNBase, nn.RNNCellBase)):
            tensors = [p for name, p in layer.named_parameters(recurse=False)
                       if name.startswith(("weight_", "bias_"))]
        else:
            continue
        for tensor in tensors:
            zeros += float((tensor == 0).sum())
            total += tensor.numel()
    return zeros, total


def module_ledger(module: nn.Module, inputs: torch.Tensor) -> dict[str, Any]:
    """NeuroBench-style counts of one forward pass of ``module`` on ``inputs``.

    Parameters
    ----------
    module : torch.nn.Module
        The network; it runs in evaluation mode without gradients (its mode is restored).
    inputs : Tensor, shape (n_samples, ...)
        A batch of inputs; per-sample averages are returned.

    Returns
    -------
    dict
        ``param_count``, ``param_bytes``, ``connection_sparsity``, ``activation_sparsity``,
        ``synaptic_macs``, ``synaptic_acs``, ``dense_ops`` (see the module docstring),
        ``zero_weights``/``n_weights`` and ``zero_activations``/``n_activations`` (the
        sparsity counts, to pool over several networks) and ``n_samples``.
    """
    param_count = sum(p.numel() for p in module.parameters())
    param_bytes = sum(p.numel() * p.element_size() for p in module.parameters()) \
        + sum(b.numel() * b.element_size() for b in module.buffers())
    zero_weights, n_weights = _connection_sparsity(module)
    ops = {"mac": 0.0, "ac": 0.0, "dense": 0.0}
    acts = {"zero": 0.0, "total": 0.0}
    cache: dict = {}

    def count(layer, args):
        x = args[0]
        if isinstance(layer, nn.RNNBase):
            inputs_ops, hidden_ops, dense = _recurrent_ops(layer, args)
            ops["ac" if _is_spiking(x) else "mac"] += inputs_ops
            ops["mac"] += hidden_ops
            ops["dense"] += dense
            return
        if isinstance(layer, nn.RNNCellBase):
            effective, dense, spiking = _cell_ops(layer, args)
        else:
            effective, dense = (_combined_ops if _is_combined_conv(layer) else _stateless_ops)(
                layer, x, cache)
            spiking = _is_spiking(x)
        ops["ac" if spiking else "mac"] += effective
        ops["dense"] += dense

    def activation(layer, args, output):
        out = output[0] if isinstance(output, tuple) else output
        acts["zero"] += float((out == 0).sum())
        acts["total"] += out.numel()

    handles = [layer.register_forward_pre_hook(count) for layer in connection_layers(module)]
    activation_found = activation_layers(module)
    handles += [layer.register_forward_hook(activation) for layer in activation_found]
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(inputs)
    finally:
        for handle in handles:
            handle.remove()
        module.train(was_training)
    n = len(inputs)
    return {
        "param_count": int(param_count),
        "param_bytes": int(param_bytes),
        "connection_sparsity": zero_weights / n_weights if n_weights else math.nan,
        "activation_sparsity": acts["zero"] / acts["total"] if acts["total"] else math.nan,
        "synaptic_macs": ops["mac"] / n,
        "synaptic_acs": ops["ac"] / n,
        "dense_ops": ops["dense"] / n,
        "zero_weights": zero_weights, "n_weights": n_weights,
        "zero_activations": acts["zero"], "n_activations": acts["total"],
        "n_samples": n,
    }


def network_ledger(step: Any, X) -> dict[str, Any]:
    """:func:`module_ledger` of a fitted network step on a few of its input trials.

    Parameters
    ----------
    step : estimator
        A fitted step holding its torch network in ``module_``; its ``mean_`` and ``scale_``
        (when present) standardise the input as its ``predict`` does.
    X : array-like, shape (n_trials, n_channels, n_times) or (n_trials, n_times)
        The step's input (a single channel when 2-D).

    Returns
    -------
    dict
        :func:`module_ledger`'s result for the standardised trials.
    """
    module: nn.Module = step.module_
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2:
        X = X[:, None, :]
    mean, scale = getattr(step, "mean_", None), getattr(step, "scale_", None)
    if mean is not None and scale is not None:
        X = (X - mean) / scale
    parameter = next(module.parameters(), None)
    dtype = parameter.dtype if parameter is not None else torch.float32
    device = parameter.device if parameter is not None else torch.device("cpu")
    return module_ledger(module, torch.as_tensor(X, dtype=dtype, device=device))
