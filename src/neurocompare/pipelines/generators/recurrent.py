"""Recurrent SMILES language models (LSTM or GRU): the deep generators.

The recipe of MOSES's CharRNN (Polykovskiy et al. 2020, "Molecular Sets (MOSES)", Front.
Pharmacol. 11, 565644), itself Segler et al.'s (2018, "Generating focused molecule libraries
for drug discovery with recurrent neural networks", ACS Cent. Sci. 4, 120): a stacked recurrent
network reads a SMILES string one token at a time and predicts the next; trained by teacher
forcing with cross-entropy, Adam, dropout between the recurrent layers; sampled token
by token from the softmax until the end token. Where ours differs, and why:

* tokens, not characters: Schwaller et al.'s tokens (:mod:`.tokens`), so ``Cl`` and ``[nH]``
  are one step each, through a learned embedding (``embedding_dim``) instead of one-hot input;
* smaller for CPU training: 2 layers of 256 units by default against MOSES's 3 of 768 (about
  0.9 million weights against 12 million), and a corpus of about 14 thousand training
  molecules against MOSES's 1.6 million;
* more optimiser steps for the small corpus: batches of 32 and Adam at 2e-3 (MOSES: 64 and
  1e-3). An epoch here is 450 steps against MOSES's 25,000, and at MOSES's batch size the
  network was step-starved: on the union corpus (seed-0 split, one CPU thread) batches of
  128 at 1e-3 reached validation loss 1.36 per token after 2 epochs and 38.8 % valid
  samples after 12, where batches of 32 at 2e-3 reached 0.835 and 48.4 % after 3 epochs
  (about 60 s per epoch with length buckets, below);
* no learning-rate schedule (MOSES halves it every 10 of its 80 epochs): early stopping ends
  training here first;
* early stopping: the validation loss (per token) is measured after every epoch, on
  ``X_valid`` when given to ``fit``, else on a seeded ``validation_fraction`` of ``X``; training
  stops after ``patience`` epochs without improvement and the best weights are kept;
* gradient-norm clipping (``gradient_clip``; not in MOSES's recipe) against the occasional
  exploding gradient of a recurrent network.

Batches are padded to their longest string and padded targets are ignored by the loss (a
left-to-right network's outputs before a string's end do not depend on the padding after it);
packing the sequences instead was measured 1.8 times slower per batch on one CPU thread (2x256
LSTM, batch 128). Seeding follows :func:`neurocompare.pipelines.molecules.training
.torch_scope`: initialisation and dropout draw from a forked, seeded torch RNG, batches from a
local generator, and sampling from its own seeded generator, so no global state changes.
"""

from __future__ import annotations

import copy
import logging
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.common.early_stopping import BestWeights
from neurocompare.pipelines.generators.base import SmilesGenerator, resolve_seed
from neurocompare.pipelines.generators.tokens import Vocabulary, tokenize_all
from neurocompare.pipelines.molecules.training import (
    check_counts,
    check_fraction,
    torch_scope,
    validation_split,
)

__all__ = ["CELLS", "RecurrentSmilesGenerator", "SmilesRNN"]

logger = logging.getLogger(__name__)

CELLS = ("lstm", "gru")
#: Sequences drawn together when sampling (a constant: the draws depend on it).
_SAMPLE_BATCH = 1000
#: Batches per pool sorted by length in :func:`_length_batches`.
_POOL = 32
#: Width of the uniform noise added to the lengths before sorting (tokens).
_JITTER = 8.0
#: Sequences per batch when measuring the validation loss.
_EVAL_BATCH = 512


