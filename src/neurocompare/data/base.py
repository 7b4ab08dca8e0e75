"""The dataset base class: declare metadata once, implement one loading method.

A dataset is a small dataclass whose fields are its parameters (paths, epoching window,
filters). Constructing it does no work. Subclasses implement

* :meth:`Dataset.subjects` -- the subject identifiers available, and
* :meth:`Dataset._load_subject` -- the data of one subject as :class:`NeuralData`,

and the base class validates what they return (:func:`validate_data`) so that every
loader fails the same way on bad structure. Data of one subject is loadable on its own,
which lets the runner stream subject by subject with flat memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from neurocompare._errors import InputError, input_error
from neurocompare.data.containers import NeuralData, concat_data, validate_data

__all__ = ["WHOLE_DATASET", "Dataset", "labels_to_codes", "match_subjects", "unknown_subject"]

logger = logging.getLogger(__name__)

#: The single loading unit of a ``loading_unit = "dataset"`` dataset.
WHOLE_DATASET = "all"


class Dataset(ABC):
    """Base class of every dataset and loader.

    Class attributes
    ----------------
    name : str
        Registry name (``neurocompare datasets`` lists it).
    kind : str
        One of :data:`~neurocompare.data.containers.DATA_KINDS`.
    description : str
        One line for listings.
    scope_note : str
        Caveats that matter for splitting (e.g. no subject ids), shown in the docs.
    loading_unit : {"subject", "dataset"}
        What one entry of :meth:`subjects` loads. ``"subject"`` (the default): that
        subject's samples, and ``metadata["subject"]`` equals the entry. ``"dataset"``: one
        entry, :data:`WHOLE_DATASET`, loads every row at once; used where every sample *is* a
        subject (connectomes, clinical tables), so ``metadata["subject"]`` keeps the real
        subject ids (repeated visits share one) for the subject- and site-level protocols.
    fingerprint_defaults : dict
        Parameters added after results were first stored, each with the value that keeps the
        original behaviour. :meth:`fingerprint` leaves a parameter out while it equals its
        entry here, so adding a backwards-compatible option does not change the key of any
        stored result.
    data_folder : str or None
        The conventional folder of the dataset under the data root
        (:func:`neurocompare.config.data_root`, ``--data-root``), which its ``root``
        parameter defaults to; None for loaders of the user's own files, given by path.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "epochs"
    description: ClassVar[str] = ""
    scope_note: ClassVar[str] = ""
    loading_unit: ClassVar[str] = "subject"
    fingerprint_defaults: ClassVar[dict[str, Any]] = {}
    data_folder: ClassVar[str | None] = None

    # -- to implement ------------------------------------------------------------------
    @abstractmethod
    def subjects(self) -> list[Any]:
        """Return the identifiers of the subjects this dataset holds."""

    @abstractmethod
    def _load_subject(self, subject: Any) -> NeuralData:
        """Load the data of one subject (validated by :meth:`load_subject`)."""

    # -- provided ----------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Return the dataset's parameters (its dataclass fields) as a dict."""
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {}

    def fingerprint(self) -> str:
        """Return a short stable hash of the dataset's name and parameters.

        The fingerprint is part of every stored result key. A parameter listed in
        :attr:`fingerprint_defaults` is hashed only when it differs from its listed value: a
        parameter added later then leaves the keys of results computed before it existed (at
        its original behaviour) unchanged, while any other value gets keys of its own.
        """
        params = {k: v for k, v in self.get_params().items()
                  if k not in self.fingerprint_defaults or v != self.fingerprint_defaults[k]}
        text = json.dumps({"name": self.name, **params}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def files(self, subject: Any) -> list[Path]:
        """Return the files read for ``subject`` (for provenance checksums); may be empty."""
        return []

    def load_subject(self, subject: Any) -> NeuralData:
        """Load and validate the data of one subject.

        Parameters
        ----------
        subject : Any
            One of :meth:`subjects`.

        Returns
        -------
        NeuralData
            Samples of that subject only; ``metadata["subject"]`` equals ``subject`` (for a
            ``loading_unit = "dataset"`` dataset: every row, with the real subject ids).
        """
        available = self.subjects()
        if subject not in available:
            raise unknown_subject(self.name, available, subject)
        data = self._load_subject(subject)
        validate_data(data, source=f"{self.name} subject {subject}")
        if self.loading_unit == "subject" and not (data.metadata["subject"] == subject).all():
            raise input_error(f"{self.name}: metadata subject", repr(subject),
                              data.metadata["subject"].unique().tolist())
        logger.debug("loaded %s subject %s: %d samples", self.name, subject, len(data))
        return data

    def iter_subjects(self, subjects: Sequence[Any] | None = None) -> Iterator[NeuralData]:
        """Yield the data of each subject in turn (memory holds one subject at a time)."""
        for subject in self.subjects() if subjects is None else subjects:
            yield self.load_subject(subject)

    def load(self, subjects: Sequence[Any] | None = None) -> NeuralData:
        """Load and concatenate several subjects (all by default)."""
        return concat_data(list(self.iter_subjects(subjects)))


def unknown_subject(source: str, available: Sequence[Any], subject: Any) -> InputError:
    """The error for a subject id that ``source`` (a dataset name) does not hold, listing
    the first 20 of ``available``."""
    available = list(available)
    shown = available if len(available) <= 20 else [*available[:20], "..."]
    return input_error(f"{source}: subject", f"one of {shown}", subject)


_MISSING = object()


def match_subjects(source: str, available: Sequence[Any], requested: Sequence[Any]
                   ) -> list[Any]:
    """The entries of ``available`` that ``requested`` names, in ``available``'s order.

    A requested id matches the available id equal to it, or else the one spelled the same
    (``"3"`` selects subject ``3``, ``3`` selects ``"3"``), so ids typed on a command line or
    in a TOML file need not repeat the dataset's types.

    Parameters
    ----------
    source : str
        Dataset name, shown in the error.
    available : sequence
        The dataset's subject ids.
    requested : sequence
        The ids asked for (duplicates are ignored).

    Raises
    ------
    InputError
        For the first requested id matching none (the message lists the available ones).
    """
    available = list(available)
    by_text = {str(subject): subject for subject in available}
    chosen = set()
    for subject in requested:
        match = subject if subject in available else by_text.get(str(subject), _MISSING)
        if match is _MISSING:
            raise unknown_subject(source, available, subject)
        chosen.add(match)
    return [subject for subject in available if subject in chosen]


def labels_to_codes(labels: Sequence[Any], class_names: Sequence[str], source: str) -> np.ndarray:
    """Map label names to integer codes in the order of ``class_names``.

    Parameters
    ----------
    labels : sequence
        One label name per sample.
    class_names : sequence of str
        Declared classes; ``class_names[i]`` gets code ``i``.
    source : str
        File or dataset named in the error if a label is not declared.

    Returns
    -------
    ndarray of int, shape (n_samples,)
    """
    lookup = {name: i for i, name in enumerate(class_names)}
    unknown = sorted({str(label) for label in labels} - set(lookup))
    if unknown:
        raise input_error(f"{source}: labels", f"one of {list(class_names)}", unknown)
    return np.array([lookup[str(label)] for label in labels], dtype=np.int64)
