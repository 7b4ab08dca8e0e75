"""Mol2Vec-style molecule embeddings, trained on the training fold.

Mol2Vec (Jaeger, Fulle & Turk 2018, J. Chem. Inf. Model. 58:27) treats a molecule as a
sentence whose words are its Morgan substructure identifiers: for each atom, in atom order,
the identifiers of its environments of radius 0 .. ``radius`` (radius 1 in the paper). A
skip-gram word2vec model learns a vector per identifier, and a molecule is the sum of its
words' vectors.

The published model (pretrained on 19.9 million ZINC/ChEMBL compounds) cannot be
downloaded here, so :class:`Mol2VecEmbedding` trains gensim's ``Word2Vec`` in ``fit`` on
the training fold's molecules only: the embedding is then part of what each fold learns,
and no test molecule shapes it. Expect it to be weaker than the pretrained embedding on
small training sets.
"""

from __future__ import annotations

import logging
import zlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
from gensim.models import Word2Vec
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error
from neurocompare.pipelines.molecules.featurize import (
    SmilesTransformerMixin,
    as_smiles,
    parse_smiles,
)

__all__ = ["UNK", "Mol2VecEmbedding", "embed_sentences", "mol_sentences", "replace_rare"]

logger = logging.getLogger(__name__)

#: The word that stands for rare training identifiers and for identifiers never seen.
UNK = "UNK"


def mol_sentences(mols: Sequence[Chem.Mol], radius: int = 1) -> list[list[str]]:
    """Mol2Vec's sentence of each molecule: Morgan identifiers per atom, in atom order.

    As mol2vec's ``mol2alt_sentence``: for atom 0, its identifiers of radius 0 ..
    ``radius``, then atom 1's, and so on. An environment that RDKit drops as a duplicate
    of a smaller one (same bonds) leaves no word.

    Parameters
    ----------
    mols : sequence of rdkit.Chem.Mol, length n_samples
    radius : int

    Returns
    -------
    list of list of str, length n_samples
        Unfolded Morgan identifiers (RDKit's, as ``GetMorganFingerprint`` gives them) as
        decimal strings.
    """
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius)
    sentences = []
    for mol in mols:
        output = rdFingerprintGenerator.AdditionalOutput()
        output.AllocateBitInfoMap()
        generator.GetSparseCountFingerprint(mol, additionalOutput=output)
        by_atom: dict[tuple[int, int], int] = {}
        for identifier, environments in output.GetBitInfoMap().items():
            for atom, depth in environments:
                by_atom[(atom, depth)] = identifier
        sentences.append([str(by_atom[key]) for key in sorted(by_atom)])
    return sentences


def replace_rare(sentences: Sequence[list[str]], min_count: int) -> list[list[str]]:
    """Replace words seen fewer than ``min_count`` times by :data:`UNK` (mol2vec's
    ``insert_unk``).

    Parameters
    ----------
    sentences : sequence of list of str
    min_count : int

    Returns
    -------
    list of list of str
    """
    counts = Counter(word for sentence in sentences for word in sentence)
    return [[word if counts[word] >= min_count else UNK for word in sentence]
            for sentence in sentences]


