"""Fit one generator on one split of a corpus, sample from it and score the samples.

The unit of the generative comparison (:mod:`neurocompare.runner.generation` iterates them):
the generator learns from the training part (networks early-stop on the validation part),
draws ``n_samples`` strings with a seed, and the strings are scored with MOSES's metrics
(:mod:`neurocompare.evaluation.generation_metrics`) against the test part and the training
part. Costs go in the same row: fitting wall and CPU seconds, sampling rate, learned
parameters.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from neurocompare.evaluation.generation_metrics import (
    ReferenceStats,
    canonical_or_none,
    generation_metrics,
    property_table,
)
from neurocompare.pipelines.generators.base import SmilesGenerator

__all__ = ["GeneratorResult", "evaluate_generator", "sample_frame"]

logger = logging.getLogger(__name__)

#: Fitted attributes of the networks copied into the row when present.
_TRAINING = ("n_epochs_", "best_epoch_", "stop_reason_")


@dataclass(frozen=True)
class GeneratorResult:
    """What one unit yields.

    Attributes
    ----------
    row : dict
        Metrics and costs (flat: numbers and strings).
    samples : DataFrame, shape (n_samples, 6)
        The drawn strings: ``smiles`` (as generated), ``canonical`` (None when invalid) and,
        for valid ones, ``mw``, ``logp``, ``qed``, ``sa``.
    """

    row: dict[str, Any]
    samples: pd.DataFrame


def sample_frame(samples: Sequence[str]) -> pd.DataFrame:
    """The drawn strings with their canonical form and properties.

    Parameters
    ----------
    samples : sequence of str, length n_samples

    Returns
    -------
    DataFrame, shape (n_samples, 6)
        ``smiles``, ``canonical`` (None if invalid), ``mw``, ``logp``, ``qed``, ``sa``
        (NaN where invalid).
    """
    frame = pd.DataFrame({"smiles": [str(s) for s in samples]})
    frame["canonical"] = [canonical_or_none(s) for s in frame["smiles"]]
    valid = frame["canonical"].notna().to_numpy()
    properties = property_table(frame.loc[valid, "canonical"].tolist())
    for column in ("mw", "logp", "qed", "sa"):
        values = np.full(len(frame), np.nan)
        values[valid] = properties[column].to_numpy()
        frame[column] = values
    return frame


def evaluate_generator(generator: SmilesGenerator, train: Sequence[str], valid: Sequence[str],
                       reference: ReferenceStats, *, n_samples: int, seed: int,
                       fcd: bool = True) -> GeneratorResult:
    """Fit, sample and score one generator.

    Parameters
    ----------
    generator : SmilesGenerator
        Unfitted; its ``random_state`` is the caller's business (set from the seed).
    train, valid : sequence of str
        Training and validation SMILES of this split.
    reference : ReferenceStats
        The test part's precomputed statistics.
    n_samples : int
        Strings to draw.
    seed : int
        Sampling seed.
    fcd : bool
        Compute the Fréchet ChemNet Distance.

    Returns
    -------
    GeneratorResult
    """
    train = np.asarray(list(train), dtype=object)
    valid = np.asarray(list(valid), dtype=object)
    wall, cpu = time.perf_counter(), time.process_time()
    generator.fit(train, X_valid=valid)
    fit_s, fit_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    wall = time.perf_counter()
    samples = generator.sample(n_samples, random_state=seed)
    sample_s = time.perf_counter() - wall
    metrics = generation_metrics(samples, train, reference, fcd=fcd)
    row: dict[str, Any] = {
        "n_train": len(train), "n_valid_part": len(valid), "n_test": len(reference.smiles),
        "fit_s": fit_s, "fit_cpu_s": fit_cpu_s, "sample_s": sample_s,
        "samples_per_s": n_samples / sample_s if sample_s > 0 else float("nan"),
        "n_parameters": int(getattr(generator, "n_parameters_", 0)),
        **{key: float(value) for key, value in metrics.items()},
    }
    for attribute in _TRAINING:
        if hasattr(generator, attribute):
            value = getattr(generator, attribute)
            row[attribute.rstrip("_")] = value if isinstance(value, str) else int(value)
    history = getattr(generator, "history_", None)
    row["history"] = json.dumps(history) if history is not None else None
    logger.info("%s seed %d: validity %.3f, novelty %.3f, fit %.1f s", type(generator).__name__,
                seed, row.get("validity", float("nan")), row.get("novelty", float("nan")), fit_s)
    return GeneratorResult(row, sample_frame(samples))
