"""A GraphDTA-style network (Nguyen et al. 2021, Bioinformatics 37:1140; GCN variant): the
drug as a molecular graph, the target as DeepDTA's protein CNN.

From the authors' code (github.com/thinng/GraphDTA, ``models/gcn.py`` ``GCNNet``,
``training.py``):

* drug branch: three ``GCNConv`` layers widening the atom features ``d -> d -> 2d -> 4d``
  with ReLU (``gcn.py`` lines 15-17, 39-46), global max pooling (line 47), dense
  ``4d -> 1024`` (ReLU, dropout) ``-> 128`` (dropout) (lines 18-19, 50-53);
* head on the concatenation: ``1024 -> 512`` with ReLU and dropout 0.2 after each, linear
  output (lines 29-31, 65-71; ``dropout=0.2``, line 9);
* Adam lr 0.0005, batch 512, MSE (``training.py`` lines 54-56 and the loss); GraphDTA trains
  1000 epochs (line 58), here at most ``max_epochs`` (100) with early stopping, patience 15,
  on a split of the training fold (as :mod:`.deepdta`).

Differences, deliberate: the atom features are the project's
(:mod:`~neurocompare.pipelines.molecules.graphs`, ``d`` = 40 one-hot features, not
GraphDTA's 78), and the protein branch is DeepDTA's three-layer CNN with global max pooling
(:class:`~.sequences.SequenceCNN`, 96 features) instead of GraphDTA's single convolution
over the 1000 positions-as-channels flattened to 128, so that the two networks differ only
in how they read the drug. Each distinct drug's graph is built once per ``fit``/``predict``;
a mini-batch runs the GCN once per distinct drug and the protein CNN once per distinct
target it holds (as DeepDTA, :class:`~.deepdta.PairNetBase`).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from sklearn.base import RegressorMixin
from torch import nn

from neurocompare.cost.macs import count_macs
from neurocompare.pipelines.dti._input import PairInputMixin
from neurocompare.pipelines.dti.deepdta import PairCodes, PairNetBase, dense_head
from neurocompare.pipelines.dti.kernels import parse_smiles
from neurocompare.pipelines.dti.sequences import CHARPROTSET, SequenceCNN, vocabulary_size
from neurocompare.pipelines.molecules.graphs import ATOM_DIM, smiles_to_graph
from neurocompare.pipelines.molecules.training import RegressorOutputs, check_counts

__all__ = ["GraphDTANet", "GraphDTARegressor", "GraphDrugBranch"]


def _pyg() -> tuple[Any, Any]:
    """``torch_geometric.nn`` and ``Batch``, imported with their import-time deprecation
    notices silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch_geometric.nn as pyg_nn
        from torch_geometric.data import Batch
    return pyg_nn, Batch


class GraphDrugBranch(nn.Module):
    """GraphDTA's GCN drug branch (see the module docstring).

    Parameters
    ----------
    in_features : int
        Atom feature width ``d``; the convolutions give ``d``, ``2d``, ``4d`` channels.
    out_features : int
        Width of the drug representation (GraphDTA: 128).
    dropout : float
        After the two dense layers.
    """

    def __init__(self, in_features: int = ATOM_DIM, out_features: int = 128,
                 dropout: float = 0.2):
        super().__init__()
        pyg_nn, _ = _pyg()
        d = in_features
        self.convs = nn.ModuleList([pyg_nn.GCNConv(d, d), pyg_nn.GCNConv(d, 2 * d),
                                    pyg_nn.GCNConv(2 * d, 4 * d)])
        self.pool = pyg_nn.global_max_pool
        self.fc = nn.Sequential(nn.Linear(4 * d, 1024), nn.ReLU(), nn.Dropout(dropout),
                                nn.Linear(1024, out_features), nn.Dropout(dropout))
        self.out_features = out_features

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, batch: torch.Tensor,
                n_graphs: int) -> torch.Tensor:
        """Drug features, shape (n_graphs, out_features), of a batch of molecular graphs
        (``x`` (n_atoms, in_features), ``edge_index`` (2, n_edges), ``batch`` (n_atoms,))."""
        for conv in self.convs:
            x = torch.relu(conv(x, edge_index))
        return self.fc(self.pool(x, batch, n_graphs))

    def macs(self, atoms: float, edges: float) -> float:
        """Multiply-accumulates of one molecule of ``atoms`` atoms and ``edges`` directed
        edges: per convolution ``atoms * c_in * c_out`` (the linear map) plus
        ``(edges + atoms) * c_out`` (the normalised sum over neighbours and self loop), then
        the dense layers (:func:`~neurocompare.cost.macs.count_macs`)."""
        convs = sum(atoms * conv.in_channels * conv.out_channels
                    + (edges + atoms) * conv.out_channels for conv in self.convs)
        return convs + count_macs(self.fc, (1, self.fc[0].in_features))