class SmilesRNN(nn.Module):
    """Embedding, stacked LSTM/GRU, linear read-out to next-token logits.

    Parameters
    ----------
    n_tokens : int
        Vocabulary size (special tokens included).
    cell : {"lstm", "gru"}
    embedding_dim, hidden_size, n_layers : int
    dropout : float
        Between recurrent layers (PyTorch's ``dropout``); unused with one layer.
    pad : int
        Padding code (its embedding stays zero).
    """

    def __init__(self, n_tokens: int, cell: str, embedding_dim: int, hidden_size: int,
                 n_layers: int, dropout: float, pad: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(n_tokens, embedding_dim, padding_idx=pad)
        recurrent = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = recurrent(embedding_dim, hidden_size, n_layers, batch_first=True,
                             dropout=dropout if n_layers > 1 else 0.0)
        self.output = nn.Linear(hidden_size, n_tokens)

    def forward(self, codes: torch.Tensor, hidden: Any = None) -> tuple[torch.Tensor, Any]:
        """Next-token logits.

        Parameters
        ----------
        codes : Tensor of int64, shape (batch, steps)
        hidden : recurrent state or None
            State after the previous steps (None: zeros).

        Returns
        -------
        logits : Tensor, shape (batch, steps, n_tokens)
        hidden : the recurrent state after the last step
        """
        states, hidden = self.rnn(self.embedding(codes), hidden)
        return self.output(states), hidden


class RecurrentSmilesGenerator(SmilesGenerator):
    """Token-level LSTM/GRU SMILES generator with early stopping.

    Parameters
    ----------
    cell : {"lstm", "gru"}
        Recurrent unit.
    embedding_dim : int
        Token embedding size.
    hidden_size : int
        Units per recurrent layer (MOSES CharRNN: 768; smaller here for CPU training).
    n_layers : int
        Recurrent layers (MOSES CharRNN: 3).
    dropout : float
        Dropout between recurrent layers, in [0, 1) (MOSES CharRNN: 0.2).
    learning_rate : float
        Adam learning rate (MOSES CharRNN: 1e-3; 2e-3 here, module docstring).
    batch_size : int
        Sequences per training batch (MOSES CharRNN: 64; 32 here, module docstring).
    max_epochs : int
        Upper bound on epochs.
    patience : int
        Epochs without validation-loss improvement before stopping.
    validation_fraction : float
        Share of ``X`` held out for early stopping when ``fit`` gets no ``X_valid``, in
        [0, 1); 0 trains for ``max_epochs`` without early stopping.
    temperature : float
        Sampling temperature, > 0 (logits divided by it).
    max_length : int
        Most tokens per sampled string (the end token not counted).
    length_buckets : bool
        Group sequences of similar length in a batch (:func:`_length_batches`): twice as
        fast an epoch on the union corpus; ``False`` draws plain random batches (MOSES),
        which learned a toy counting grammar better (98 % against 89 % grammatical samples).
    gradient_clip : float or None
        Largest gradient norm (None: no clipping).
    random_state : int or None
        Seed of initialisation, validation split, batch order and dropout, and default seed
        of :meth:`sample`.
    device : {"cpu", "cuda"}
        Where to train and sample.

    Attributes
    ----------
    vocabulary_ : Vocabulary
        Tokens of the training SMILES.
    module_ : SmilesRNN
        The kept (best validation loss) network, on the CPU, in evaluation mode.
    history_ : list of dict
        Per epoch: ``epoch``, ``train_loss``, ``valid_loss`` (mean cross-entropy per token;
        None without validation data) and ``seconds``.
    n_epochs_ : int
        Epochs run.
    best_epoch_ : int
        Epoch of the kept weights (1-based).
    stop_reason_ : {"early_stopping", "max_epochs"}
    n_parameters_ : int
        Trainable weights.
    """

    def __init__(self, cell: str = "lstm", embedding_dim: int = 64, hidden_size: int = 256,
                 n_layers: int = 2, dropout: float = 0.2, learning_rate: float = 2e-3,
                 batch_size: int = 32, max_epochs: int = 30, patience: int = 3,
                 validation_fraction: float = 0.1, temperature: float = 1.0,
                 max_length: int = 120, gradient_clip: float | None = 5.0,
                 length_buckets: bool = True, random_state: int | None = None,
                 device: str = "cpu") -> None:
        self.cell = cell
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.temperature = temperature
        self.max_length = max_length
        self.gradient_clip = gradient_clip
        self.length_buckets = length_buckets
        self.random_state = random_state
        self.device = device

    # -- checks ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        check_option("cell", self.cell, CELLS)
        check_counts(self, ("embedding_dim", "hidden_size", "n_layers", "batch_size",
                            "max_epochs", "patience", "max_length"))
        check_fraction("dropout", self.dropout)
        check_fraction("validation_fraction", self.validation_fraction)
        for name in ("learning_rate", "temperature"):
            if not _positive(getattr(self, name)):
                raise input_error(name, "a positive number", getattr(self, name))
        if not isinstance(self.length_buckets, bool | np.bool_):
            raise input_error("length_buckets", "True or False", self.length_buckets)
        if self.gradient_clip is not None and not _positive(self.gradient_clip):
            raise input_error("gradient_clip", "a positive number or None", self.gradient_clip)
        self._device()

    def _device(self) -> torch.device:
        check_option("device", self.device, ("cpu", "cuda"))
        if self.device == "cuda" and not torch.cuda.is_available():
            raise input_error("device", "'cpu' (CUDA is not available on this machine)",
                              self.device)
        return torch.device(self.device)

    # -- fit -------------------------------------------------------------------------------
    def _fit(self, smiles: list[str], valid: list[str] | None) -> None:
        seed = resolve_seed(self.random_state)
        tokens = tokenize_all(smiles, "X")
        if valid is None:
            train_idx, valid_idx = validation_split(np.zeros(len(tokens), dtype=np.int64),
                                                    self.validation_fraction, stratify=False,
                                                    random_state=seed)
            valid_tokens = [tokens[i] for i in valid_idx]
            tokens = [tokens[i] for i in train_idx]
        else:
            valid_tokens = tokenize_all(valid, "X_valid")
        self.vocabulary_ = Vocabulary.build(tokens)
        train = _padded(self.vocabulary_, tokens)
        checked = _padded(self.vocabulary_, valid_tokens) if valid_tokens else None
        device = self._device()
        with torch_scope(None, device, seed):
            module = SmilesRNN(len(self.vocabulary_), self.cell, self.embedding_dim,
                               self.hidden_size, self.n_layers, self.dropout,
                               self.vocabulary_.pad).to(device)
            self._train(module, train, checked, device, seed)
        self.module_ = module.cpu().eval()
        self.n_parameters_ = int(sum(p.numel() for p in module.parameters()
                                     if p.requires_grad))

    def _loss_sum(self, module: SmilesRNN, batch: tuple[torch.Tensor, torch.Tensor],
                  device: torch.device) -> tuple[torch.Tensor, int]:
        """Summed cross-entropy over the batch's real (unpadded) targets, and their count."""
        codes, lengths = batch
        width = int(lengths.max())
        codes = codes[:, :width].to(device)
        logits = module(codes[:, :-1])[0]
        targets = codes[:, 1:]
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           targets.reshape(-1), reduction="sum",
                                           ignore_index=self.vocabulary_.pad)
        return loss, int((lengths - 1).sum())

    def _valid_loss(self, module: SmilesRNN, data: tuple[torch.Tensor, torch.Tensor],
                    device: torch.device) -> float:
        module.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(data[1]), _EVAL_BATCH):
                loss, n = self._loss_sum(module, (data[0][start:start + _EVAL_BATCH],
                                                  data[1][start:start + _EVAL_BATCH]), device)
                total, count = total + float(loss), count + n
        return total / count

    def _train(self, module: SmilesRNN, train: tuple[torch.Tensor, torch.Tensor],
               valid: tuple[torch.Tensor, torch.Tensor] | None, device: torch.device,
               seed: int) -> None:
        optimizer = torch.optim.Adam(module.parameters(), lr=self.learning_rate)
        order_rng = torch.Generator().manual_seed(seed)
        self.history_, self.stop_reason_, self.best_epoch_ = [], "max_epochs", 0
        stopper = BestWeights(self.patience)
        for epoch in range(1, self.max_epochs + 1):
            start = time.perf_counter()
            module.train()
            total, count = 0.0, 0
            batches = (_length_batches(train[1], self.batch_size, order_rng)
                       if self.length_buckets else
                       torch.randperm(len(train[1]), generator=order_rng).split(self.batch_size))
            for rows in batches:
                optimizer.zero_grad()
                loss, n = self._loss_sum(module, (train[0][rows], train[1][rows]), device)
                (loss / n).backward()
                if self.gradient_clip is not None:
                    nn.utils.clip_grad_norm_(module.parameters(), self.gradient_clip)
                optimizer.step()
                total, count = total + float(loss.detach()), count + n
            record = {"epoch": epoch, "train_loss": total / count, "valid_loss": None}
            if valid is not None:
                record["valid_loss"] = self._valid_loss(module, valid, device)
                stopper.update(epoch, record["valid_loss"], module)
                self.best_epoch_ = stopper.best_epoch
            else:
                self.best_epoch_ = epoch
            record["seconds"] = time.perf_counter() - start
            self.history_.append(record)
            logger.debug("%s epoch %d: %s", self.cell, epoch, record)
            if valid is not None and stopper.exhausted:
                self.stop_reason_ = "early_stopping"
                break
        stopper.restore(module)
        self.n_epochs_ = len(self.history_)

    # -- sample ----------------------------------------------------------------------------
    def _sample(self, n_samples: int, seed: int) -> list[str]:
        device = self._device()
        module = self.module_ if device.type == "cpu" else copy.deepcopy(self.module_).to(device)
        generator = torch.Generator(device=device).manual_seed(seed)
        vocabulary = self.vocabulary_
        banned = torch.tensor([vocabulary.pad, vocabulary.bos, vocabulary.unk], device=device)
        out: list[str] = []
        with torch.no_grad():
            for start in range(0, n_samples, _SAMPLE_BATCH):
                size = min(_SAMPLE_BATCH, n_samples - start)
                codes = torch.full((size, 1), vocabulary.bos, dtype=torch.long, device=device)
                drawn = torch.full((size, self.max_length), vocabulary.pad, dtype=torch.long,
                                   device=device)
                done = torch.zeros(size, dtype=torch.bool, device=device)
                hidden = None
                for step in range(self.max_length):
                    logits, hidden = module(codes, hidden)
                    logits = logits[:, -1] / self.temperature
                    logits[:, banned] = -torch.inf
                    following = torch.multinomial(torch.softmax(logits, dim=-1), 1,
                                                  generator=generator)[:, 0]
                    following = following.masked_fill(done, vocabulary.pad)
                    drawn[:, step] = following
                    done |= following == vocabulary.eos
                    if bool(done.all()):
                        break
                    codes = following[:, None]
                out.extend(vocabulary.decode(row) for row in drawn.cpu().numpy())
        return out


