"""Networks for connectomes, ROI time series and tables, and the classifier that trains them.

Builders share the signature of :data:`~neurocompare.pipelines.deep.modules.MODULES`
(``builder(n_chans, n_times, n_outputs, sfreq, **params) -> Module``), so
:class:`NetClassifier` is :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`
with another registry and nothing else: the same training-fold standardisation, early
stopping on a stratified split of the training fold, best-weight restore, seeding without
touching the global RNG, CUDA when available, float64 CPU inference and MAC counting.

====================== ============================ =========================================
network                input (batch, ...)           architecture
====================== ============================ =========================================
``mlp``                (C, T), flattened            C*T -> hidden layers (ReLU, dropout) -> out
``brainnetcnn``        (R, R) connectivity          BrainNetCNN (Kawahara et al. 2017): two
                                                    edge-to-edge, edge-to-node, node-to-graph
                                                    convolutions, then a small dense head
``gcn`` / ``sage``     (R, R) connectivity          graph per subject: nodes = ROIs with their
                                                    connectivity profile (row) as features,
                                                    edges = each node's k strongest |r|
                                                    (symmetrised); 2 GCN/GraphSAGE layers, mean
                                                    and max pooling -> linear
``roi_cnn1d``          (R, L) ROI series            2 temporal conv blocks (ROIs as channels)
                                                    -> global average pool -> linear
``roi_gru``            (R, L) ROI series            GRU over time (ROIs as features) -> mean of
                                                    hidden states -> linear
====================== ============================ =========================================
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import torch
from torch import nn

from neurocompare._errors import check_option
from neurocompare.pipelines.common.params import derived_params
from neurocompare.pipelines.deep.estimator import AUGMENTATION_PARAMS, DeepClassifier

__all__ = ["NETWORKS", "BrainNetCNN", "ConnectomeGNN", "NetClassifier", "knn_edges"]


def _pyg(module: str = "nn") -> ModuleType:
    """``torch_geometric.<module>``, imported with its import-time deprecation notices
    (``torch.jit.script``) silenced."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        return importlib.import_module(f"torch_geometric.{module}")