class GraphDTANet(nn.Module):
    """Drug graph branch and DeepDTA's protein CNN, concatenated, dense head 1024-512.

    Parameters
    ----------
    protein_vocabulary : int
        Embedding rows of the protein branch.
    embedding, n_filters, protein_kernel : int
        The protein CNN's embedding width, first-layer filters and window length.
    drug_dim : int
        Width of the drug representation.
    dropout : float
    """

    def __init__(self, protein_vocabulary: int, embedding: int = 128, n_filters: int = 32,
                 protein_kernel: int = 8, drug_dim: int = 128, dropout: float = 0.2):
        super().__init__()
        self.drug = GraphDrugBranch(ATOM_DIM, drug_dim, dropout)
        self.protein = SequenceCNN(protein_vocabulary, embedding, n_filters, protein_kernel)
        self.head = dense_head(drug_dim + self.protein.out_features, (1024, 512),
                               (dropout, dropout))

    def combine(self, drug: torch.Tensor, protein: torch.Tensor) -> torch.Tensor:
        """Head outputs, shape (n, 1), of per-pair drug (n, d) and protein (n, p) features."""
        return self.head(torch.cat([drug, protein], dim=1))

    def forward(self, graphs: Any, protein_codes: torch.Tensor) -> torch.Tensor:
        """Outputs, shape (n_pairs, 1), of a ``torch_geometric`` batch of the pairs' drug
        graphs and their protein codes (n_pairs, protein_len)."""
        drug = self.drug(graphs.x, graphs.edge_index, graphs.batch, graphs.num_graphs)
        return self.combine(drug, self.protein(protein_codes))


class GraphDTARegressor(PairInputMixin, RegressorOutputs, RegressorMixin, PairNetBase):
    """GraphDTA-style (GCN) affinity regression on (SMILES, sequence) pairs.

    Parameters
    ----------
    protein_len : int
        Encoded protein length (Davis 1200, KIBA 1000 as DeepDTA; GraphDTA used 1000).
    n_filters, protein_kernel, embedding : int
        DeepDTA's protein CNN (32 filters, then 2x, 3x; window 8; embedding 128).
    drug_dim : int
        Width of the drug representation (128).
    dropout : float
        Dropout of the drug branch's dense layers and of the head (0.2).
    max_epochs, batch_size, lr, weight_decay : int, int, float, float
        Adam training (GraphDTA: batch 512, lr 0.0005).
    valid_size, patience : float, int
        Early stopping on a split of the training fold (0: ``max_epochs`` epochs).
    device : str
        ``"cpu"`` (default), ``"cuda[:i]"`` or ``"auto"``.
    random_state : int
        Seed of the weights, the validation split, dropout and the batch order.
    n_threads : int or None
        Torch threads during fit and predict (None leaves the setting as is).

    Attributes
    ----------
    module_ : GraphDTANet
        The trained network, on the CPU.
    n_features_in_ : int
        2 (SMILES, sequence).
    y_mean_, y_scale_, train_r2_, train_pearson_ : float
    history_, best_epoch_, n_epochs_, stop_reason_, n_train_fit_, valid_indices_, device_,
    n_params_
        As :class:`~.deepdta.DeepDTARegressor`'s.
    macs_ : int
        Multiply-accumulates of one pair (drug branch at the training drugs' mean size,
        protein CNN at ``protein_len``, head).
    """

    _task = "regression"

    def __init__(self, protein_len: int = 1200, n_filters: int = 32, protein_kernel: int = 8,
                 embedding: int = 128, drug_dim: int = 128, dropout: float = 0.2,
                 max_epochs: int = 100, batch_size: int = 512, lr: float = 5e-4,
                 weight_decay: float = 0.0, valid_size: float = 0.1, patience: int = 15,
                 device: str = "cpu", random_state: int = 0, n_threads: int | None = 1):
        self.protein_len = protein_len
        self.n_filters = n_filters
        self.protein_kernel = protein_kernel
        self.embedding = embedding
        self.drug_dim = drug_dim
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
        self._check_protein_params()
        check_counts(self, ("drug_dim",))

    def _encode_drugs(self, smiles: np.ndarray, rows: np.ndarray) -> list[Any]:
        parse_smiles(smiles, rows=rows)  # names the first bad row of X
        return [smiles_to_graph(text) for text in smiles]

    def _drug_features(self, module: nn.Module, drugs: list[Any], rows: np.ndarray,
                       device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        _, batch_class = _pyg()
        batch = batch_class.from_data_list([drugs[i] for i in rows]).to(device)
        return module.drug(batch.x.to(dtype), batch.edge_index, batch.batch, len(rows))

    def _build(self, n_outputs: int) -> nn.Module:
        return GraphDTANet(vocabulary_size(CHARPROTSET), self.embedding, self.n_filters,
                           self.protein_kernel, self.drug_dim, self.dropout)

    def _macs(self, module: nn.Module, inputs: PairCodes) -> int:
        atoms = float(np.mean([graph.num_nodes for graph in inputs.drugs]))
        edges = float(np.mean([graph.edge_index.shape[1] for graph in inputs.drugs]))
        head_in = module.head[0].in_features
        return round(module.drug.macs(atoms, edges) + module.protein.macs(self.protein_len)
                     + count_macs(module.head, (1, head_in)))
