"""Label encoding of SMILES strings and amino-acid sequences, as DeepDTA feeds its CNNs.

Each character becomes an integer code from a fixed character set, the string is cut at
``max_len`` characters and right-padded with 0 (DeepDTA, ``source/datahelper.py``:
``label_smiles``/``label_sequence`` lines 86-99 write ``charset[ch]`` for the first
``MAX_LEN`` characters into a zero vector). The character sets are DeepDTA's:

* :data:`CHARISOSMISET` -- the 64 characters of isomeric SMILES, codes 1..64
  (``datahelper.py`` lines 50-59, the set its ``DataSet`` uses, line 117);
* :data:`CHARPROTSET` -- the 25 one-letter amino-acid codes (the 20 standard ones plus B, O,
  U, X, Z), codes 1..25 (``datahelper.py`` lines 27-34).

Unknown characters: DeepDTA looks every character up in a dict and fails (``KeyError``) on
one outside its set. Here such a character gets one reserved code, ``max code + 1`` (65
for SMILES, 26 for proteins; :func:`unknown_code`), so that a test drug written with a
character the set lacks (e.g. ``*``, or a lower-case residue) is still predicted instead of
aborting a whole fold; the networks embed it like any other character
(:func:`vocabulary_size` counts padding, the set and the unknown code). Padding is code 0
and only ever a suffix, which the sequence CNN relies on.

:class:`SequenceCNN` is DeepDTA's branch over these codes (embedding, three valid 1-D
convolutions with ReLU, global max pooling; ``run_experiments.py`` lines 111-122), computed
exactly but cheaply on the CPU, where the 1200 positions of a protein dominate the cost:

* sequences are sorted by length and, in groups, trimmed to the group's longest plus one
  receptive field of padding: padding is a suffix with one shared embedding, so every
  window lying inside it gives the same output, and the maximum over positions is unchanged
  as long as one such window is kept;
* the embedding followed by the first convolution is a sum of per-tap lookup tables,
  ``conv1(embed(x))[:, i] = b + sum_k (E W_k^T)[x[i + k]]`` (a few gathers instead of a
  128-channel convolution);
* the last convolution, ReLU and max pooling are one autograd function whose backward pass
  touches only the pooled (maximal) positions, the only ones with a gradient.

Measured on Davis (one thread, a shared 2-core machine): a DeepDTA training step on 256
pairs (~195 distinct targets, forward and backward) takes about 0.7 s, against 2.7 s with
the plain layers on the same distinct targets and 3.8 s with the plain layers per pair.
Outputs and gradients agree with the plain layers to float64 rounding
(``tests/test_dti_deep.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurocompare._errors import input_error
from neurocompare.cost.macs import count_macs

__all__ = ["CHARISOSMISET", "CHARPROTSET", "SequenceCNN", "encode", "unknown_code",
           "vocabulary_size"]

#: DeepDTA's isomeric-SMILES characters and their codes (``datahelper.py`` ``CHARISOSMISET``).
CHARISOSMISET: Mapping[str, int] = MappingProxyType({
    "#": 29, "%": 30, ")": 31, "(": 1, "+": 32, "-": 33, "/": 34, ".": 2,
    "1": 35, "0": 3, "3": 36, "2": 4, "5": 37, "4": 5, "7": 38, "6": 6,
    "9": 39, "8": 7, "=": 40, "A": 41, "@": 8, "C": 42, "B": 9, "E": 43,
    "D": 10, "G": 44, "F": 11, "I": 45, "H": 12, "K": 46, "M": 47, "L": 13,
    "O": 48, "N": 14, "P": 15, "S": 49, "R": 16, "U": 50, "T": 17, "W": 51,
    "V": 18, "Y": 52, "[": 53, "Z": 19, "]": 54, "\\": 20, "a": 55, "c": 56,
    "b": 21, "e": 57, "d": 22, "g": 58, "f": 23, "i": 59, "h": 24, "m": 60,
    "l": 25, "o": 61, "n": 26, "s": 62, "r": 27, "u": 63, "t": 28, "y": 64})

#: DeepDTA's amino-acid characters and their codes (``datahelper.py`` ``CHARPROTSET``).
CHARPROTSET: Mapping[str, int] = MappingProxyType({
    "A": 1, "C": 2, "B": 3, "E": 4, "D": 5, "G": 6, "F": 7, "I": 8, "H": 9, "K": 10,
    "M": 11, "L": 12, "O": 13, "N": 14, "Q": 15, "P": 16, "S": 17, "R": 18, "U": 19,
    "T": 20, "W": 21, "V": 22, "Y": 23, "X": 24, "Z": 25})


def unknown_code(charset: Mapping[str, int]) -> int:
    """The code of characters outside ``charset``: its largest code plus one."""
    return max(charset.values()) + 1


def vocabulary_size(charset: Mapping[str, int]) -> int:
    """Rows an embedding of ``charset``'s codes needs: padding (0), the set, unknown."""
    return unknown_code(charset) + 1