class MLP(nn.Module):
    """Flatten, then dense layers with ReLU and dropout."""

    def __init__(self, n_in: int, n_outputs: int, hidden: Sequence[int] = (128, 32),
                 dropout: float = 0.5, input_dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten(), nn.Dropout(input_dropout)]
        for width in hidden:
            layers += [nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(dropout)]
            n_in = width
        layers.append(nn.Linear(n_in, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class EdgeToEdge(nn.Module):
    """BrainNetCNN's cross-shaped filter: row and column convolutions summed, (B, C, R, R)."""

    def __init__(self, n_in: int, n_out: int, n_rois: int):
        super().__init__()
        self.row = nn.Conv2d(n_in, n_out, (1, n_rois))
        self.col = nn.Conv2d(n_in, n_out, (n_rois, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.row(x) + self.col(x)


class BrainNetCNN(nn.Module):
    """BrainNetCNN (Kawahara et al. 2017, NeuroImage) for (batch, R, R) connectomes."""

    def __init__(self, n_rois: int, n_outputs: int, e2e: int = 8, e2n: int = 32,
                 n2g: int = 64, dropout: float = 0.5):
        super().__init__()
        act = nn.LeakyReLU(0.33)
        self.net = nn.Sequential(
            EdgeToEdge(1, e2e, n_rois), act, EdgeToEdge(e2e, e2e, n_rois), act,
            nn.Conv2d(e2e, e2n, (1, n_rois)), act, nn.Conv2d(e2n, n2g, (n_rois, 1)), act,
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(n2g, 32), act, nn.Dropout(dropout),
            nn.Linear(32, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.unsqueeze(1))


def knn_edges(matrices: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Edges of each node to its ``k`` strongest |connections|, symmetrised, batched.

    Parameters
    ----------
    matrices : Tensor, shape (batch, n_rois, n_rois)
    k : int
        Neighbours per node (capped at n_rois - 1).

    Returns
    -------
    edge_index : LongTensor, shape (2, n_edges)
        Node ``r`` of graph ``b`` is ``b * n_rois + r``; both directions of an edge appear
        once.
    edge_weight : Tensor, shape (n_edges,)
        ``|r|`` of each edge.
    """
    coalesce = _pyg("utils").coalesce
    batch, n, _ = matrices.shape
    k = min(k, n - 1)
    strength = matrices.detach().abs()
    if k < 1:
        empty = torch.zeros((2, 0), dtype=torch.long, device=matrices.device)
        return empty, strength.new_zeros(0)
    eye = torch.eye(n, dtype=torch.bool, device=matrices.device)
    neighbours = strength.masked_fill(eye, -1.0).topk(k, dim=-1).indices  # (B, R, k)
    offset = (torch.arange(batch, device=matrices.device) * n).view(batch, 1, 1)
    source = (torch.arange(n, device=matrices.device).view(1, n, 1) + offset).expand(-1, -1, k)
    target = neighbours + offset
    edges = torch.stack([source.reshape(-1), target.reshape(-1)])
    edges = torch.cat([edges, edges.flip(0)], dim=1)
    weight = strength.reshape(-1)[edges[0] * n + edges[1] % n]
    return coalesce(edges, weight, num_nodes=batch * n, reduce="max")


class _GraphConv(nn.Module):
    """A torch-geometric convolution with a MAC count (dense transform + aggregation)."""

    def __init__(self, conv: str, n_in: int, n_out: int):
        super().__init__()
        pyg = _pyg()
        self.kind = conv
        self.n_in, self.n_out = n_in, n_out
        self.conv = pyg.GCNConv(n_in, n_out) if conv == "gcn" else pyg.SAGEConv(n_in, n_out)

    def forward(self, x, edge_index, edge_weight):
        if self.kind == "gcn":
            return self.conv(x, edge_index, edge_weight)
        return self.conv(x, edge_index)

    def mac_count(self, inputs: tuple, output: torch.Tensor) -> int:
        x, edge_index = inputs[0], inputs[1]
        n_edges = edge_index.shape[1]
        if self.kind == "gcn":  # X W, then a weighted sum over edges and self loops
            return x.shape[0] * self.n_in * self.n_out + (n_edges + x.shape[0]) * self.n_out
        # SAGE: mean over neighbours, then two linear maps
        return n_edges * self.n_in + 2 * x.shape[0] * self.n_in * self.n_out


class ConnectomeGNN(nn.Module):
    """Graph network over each subject's connectome (see the module table)."""

    def __init__(self, n_rois: int, n_outputs: int, k: int = 10, hidden: int = 32,
                 conv: str = "gcn", dropout: float = 0.5):
        super().__init__()
        check_option("conv", conv, ("gcn", "sage"))
        self.k = k
        self.conv1 = _GraphConv(conv, n_rois, hidden)
        self.conv2 = _GraphConv(conv, hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pyg = _pyg()
        batch, n, _ = x.shape
        edge_index, edge_weight = knn_edges(x, self.k)
        nodes = x.reshape(batch * n, n)
        graph = torch.arange(batch, device=x.device).repeat_interleave(n)
        h = self.dropout(torch.relu(self.conv1(nodes, edge_index, edge_weight.to(x.dtype))))
        h = torch.relu(self.conv2(h, edge_index, edge_weight.to(x.dtype)))
        pooled = torch.cat([pyg.global_mean_pool(h, graph, batch),
                            pyg.global_max_pool(h, graph, batch)], dim=1)
        return self.head(self.dropout(pooled))


class RoiCNN1d(nn.Module):
    """Temporal convolutions over ROI series (ROIs as input channels)."""

    def __init__(self, n_rois: int, n_outputs: int, filters: int = 32, kernel: int = 7,
                 dropout: float = 0.5):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(n_rois, filters, kernel, padding=kernel // 2), nn.BatchNorm1d(filters),
            nn.ReLU(), nn.MaxPool1d(2, ceil_mode=True),
            nn.Conv1d(filters, filters, 5, padding=2), nn.BatchNorm1d(filters), nn.ReLU(),
            nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(filters, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class RoiGRU(nn.Module):
    """GRU over time with the ROIs as features; mean of the hidden states -> linear."""

    def __init__(self, n_rois: int, n_outputs: int, hidden: int = 32, dropout: float = 0.5):
        super().__init__()
        self.gru = nn.GRU(n_rois, hidden, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.gru(x.transpose(1, 2))
        return self.head(self.dropout(states.mean(dim=1)))


def _mlp(n_chans, n_times, n_outputs, sfreq, **params: Any) -> nn.Module:
    return MLP(n_chans * n_times, n_outputs, **params)


def _brainnetcnn(n_chans, n_times, n_outputs, sfreq, **params: Any) -> nn.Module:
    return BrainNetCNN(n_chans, n_outputs, **params)


def _gnn(conv: str) -> Callable[..., nn.Module]:
    def build(n_chans, n_times, n_outputs, sfreq, **params: Any) -> nn.Module:
        return ConnectomeGNN(n_chans, n_outputs, conv=conv, **params)
    return build


def _roi_cnn1d(n_chans, n_times, n_outputs, sfreq, **params: Any) -> nn.Module:
    return RoiCNN1d(n_chans, n_outputs, **params)


def _roi_gru(n_chans, n_times, n_outputs, sfreq, **params: Any) -> nn.Module:
    return RoiGRU(n_chans, n_outputs, **params)


#: Network builders, same signature as :data:`~neurocompare.pipelines.deep.modules.MODULES`.
NETWORKS: dict[str, Callable[..., nn.Module]] = {
    "mlp": _mlp, "brainnetcnn": _brainnetcnn, "gcn": _gnn("gcn"), "sage": _gnn("sage"),
    "roi_cnn1d": _roi_cnn1d, "roi_gru": _roi_gru}


@derived_params(DeepClassifier, drop=AUGMENTATION_PARAMS, model="mlp", standardize=False)
class NetClassifier(DeepClassifier):
    """:class:`~neurocompare.pipelines.deep.estimator.DeepClassifier` over :data:`NETWORKS`.

    Same parameters, training loop and attributes. Inputs are fixed-shape arrays made by
    the preceding pipeline step: (n, C, T) (e.g. ROI series cropped by
    :class:`~.transformers.FixedLength`, or (n, R, R) connectivity matrices) or (n, F)
    vectors, read as (n, 1, F). ``standardize`` defaults to False because the steps before
    already scale (connectivity values are correlations; vectors pass a ``StandardScaler``);
    set it for ROI series, where it z-scores each ROI with training-fold statistics.
    """

    modules = NETWORKS

