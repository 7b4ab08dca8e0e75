"""DeepDTA (Öztürk et al. 2018, Bioinformatics 34:i821): two sequence CNNs and a dense head.

Recipe, read from the authors' code (github.com/hkmztrk/DeepDTA, ``source/``):

==================================== ===================================================
what                                 where
==================================== ===================================================
label encoding, character sets       ``datahelper.py`` ``CHARISOSMISET``, ``CHARPROTSET``,
                                     ``label_smiles``/``label_sequence`` (:mod:`.sequences`)
embedding 128 per branch (no         ``run_experiments.py`` ``build_combined_categorical``,
masking: padding has an embedding)   lines 111 and 118 (``Embedding(..., output_dim=128)``)
three Conv1D per branch, filters     lines 112-114 and 119-121 (``NUM_FILTERS``,
32/64/96, one window length per      ``NUM_FILTERS*2``, ``NUM_FILTERS*3``, ``padding='valid'``,
branch, ReLU, 'valid'                ``activation='relu'``); ``--num_windows 32``
global max pooling                   lines 115, 122 (``GlobalMaxPooling1D``)
dense 1024-1024-512, dropout 0.1     lines 128-132; linear output, line 136
after the first two
Adam lr 0.001, MSE                   line 140 (``optimizer='adam'``: Keras' default lr
                                     0.001; ``arguments.py``'s ``--learning_rate`` 0.001
                                     is not passed on)
batch 256, 100 epochs                ``arguments.py`` ``--batch_size`` 256, ``--num_epoch``
                                     100; ``go.sh`` / README command
window lengths                       ``go.sh``: ``--smi_window_lengths 4 8``,
                                     ``--seq_window_lengths 8 12``, a grid searched on the
                                     CV folds (``general_nfold_cv`` lines 311-313, 353-405)
max lengths Davis 85 / 1200,         the paper's input representation (Davis); ``go.sh``:
KIBA 100 / 1000                      KIBA ``--max_smi_len 100 --max_seq_len 1000``
==================================== ===================================================

Our defaults: ``smiles_kernel=4``, ``protein_kernel=8`` (the smallest windows of DeepDTA's
grid; the grid search per dataset is not reproduced, set the parameters to 8 / 12 for the
other corner). Early stopping: DeepDTA's paper trains a fixed 100 epochs, chosen on its CV
folds, but its released loop also stops early (``EarlyStopping(monitor='val_loss',
patience=15)``, line 362) on the held-out fold. Here ``patience=15`` is kept, on a
``valid_size`` split carved from the training fold only (:mod:`..molecules.training`), so
no test pair steers training. Keras initialises with Glorot-uniform (and a normal output
layer); we keep torch's defaults. Targets are standardised inside ``fit``. The embeddings
have one more row than DeepDTA's (``charset_size + 1``): the code of unknown characters
(:mod:`.sequences`).

CPU cost: the protein branch (1200 positions) dominates. Everything below is exact -- it
changes the arithmetic's order, not the function (checked against the plain layers in
``tests/test_dti_deep.py``):

* drugs and targets are encoded once per ``fit``/``predict`` (unique strings); each
  mini-batch runs the protein CNN once per distinct target and the drug CNN once per
  distinct drug in it, then gathers rows per pair (no dropout before the head, so this is
  the per-pair computation);
* each branch, :class:`~.sequences.SequenceCNN`, trims sequences to their length plus one
  all-padding window, runs embedding + first convolution as lookup tables and back-
  propagates the last convolution through the pooled positions only (see there).

Measured on Davis setting 1 (25,046 training pairs, 10 % held out for early stopping), one
torch thread on a shared 2-core CPU: 60-110 s per epoch with the defaults (load-dependent);
10 epochs gave test MSE 0.330 and CI 0.864 (the paper's 100-epoch figures: 0.261, 0.878).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.base import RegressorMixin
from torch import nn

from neurocompare._errors import input_error
from neurocompare.cost.macs import count_macs
from neurocompare.pipelines.dti._input import PairInputMixin, check_pairs
from neurocompare.pipelines.dti.kernels import parse_smiles, unique_inverse
from neurocompare.pipelines.dti.sequences import (
    CHARISOSMISET,
    CHARPROTSET,
    SequenceCNN,
    encode,
    vocabulary_size,
)
from neurocompare.pipelines.molecules.training import (
    MolNetBase,
    RegressorOutputs,
    check_counts,
)

__all__ = ["DeepDTANet", "DeepDTARegressor", "PairCodes", "PairNetBase", "check_length",
           "dense_head"]

logger = logging.getLogger(__name__)


def dense_head(in_features: int, widths: tuple[int, ...], dropouts: tuple[float, ...]
               ) -> nn.Sequential:
    """Linear-ReLU(-dropout) layers of ``widths`` and a linear output of width 1.

    Parameters
    ----------
    in_features : int
    widths : tuple of int
        Hidden widths.
    dropouts : tuple of float
        Dropout after each hidden layer (0: none), same length as ``widths``.

    Returns
    -------
    torch.nn.Sequential
        Maps (n, in_features) to (n, 1).
    """
    layers: list[nn.Module] = []
    for width, rate in zip(widths, dropouts, strict=True):
        layers += [nn.Linear(in_features, width), nn.ReLU()]
        layers += [nn.Dropout(rate)] if rate > 0 else []
        in_features = width
    return nn.Sequential(*layers, nn.Linear(in_features, 1))


class DeepDTANet(nn.Module):
    """The DeepDTA network: a SMILES CNN and a protein CNN, concatenated, dense head.

    Parameters
    ----------
    smiles_vocabulary, protein_vocabulary : int
        Embedding rows of the two branches.
    embedding, n_filters : int
        Embedding width and first-layer filters of both branches.
    smiles_kernel, protein_kernel : int
        Window lengths of the SMILES and protein convolutions.
    dropout : float
        Dropout after the first two dense layers (1024, 1024; none after 512).
    """

    def __init__(self, smiles_vocabulary: int, protein_vocabulary: int, embedding: int = 128,
                 n_filters: int = 32, smiles_kernel: int = 4, protein_kernel: int = 8,
                 dropout: float = 0.1):
        super().__init__()
        self.drug = SequenceCNN(smiles_vocabulary, embedding, n_filters, smiles_kernel)
        self.protein = SequenceCNN(protein_vocabulary, embedding, n_filters, protein_kernel)
        self.head = dense_head(self.drug.out_features + self.protein.out_features,
                               (1024, 1024, 512), (dropout, dropout, 0.0))

    def combine(self, drug: torch.Tensor, protein: torch.Tensor) -> torch.Tensor:
        """Head outputs, shape (n, 1), of per-pair drug (n, d) and protein (n, p) features."""
        return self.head(torch.cat([drug, protein], dim=1))

    def forward(self, smiles_codes: torch.Tensor, protein_codes: torch.Tensor) -> torch.Tensor:
        """Standardised affinities, shape (n_pairs, 1), of per-pair codes (n_pairs, len)."""
        return self.combine(self.drug(smiles_codes), self.protein(protein_codes))


@dataclass(frozen=True)
class PairCodes:
    """Network inputs of drug-target pairs, each distinct drug and target encoded once.

    Attributes
    ----------
    drugs : LongTensor, shape (n_drugs, smiles_len), or list of graphs, length n_drugs
        Encoded distinct drugs.
    targets : LongTensor, shape (n_targets, protein_len)
        Label-encoded distinct target sequences.
    drug_index, target_index : ndarray of intp, shape (n_pairs,)
        Each pair's drug and target (rows of ``drugs`` / ``targets``).
    """

    drugs: Any
    targets: torch.Tensor
    drug_index: np.ndarray
    target_index: np.ndarray

    def __len__(self) -> int:
        return len(self.drug_index)


class PairNetBase(MolNetBase):
    """Training-loop hooks shared by the pair networks (a drug branch, DeepDTA's protein CNN
    as ``module.protein``, ``module.combine(drug, protein)``).

    A subclass implements ``_encode_drugs(smiles)`` (inputs of the distinct drugs) and
    ``_drug_features(module, drugs, rows, device, dtype)`` (features of drugs ``rows``).
    Mini-batches run each branch once per distinct drug / target they hold; inference
    computes every distinct drug and target once, in blocks of :attr:`_BLOCK`.
    """

    _task = "regression"
    #: Distinct drugs / targets per inference block, and pairs per head batch.
    _BLOCK, _HEAD_BATCH = 64, 512

    def _encode_drugs(self, smiles: np.ndarray, rows: np.ndarray) -> Any:
        """Inputs of the distinct drugs ``smiles``; ``rows`` are their first rows in ``X``
        (named in errors)."""
        raise NotImplementedError

    def _drug_features(self, module: nn.Module, drugs: Any, rows: np.ndarray,
                       device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        raise NotImplementedError

    def _check_protein_params(self) -> None:
        check_counts(self, ("protein_len", "n_filters", "protein_kernel", "embedding"))
        check_length("protein_len", self.protein_len, self.protein_kernel)

    def _encode(self, X: Any, reset: bool) -> PairCodes:
        smiles, sequences = check_pairs(X)
        if reset:
            self.n_features_in_ = 2
        drugs, first, drug_index = unique_inverse(smiles)
        targets, target_index = np.unique(sequences, return_inverse=True)
        logger.debug("%s: %d pairs, %d distinct drugs, %d distinct targets",
                     type(self).__name__, len(smiles), len(drugs), len(targets))
        return PairCodes(self._encode_drugs(drugs, first),
                         torch.as_tensor(encode(targets, CHARPROTSET, self.protein_len)),
                         drug_index.astype(np.intp), target_index.astype(np.intp))

    def _features(self, module: nn.Module, inputs: PairCodes, rows: np.ndarray,
                  device: torch.device, dtype: torch.dtype, block: int
                  ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, np.ndarray]:
        drugs, drug_of = np.unique(inputs.drug_index[rows], return_inverse=True)
        targets, target_of = np.unique(inputs.target_index[rows], return_inverse=True)
        drug = torch.cat([self._drug_features(module, inputs.drugs, drugs[i:i + block],
                                              device, dtype)
                          for i in range(0, len(drugs), block)])
        protein = torch.cat([module.protein(inputs.targets[torch.as_tensor(
            targets[i:i + block])].to(device)) for i in range(0, len(targets), block)])
        return drug, protein, drug_of, target_of

    def _forward(self, module: nn.Module, inputs: PairCodes, rows: np.ndarray,
                 device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        drug, protein, drug_of, target_of = self._features(module, inputs, rows, device,
                                                           dtype, len(rows))
        return module.combine(drug[torch.as_tensor(drug_of, device=device)],
                              protein[torch.as_tensor(target_of, device=device)])

    def _outputs(self, module: nn.Module, inputs: PairCodes, rows: np.ndarray,
                 device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """Evaluation-mode outputs, shape (len(rows), 1): each distinct drug and target once."""
        module.eval()
        with torch.no_grad():
            drug, protein, drug_of, target_of = self._features(module, inputs, rows, device,
                                                               dtype, self._BLOCK)
            drug_of = torch.as_tensor(drug_of, device=device)
            target_of = torch.as_tensor(target_of, device=device)
            return torch.cat([module.combine(drug[drug_of[i:i + self._HEAD_BATCH]],
                                             protein[target_of[i:i + self._HEAD_BATCH]])
                              for i in range(0, len(rows), self._HEAD_BATCH)])


def check_length(name: str, length: int, kernel: int) -> None:
    """Raise an input error unless ``length`` covers three valid convolutions of ``kernel``."""
    need = 3 * (kernel - 1) + 1
    if length < need:
        raise input_error(name, f"at least 3 * (kernel - 1) + 1 = {need} positions for "
                                f"kernel {kernel}", length)


class DeepDTARegressor(PairInputMixin, RegressorOutputs, RegressorMixin, PairNetBase):
    """DeepDTA affinity regression on (SMILES, sequence) pairs (see the module docstring).

    Parameters
    ----------
    smiles_len, protein_len : int
        Encoded lengths (DeepDTA: Davis 85 / 1200, KIBA 100 / 1000).
    n_filters : int
        Filters of the first convolution of each branch (then 2x, 3x); DeepDTA: 32.
    smiles_kernel, protein_kernel : int
        Window lengths of the SMILES and protein convolutions (DeepDTA's grid: 4 or 8,
        8 or 12).
    embedding : int
        Character embedding width (128).
    dropout : float
        Dropout after the first two dense layers (0.1).
    max_epochs, batch_size, lr, weight_decay : int, int, float, float
        Adam training (DeepDTA: 100 epochs, batch 256, lr 0.001, no weight decay).
    valid_size : float
        Fraction of the training pairs held out for early stopping (0: ``max_epochs``
        epochs, as DeepDTA's paper).
    patience : int
        Epochs without validation-loss improvement before stopping (DeepDTA's code: 15).
    device : str
        ``"cpu"`` (default), ``"cuda[:i]"`` or ``"auto"``.
    random_state : int
        Seed of the weights, the validation split, dropout and the batch order.
    n_threads : int or None
        Torch threads during fit and predict (None leaves the setting as is).

    Attributes
    ----------
    module_ : DeepDTANet
        The trained network, on the CPU.
    n_features_in_ : int
        2 (SMILES, sequence).
    y_mean_, y_scale_ : float
        Training-fold target mean and standard deviation.
    history_, best_epoch_, n_epochs_, stop_reason_, n_train_fit_, valid_indices_, device_
        As :class:`~neurocompare.pipelines.molecules.training.MolNetBase` records them
        (``history_`` rows carry each epoch's ``seconds``).
    train_r2_, train_pearson_ : float
        Fit of the kept weights on the pairs they were trained on.
    n_params_ : int
    macs_ : int
        Multiply-accumulates of one pair through the plain layers at the encoded lengths
        (both branches and the head); sharing a drug or target across pairs saves more.
    """

    _task = "regression"

    def __init__(self, smiles_len: int = 85, protein_len: int = 1200, n_filters: int = 32,
                 smiles_kernel: int = 4, protein_kernel: int = 8, embedding: int = 128,
                 dropout: float = 0.1, max_epochs: int = 100, batch_size: int = 256,
                 lr: float = 1e-3, weight_decay: float = 0.0, valid_size: float = 0.1,
                 patience: int = 15, device: str = "cpu", random_state: int = 0,
                 n_threads: int | None = 1):
        self.smiles_len = smiles_len
        self.protein_len = protein_len
        self.n_filters = n_filters
        self.smiles_kernel = smiles_kernel
        self.protein_kernel = protein_kernel
        self.embedding = embedding
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
        check_counts(self, ("smiles_len", "smiles_kernel"))
        check_length("smiles_len", self.smiles_len, self.smiles_kernel)

    def _encode_drugs(self, smiles: np.ndarray, rows: np.ndarray) -> torch.Tensor:
        parse_smiles(smiles, rows=rows)  # DeepDTA reads characters; a typo must not pass
        return torch.as_tensor(encode(smiles, CHARISOSMISET, self.smiles_len))

    def _drug_features(self, module: nn.Module, drugs: torch.Tensor, rows: np.ndarray,
                       device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        return module.drug(drugs[torch.as_tensor(rows)].to(device))

    def _build(self, n_outputs: int) -> nn.Module:
        return DeepDTANet(vocabulary_size(CHARISOSMISET), vocabulary_size(CHARPROTSET),
                          self.embedding, self.n_filters, self.smiles_kernel,
                          self.protein_kernel, self.dropout)

    def _macs(self, module: nn.Module, inputs: PairCodes) -> int:
        head_in = module.head[0].in_features
        return (module.drug.macs(self.smiles_len) + module.protein.macs(self.protein_len)
                + count_macs(module.head, (1, head_in)))