def encode(strings: Iterable[str], charset: Mapping[str, int], max_len: int) -> np.ndarray:
    """Label-encode strings: codes from ``charset``, truncated and zero-padded to ``max_len``.

    Parameters
    ----------
    strings : iterable of str, length n_strings
        SMILES strings or amino-acid sequences.
    charset : mapping of str to int
        Character codes, all >= 1 (:data:`CHARISOSMISET`, :data:`CHARPROTSET`).
    max_len : int
        Length of the encoding; longer strings keep their first ``max_len`` characters.

    Returns
    -------
    ndarray of int64, shape (n_strings, max_len)
        Row ``i`` holds the codes of ``strings[i][:max_len]`` followed by zeros; characters
        outside ``charset`` get :func:`unknown_code`.
    """
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise input_error("max_len", "a positive integer", max_len)
    if any(code < 1 for code in charset.values()):
        raise input_error("charset", "codes >= 1 (0 is the padding)", dict(charset))
    strings = list(strings)
    unknown = unknown_code(charset)
    codes = np.zeros((len(strings), int(max_len)), dtype=np.int64)
    for row, text in enumerate(strings):
        if not isinstance(text, str):
            raise input_error(f"strings[{row}]", "a string", text)
        part = text[:max_len]
        codes[row, :len(part)] = [charset.get(char, unknown) for char in part]
    return codes


class _OffsetSum(torch.autograd.Function):
    """``out[m] = sum_k table[index[m, k]]``: ``embedding_bag`` forward, ``index_add``
    backward (several times faster on the CPU than ``embedding_bag``'s own)."""

    @staticmethod
    def forward(ctx, table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(index)
        ctx.n_rows = table.shape[0]
        return F.embedding_bag(index, table, mode="sum")

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, None]:
        (index,) = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None
        grad = grad.contiguous()
        grad_table = grad.new_zeros((ctx.n_rows, grad.shape[1]))
        for k in range(index.shape[1]):
            grad_table.index_add_(0, index[:, k], grad)
        return grad_table, None


