"""SMILES tokens: the regular expression of Schwaller et al. and a small vocabulary.

A SMILES string is split into chemically meaningful tokens with the regular expression of
Schwaller et al. (2019), "Molecular Transformer", ACS Cent. Sci. 5, 1572: a bracket atom
(``[nH]``, ``[C@@H]``, ``[13CH3]``, ``[N+]``) is one token, ``Br`` and ``Cl`` are one token
each, a two-digit ring closure ``%10`` is one token, and every other character (organic-subset
atoms, bonds, branches, ring digits, ``@``, ``/``, ``\\``) is a token of its own. The split
must give the string back when its tokens are joined; characters the expression does not know
(a three-digit ``%(123)`` closure, a stray space) make :func:`tokenize` raise an input error
rather than silently drop them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from neurocompare._errors import input_error

__all__ = ["BOS", "EOS", "PAD", "SMILES_REGEX", "SPECIALS", "UNK", "Vocabulary", "tokenize",
           "tokenize_all"]

#: Schwaller et al. (2019)'s SMILES token pattern, as published.
SMILES_REGEX = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$"
    r"|\%[0-9]{2}|[0-9])")

#: Special tokens: padding, begin and end of a sequence, a token unseen in training. None of
#: them can come out of :data:`SMILES_REGEX` (which never yields a token starting with "<").
PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS: tuple[str, ...] = (PAD, BOS, EOS, UNK)


def tokenize(smiles: str) -> list[str]:
    """Split one SMILES string into tokens.

    Parameters
    ----------
    smiles : str

    Returns
    -------
    list of str
        Tokens whose concatenation is ``smiles``.

    Raises
    ------
    InputError
        When ``smiles`` is not a string or holds characters the pattern cannot tokenize.

    Examples
    --------
    >>> tokenize("ClC(=O)[C@@H]1CC%10")
    ['Cl', 'C', '(', '=', 'O', ')', '[C@@H]', '1', 'C', 'C', '%10']
    """
    if not isinstance(smiles, str):
        raise input_error("smiles", "a SMILES string", smiles)
    tokens = SMILES_REGEX.findall(smiles)
    if "".join(tokens) != smiles:
        raise input_error("smiles", "a string made only of SMILES tokens (Schwaller et al. "
                          "2019's pattern)", smiles,
                          hint="Characters outside the pattern cannot be tokenized.")
    return tokens


def tokenize_all(smiles: Iterable[str], name: str = "X") -> list[list[str]]:
    """Tokenize every SMILES of ``smiles``; the error names the parameter ``name`` and the
    first string that does not tokenize.

    Parameters
    ----------
    smiles : iterable of str, length n_molecules
    name : str
        Parameter shown in the error (``"X"``, ``"X_valid"``).

    Returns
    -------
    list of list of str, length n_molecules
    """
    out = []
    for position, text in enumerate(smiles):
        tokens = SMILES_REGEX.findall(text)
        if "".join(tokens) != text:
            raise input_error(name, "SMILES made only of tokens of Schwaller et al. 2019's "
                              "pattern", text, hint=f"Entry {position} does not tokenize.")
        out.append(tokens)
    return out


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> integer code, with the special tokens first.

    Codes 0..3 are :data:`PAD`, :data:`BOS`, :data:`EOS`, :data:`UNK`; the SMILES tokens follow
    in sorted order. Build one with :meth:`build`.

    Parameters
    ----------
    tokens : tuple of str
        Every token, specials included, in code order.
    """

    tokens: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokens[:len(SPECIALS)] != SPECIALS or len(set(self.tokens)) != len(self.tokens):
            raise input_error("tokens", f"distinct tokens starting with {SPECIALS}",
                              self.tokens[:len(SPECIALS) + 3])
        object.__setattr__(self, "index", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]]) -> Vocabulary:
        """The vocabulary of the tokens seen in ``token_lists`` (each a tokenized SMILES)."""
        seen = set().union(*map(set, token_lists)) - set(SPECIALS)
        return cls(SPECIALS + tuple(sorted(seen)))

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad(self) -> int:
        """Code of :data:`PAD` (0)."""
        return self.index[PAD]

    @property
    def bos(self) -> int:
        """Code of :data:`BOS`."""
        return self.index[BOS]

    @property
    def eos(self) -> int:
        """Code of :data:`EOS`."""
        return self.index[EOS]

    @property
    def unk(self) -> int:
        """Code of :data:`UNK`, given to tokens unseen when the vocabulary was built."""
        return self.index[UNK]

    def encode(self, tokens: Sequence[str], *, markers: bool = True) -> np.ndarray:
        """Codes of ``tokens``, shape (len(tokens) + 2,) with ``markers`` (BOS ... EOS), else
        (len(tokens),); unknown tokens get :attr:`unk`."""
        codes = [self.index.get(t, self.unk) for t in tokens]
        if markers:
            codes = [self.bos, *codes, self.eos]
        return np.asarray(codes, dtype=np.int64)

    def decode(self, codes: Iterable[int]) -> str:
        """The SMILES of ``codes``: stops at the first EOS, skips PAD and BOS, and writes
        UNK as nothing (a string with it dropped is what a generator effectively emitted)."""
        out = []
        for code in codes:
            code = int(code)
            if code == self.eos:
                break
            if code not in (self.pad, self.bos, self.unk):
                out.append(self.tokens[code])
        return "".join(out)
