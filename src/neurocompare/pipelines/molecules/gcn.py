"""A graph convolution network over the molecular graph: :class:`MolGCNClassifier`,
:class:`MolGCNRegressor`.

Input: SMILES strings, turned into graphs by :func:`~.graphs.smiles_to_graph` (atoms as
nodes, bonds as edges, with their features). Network (:class:`MolGNN`):

* a linear embedding of the atom features to ``hidden`` channels;
* ``n_layers`` graph convolutions with ReLU and dropout: ``conv="gine"`` (default) is GINE
  (Hu et al. 2020, "Strategies for pre-training graph neural networks", ICLR; the GIN of Xu
  et al. 2019 with the bond features added to each message, as in OGB's molecule baselines),
  ``conv="gcn"`` is Kipf & Welling's GCN (ignores bond features; the MoleculeNet/TDC "GCN"
  baseline);
* a graph readout concatenating the pooled atom states (``pooling``: ``"mean"``, ``"max"``,
  ``"sum"`` joined with ``+``; default mean+max+sum: mean and max as the DGL-LifeSci/TDC GCN
  readouts, sum because it is the injective readout of GIN (Xu et al. 2019) and keeps the
  size of the molecule, which a mean discards);
* an MLP head (``hidden`` -> ReLU -> dropout -> outputs).

Defaults: 3 layers of 128 channels, dropout 0.1; training as OGB's molecule examples (Adam,
lr 1e-3, batch 32, ``ogb/examples/graphproppred/mol/main_pyg.py``) with at most 100 epochs
and early stopping (patience 10) on a validation split of the training fold, see
:mod:`.training`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from torch import nn

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.molecules.featurize import SmilesInputMixin
from neurocompare.pipelines.molecules.graphs import ATOM_DIM, BOND_DIM, smiles_to_graphs
from neurocompare.pipelines.molecules.training import (
    ClassifierOutputs,
    MolNetBase,
    RegressorOutputs,
    check_counts,
)

__all__ = ["POOLINGS", "MolGCNClassifier", "MolGCNRegressor", "MolGNN", "parse_pooling"]

#: Readouts ``pooling`` may combine.
POOLINGS = ("mean", "max", "sum")


def parse_pooling(pooling: Any) -> tuple[str, ...]:
    """``"mean+max"`` -> ``("mean", "max")``; raise an input error on unknown names."""
    if not isinstance(pooling, str) or not pooling:
        raise input_error("pooling", f"readouts among {POOLINGS} joined with '+'", pooling)
    names = tuple(pooling.split("+"))
    for name in names:
        check_option("pooling", name, POOLINGS)
    if len(set(names)) != len(names):
        raise input_error("pooling", "each readout at most once", pooling)
    return names


def _pyg_nn() -> Any:
    with warnings.catch_warnings():  # torch_geometric's import-time deprecation notices
        warnings.simplefilter("ignore")
        import torch_geometric.nn as pyg_nn
    return pyg_nn


class MolGNN(nn.Module):
    """Graph convolutions over atoms, pooled readout, MLP head (see the module docstring).

    Parameters
    ----------
    n_outputs : int
    hidden : int
    n_layers : int
    conv : {"gine", "gcn"}
    pooling : tuple of str
    dropout : float
    """

    def __init__(self, n_outputs: int, hidden: int = 128, n_layers: int = 3,
                 conv: str = "gine", pooling: tuple[str, ...] = POOLINGS,
                 dropout: float = 0.1):
        super().__init__()
        pyg_nn = _pyg_nn()
        self.conv_kind, self.pooling = conv, tuple(pooling)
        self.embed = nn.Linear(ATOM_DIM, hidden)
        if conv == "gine":
            self.convs = nn.ModuleList(
                pyg_nn.GINEConv(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(),
                                              nn.Linear(hidden, hidden)), edge_dim=BOND_DIM)
                for _ in range(n_layers))
        else:
            self.convs = nn.ModuleList(pyg_nn.GCNConv(hidden, hidden) for _ in range(n_layers))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(nn.Linear(len(self.pooling) * hidden, hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_outputs))
        self._readouts = {"mean": pyg_nn.global_mean_pool, "max": pyg_nn.global_max_pool,
                          "sum": pyg_nn.global_add_pool}

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor,
                batch: torch.Tensor, n_graphs: int) -> torch.Tensor:
        """Outputs of shape (n_graphs, n_outputs) for a batch of ``n_graphs`` graphs."""
        h = self.embed(x)
        for conv in self.convs:
            h = conv(h, edge_index, edge_attr) if self.conv_kind == "gine" \
                else conv(h, edge_index)
            h = self.dropout(torch.relu(h))
        pooled = torch.cat([self._readouts[name](h, batch, n_graphs) for name in self.pooling],
                           dim=1)
        return self.head(pooled)


class _MolGCNBase(SmilesInputMixin, MolNetBase):
    """Parameters and graph handling shared by the classifier and the regressor.

    Parameters
    ----------
    hidden : int
        Channels of the atom states and of the head.
    n_layers : int
        Graph convolutions.
    conv : {"gine", "gcn"}
        GINE (with bond features) or GCN convolutions.
    pooling : str
        Readouts joined with ``+``, among ``"mean"``, ``"max"``, ``"sum"``.
    dropout : float
        Dropout after each convolution and in the head.
    max_epochs, batch_size, lr, weight_decay, valid_size, patience : see :mod:`.training`
        Adam learning rate and weight decay; the fraction of the training fold held out for
        early stopping (0 trains ``max_epochs`` epochs) and the epochs waited for its loss to
        improve.
    device : str
        ``"cpu"`` (default), ``"cuda[:i]"`` or ``"auto"`` (CUDA when available).
    random_state : int
        Seed of the weights, the validation split, dropout and the batch order.
    n_threads : int or None
        Torch threads during fit and predict (None leaves the setting as is).

    Attributes
    ----------
    module_ : MolGNN
        The trained network, on the CPU.
    history_ : list of dict
        Per epoch: ``train_loss``, ``train_accuracy`` (classifier) or ``train_r2``
        (regressor, standardised scale; running over the epoch's batches), ``valid_loss``,
        ``valid_accuracy`` / ``valid_r2``, ``seconds``.
    best_epoch_, n_epochs_, stop_reason_, n_train_fit_, valid_indices_, device_, n_params_
        As :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier`'s.
    macs_ : int
        Multiply-accumulates of one prediction, averaged over the training molecules.
    """

    def __init__(self, hidden: int = 128, n_layers: int = 3, conv: str = "gine",
                 pooling: str = "mean+max+sum", dropout: float = 0.1, max_epochs: int = 100,
                 batch_size: int = 32, lr: float = 1e-3, weight_decay: float = 0.0,
                 valid_size: float = 0.1, patience: int = 10, device: str = "cpu",
                 random_state: int = 0, n_threads: int | None = 1):
        self.hidden = hidden
        self.n_layers = n_layers
        self.conv = conv
        self.pooling = pooling
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.valid_size = valid_size
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.n_threads = n_threads

    def _check_params(self) -> None:
        check_counts(self, ("hidden", "n_layers"))
        check_option("conv", self.conv, ("gine", "gcn"))
        parse_pooling(self.pooling)

    def _encode(self, X: Any, reset: bool) -> list[Any]:
        graphs = smiles_to_graphs(X, "X")
        if reset:
            self.n_features_in_ = 1  # one SMILES string per sample
        return graphs

    def _build(self, n_outputs: int) -> nn.Module:
        return MolGNN(n_outputs, self.hidden, self.n_layers, self.conv,
                      parse_pooling(self.pooling), self.dropout)

    def _forward(self, module: nn.Module, inputs: list[Any], rows: np.ndarray,
                 device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from torch_geometric.data import Batch
        batch = Batch.from_data_list([inputs[i] for i in rows]).to(device)
        return module(batch.x.to(dtype), batch.edge_index, batch.edge_attr.to(dtype),
                      batch.batch, len(rows))

    def _macs(self, module: nn.Module, inputs: list[Any]) -> int:
        """Dense multiply-accumulates of one molecule, averaged over ``inputs``."""
        atoms = float(np.mean([graph.num_nodes for graph in inputs]))
        edges = float(np.mean([graph.edge_index.shape[1] for graph in inputs]))
        h = self.hidden
        per_layer = (edges * BOND_DIM * h + edges * h + atoms * 2 * h * h
                     if self.conv == "gine" else atoms * h * h + (edges + atoms) * h)
        head = len(parse_pooling(self.pooling)) * h * h + h * module.head[-1].out_features
        return round(atoms * ATOM_DIM * h + self.n_layers * per_layer + head)


class MolGCNClassifier(ClassifierOutputs, ClassifierMixin, _MolGCNBase):
    """Graph network classifier over SMILES (see :class:`_MolGCNBase` for the parameters).

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    train_accuracy_, majority_rate_ : float
        Accuracy of the kept weights on the rows they were trained on, and the share of the
        most frequent class among those rows.
    """

    _task = "classification"


class MolGCNRegressor(RegressorOutputs, RegressorMixin, _MolGCNBase):
    """Graph network regressor over SMILES (see :class:`_MolGCNBase` for the parameters).

    Targets are standardised with the training fold's mean and standard deviation inside
    ``fit`` and predictions returned in the original units.

    Attributes
    ----------
    y_mean_, y_scale_ : float
        Training-fold target mean and standard deviation.
    train_r2_, train_pearson_ : float
        R^2 and Pearson correlation of the kept weights' predictions on the rows they were
        trained on.
    """

    _task = "regression"