def _length_batches(lengths: torch.Tensor, batch_size: int,
                    generator: torch.Generator) -> list[torch.Tensor]:
    """Row indices of one epoch's batches, each of sequences of similar length.

    The rows are shuffled, cut into pools of :data:`_POOL` batches, sorted inside each pool by
    length plus uniform noise of :data:`_JITTER` tokens and cut into batches, whose order is
    shuffled again (a bucket iterator with noisy lengths): each batch is padded only to its
    own longest sequence, which halves an epoch's time on the union corpus (lengths 5 to 100
    tokens; 78 s against 40 s per epoch measured on one thread), while the noise keeps
    sequences of neighbouring lengths mixed in a batch. Sorting exactly by length made
    batches of identical strings on a corpus of short chains, and the network learned their
    grammar worse (87 % against 98 % grammatical samples).

    Parameters
    ----------
    lengths : Tensor of int64, shape (n_rows,)
    batch_size : int
    generator : torch.Generator
        Seeded; the only source of randomness.

    Returns
    -------
    list of Tensor of int64
        Each of shape (<= batch_size,); together a permutation of the rows.
    """
    order = torch.randperm(len(lengths), generator=generator)
    batches: list[torch.Tensor] = []
    for pool in order.split(batch_size * _POOL):
        noisy = lengths[pool] + _JITTER * torch.rand(len(pool), generator=generator)
        ranked = pool[torch.argsort(noisy)]
        batches.extend(ranked.split(batch_size))
    shuffled = torch.randperm(len(batches), generator=generator)
    return [batches[int(i)] for i in shuffled]


def _padded(vocabulary: Vocabulary, token_lists: list[list[str]]
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes with markers, padded: shape (n, longest + 2), and lengths, shape (n,)."""
    encoded = [vocabulary.encode(tokens) for tokens in token_lists]
    lengths = np.array([len(codes) for codes in encoded], dtype=np.int64)
    codes = np.full((len(encoded), int(lengths.max())), vocabulary.pad, dtype=np.int64)
    for row, values in enumerate(encoded):
        codes[row, :len(values)] = values
    return torch.from_numpy(codes), torch.from_numpy(lengths)


def _positive(value: Any) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float, np.integer,
                                                               np.floating)) and value > 0)