class _ConvReluMax(torch.autograd.Function):
    """``relu(conv1d(h, weight, bias)).amax(2)`` with a backward pass through the maximal
    positions only (the gradient of a max is zero elsewhere), shape (n, c_out)."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
                ) -> torch.Tensor:
        values, where = F.conv1d(h, weight, bias).max(dim=2)
        ctx.save_for_backward(h, weight, where, values)
        return values.clamp_min(0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        h, weight, where, values = ctx.saved_tensors
        grad = grad * (values > 0)  # relu(max) = max(relu); relu'(0) = 0 as in torch
        n, c_in, _ = h.shape
        c_out, _, kernel = weight.shape
        # input position of every (pair, filter, tap) at the maximum: (n, c_in, c_out * k)
        index = (where.unsqueeze(2) + torch.arange(kernel, device=h.device)).reshape(
            n, 1, c_out * kernel).expand(n, c_in, c_out * kernel)
        grad_h = grad_weight = grad_bias = None
        if ctx.needs_input_grad[1]:
            patches = h.gather(2, index).reshape(n, c_in, c_out, kernel)
            grad_weight = torch.einsum("nc,nick->cik", grad, patches)
        if ctx.needs_input_grad[2]:
            grad_bias = grad.sum(0)
        if ctx.needs_input_grad[0]:
            spread = torch.einsum("nc,cik->nick", grad, weight).reshape(n, c_in, -1)
            grad_h = torch.zeros_like(h).scatter_add_(2, index, spread)
        return grad_h, grad_weight, grad_bias


class SequenceCNN(nn.Module):
    """DeepDTA's branch: embedding, three valid 1-D convolutions (``n_filters``, 2x, 3x
    filters, one window length, ReLU), global max pooling over positions.

    Parameters
    ----------
    vocabulary : int
        Embedding rows (codes 0..vocabulary-1, 0 the padding; see
        :func:`~.sequences.vocabulary_size`).
    embedding : int
        Embedding width (DeepDTA: 128).
    n_filters : int
        Filters of the first convolution (DeepDTA: 32).
    kernel : int
        Window length of the three convolutions.
    group : int
        Sequences per length-sorted group (see :meth:`forward`); does not change outputs.
    """

    def __init__(self, vocabulary: int, embedding: int = 128, n_filters: int = 32,
                 kernel: int = 8, group: int = 16):
        super().__init__()
        self.vocabulary, self.kernel, self.group = vocabulary, kernel, group
        self.embed = nn.Embedding(vocabulary, embedding)
        self.convs = nn.ModuleList([nn.Conv1d(embedding, n_filters, kernel),
                                    nn.Conv1d(n_filters, 2 * n_filters, kernel),
                                    nn.Conv1d(2 * n_filters, 3 * n_filters, kernel)])
        self.out_features = 3 * n_filters

    def macs(self, length: int) -> int:
        """Multiply-accumulates of the plain layers on one sequence of ``length`` codes
        (:func:`~neurocompare.cost.macs.count_macs` of the convolutions; the embedding is a
        lookup)."""
        return count_macs(nn.Sequential(*self.convs), (1, self.embed.embedding_dim, length))

    @property
    def receptive_field(self) -> int:
        """Input positions one output of the last convolution sees: ``3 * (kernel - 1) + 1``."""
        return 3 * (self.kernel - 1) + 1

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Pooled features of label-encoded sequences.

        Parameters
        ----------
        codes : LongTensor, shape (n, max_len)
            Codes from :func:`~.sequences.encode` (0-padding as a suffix only), ``max_len``
            at least :attr:`receptive_field`.

        Returns
        -------
        Tensor, shape (n, 3 * n_filters)
            Equal to ``amax(relu(conv3(relu(conv2(relu(conv1(embed(codes))))))), positions)``.
        """
        n, max_len = codes.shape
        real = codes != 0
        lengths = torch.where(real.any(1), max_len - real.flip(1).to(torch.uint8).argmax(1), 0)
        order = torch.argsort(lengths, stable=True)
        pieces = []
        for start in range(0, n, self.group):
            rows = order[start:start + self.group]
            keep = min(max_len, int(lengths[rows].max()) + self.receptive_field)
            pieces.append(self._pooled(codes[rows, :keep]))
        return torch.cat(pieces)[torch.argsort(order)]

    def _pooled(self, codes: torch.Tensor) -> torch.Tensor:
        first, second, third = self.convs
        n, length = codes.shape
        # conv1(embed(x))[c, i] = b[c] + sum_k (E W_k^T)[x[i + k], c]: one table per tap
        table = torch.einsum("ve,cek->kvc", self.embed.weight, first.weight).reshape(
            self.kernel * self.vocabulary, -1)
        index = codes.unfold(1, self.kernel, 1) + torch.arange(
            self.kernel, device=codes.device) * self.vocabulary
        h = _OffsetSum.apply(table, index.reshape(-1, self.kernel))
        h = torch.relu(h.reshape(n, length - self.kernel + 1, -1) + first.bias)
        h = torch.relu(second(h.transpose(1, 2).contiguous()))
        return _ConvReluMax.apply(h, third.weight, third.bias)