def embed_sentences(sentences: Sequence[list[str]], vocabulary: dict[str, int],
                    vectors: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Sum of word vectors per sentence; words outside ``vocabulary`` count as ``unknown``.

    Parameters
    ----------
    sentences : sequence of list of str, length n_samples
    vocabulary : dict of str to int
        Word -> row of ``vectors``.
    vectors : ndarray, shape (n_words, vector_size)
    unknown : ndarray, shape (vector_size,)

    Returns
    -------
    ndarray of float32, shape (n_samples, vector_size)
    """
    table = np.vstack([vectors, unknown[None, :]]).astype(np.float64)
    missing = len(vectors)
    out = np.empty((len(sentences), vectors.shape[1]), dtype=np.float32)
    for row, sentence in enumerate(sentences):
        rows = [vocabulary.get(word, missing) for word in sentence]
        out[row] = table[rows].sum(axis=0)
    return out


def _stable_hash(text: str) -> int:
    # gensim can seed vectors through `hashfxn`; its default, Python's hash of a string,
    # changes with PYTHONHASHSEED between processes
    return zlib.crc32(text.encode())


class Mol2VecEmbedding(SmilesTransformerMixin, TransformerMixin, BaseEstimator):
    """Mol2Vec-style embedding of SMILES, its word2vec model trained in ``fit``.

    Parameters
    ----------
    radius : int
        Largest Morgan radius of the words (1 in Mol2Vec).
    vector_size : int
        Embedding dimension.
    window : int
        word2vec context window (10 in Mol2Vec).
    min_count : int
        Training words seen fewer times are replaced by ``"UNK"`` before training, as
        Mol2Vec does (its threshold is 3), so ``"UNK"`` gets a vector learned from the
        contexts of rare substructures; that vector is then used for every word of a new
        molecule that is not in the vocabulary. With ``min_count=1`` no training word is
        rare, ``"UNK"`` is never trained, and unseen words contribute a zero vector.
    epochs : int
        Passes over the training sentences.
    random_state : int
        Seed of word2vec's initialisation and sampling. Training uses one worker thread,
        so the same seed and training molecules give the same embedding.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Trained word -> row of ``vectors_`` (``"UNK"`` included when it was trained).
    vectors_ : ndarray of float32, shape (n_words, vector_size)
    unknown_vector_ : ndarray of float32, shape (vector_size,)
        Vector of words outside the vocabulary (``"UNK"``'s, or zeros).
    feature_names_out_ : ndarray of str, shape (vector_size,)

    Notes
    -----
    ``transform`` returns float32, shape (n_samples, vector_size). The published
    pretrained Mol2Vec model cannot be downloaded here; training on each fold keeps the
    embedding leakage-free but small training sets give weaker embeddings.
    """

    def __init__(self, radius: int = 1, vector_size: int = 100, window: int = 10,
                 min_count: int = 1, epochs: int = 10, random_state: int = 0):
        self.radius = radius
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.epochs = epochs
        self.random_state = random_state

    def _check_params(self) -> None:
        for name, minimum in (("radius", 0), ("vector_size", 1), ("window", 1),
                              ("min_count", 1), ("epochs", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value < minimum:
                raise input_error(name, f"an integer >= {minimum}", value)
        seed = self.random_state
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise input_error("random_state", "a non-negative integer seed", seed,
                              hint="word2vec needs an integer seed to be reproducible.")

    def _sentences(self, X) -> list[list[str]]:
        return mol_sentences(parse_smiles(as_smiles(X)), int(self.radius))

    def fit(self, X, y=None):
        """Train word2vec (skip-gram, one worker) on the training molecules' sentences.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)
        y : ignored
        """
        self._check_params()
        self._fit_sentences(self._sentences(X))
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit and embed the training molecules (parsing them once).

        Returns
        -------
        ndarray of float32, shape (n_samples, vector_size)
        """
        self._check_params()
        sentences = self._sentences(X)
        self._fit_sentences(sentences)
        return embed_sentences(sentences, self.vocabulary_, self.vectors_,
                               self.unknown_vector_)

    def _fit_sentences(self, sentences: list[list[str]]) -> None:
        corpus = replace_rare(sentences, int(self.min_count))
        model = Word2Vec(corpus, vector_size=int(self.vector_size), window=int(self.window),
                         min_count=1, sg=1, workers=1, seed=int(self.random_state),
                         epochs=int(self.epochs), hashfxn=_stable_hash)
        words = list(model.wv.index_to_key)
        self.vocabulary_ = {word: row for row, word in enumerate(words)}
        self.vectors_ = np.asarray(model.wv.vectors, dtype=np.float32).copy()
        self.unknown_vector_ = (self.vectors_[self.vocabulary_[UNK]].copy()
                                if UNK in self.vocabulary_
                                else np.zeros(int(self.vector_size), dtype=np.float32))
        self.feature_names_out_ = np.array([f"mol2vec{i}" for i in range(self.vector_size)],
                                           dtype=object)
        logger.debug("Mol2Vec: %d words from %d training molecules", len(words),
                     len(sentences))

    def transform(self, X):
        """Embed molecules as the sum of their words' vectors.

        Parameters
        ----------
        X : array-like of str, shape (n_samples,) or (n_samples, 1)

        Returns
        -------
        ndarray of float32, shape (n_samples, vector_size)
        """
        check_is_fitted(self)
        return embed_sentences(self._sentences(X), self.vocabulary_, self.vectors_,
                               self.unknown_vector_)
