"""The generative comparison: every generator on the same splits of a corpus, over seeds.

:func:`run_generation` loads the corpus, splits it once per seed
(:func:`neurocompare.protocols.generation.generation_splits`), computes the test part's
reference statistics once per seed, and runs each (seed, generator) unit not yet stored:
fit on the training part, sample, score (:func:`neurocompare.evaluation.generation.
evaluate_generator`). Units run in this process or in ``jobs`` local processes; their
results come back here to be stored, each as soon as it is done, so a failing unit never
discards another's result; failures are listed at the end.

Stored under ``<out>/generation`` (:class:`~neurocompare.records.generation.GenerationStore`):
one row per unit, keyed by the corpus content digest, split, seed, generator parameters and
sample count, so a rerun resumes and a change recomputes; the drawn strings with their
properties; the test part's properties per seed.
"""

from __future__ import annotations

import hashlib
import logging
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from neurocompare._errors import check_option, input_error
from neurocompare.data.smiles_corpus import SmilesCorpus, make_corpus
from neurocompare.evaluation.generation import evaluate_generator
from neurocompare.evaluation.generation_metrics import ReferenceStats, reference_statistics
from neurocompare.pipelines.common.checks import check_params
from neurocompare.pipelines.generators.catalogue import GENERATOR_SPECS, make_generator
from neurocompare.protocols.generation import (
    SPLITS,
    GenerationSplit,
    check_fractions,
    check_seeds,
    generation_splits,
)
from neurocompare.records.generation import GenerationStore
from neurocompare.records.keys import canonical_params, params_key, unit_key
from neurocompare.records.manifest import package_versions

__all__ = ["GenerationConfig", "GenerationOutcome", "run_generation"]

logger = logging.getLogger(__name__)


@dataclass
class GenerationConfig:
    """A generative comparison (plain data: the CLI fills it).

    Parameters
    ----------
    corpus : str
        Corpus spec, e.g. ``"smiles-union"`` or ``"smiles-file:path='x.csv'"``.
    generators : list of str
        Generator specs (``"gen-lstm"``, ``"gen-ngram:order=4"``).
    seeds : list of int
        One split, one training seed and one sampling seed per entry.
    n_samples : int
        Strings drawn per generator and seed (MOSES: 30 000; uniqueness@10k needs 10 000).
    split : {"random", "scaffold"}
    fractions : (float, float, float)
        Train, validation and test fractions.
    fcd : bool
        Compute the Fréchet ChemNet Distance (the ChemNet weights ship with ``fcd``).
    device : str
        Torch device of the networks (``"cpu"`` or ``"cuda"``).
    jobs : int
        Local worker processes (1: this process).
    out : str or Path
        Output folder.
    """

    corpus: str = "smiles-union"
    generators: list[str] = field(default_factory=lambda: ["gen-ngram", "gen-copy"])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    n_samples: int = 10000
    split: str = "random"
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    fcd: bool = True
    device: str = "cpu"
    jobs: int = 1
    out: str | Path = "results"


@dataclass
class GenerationOutcome:
    """What a run did: its folder, the stored table and the units that failed."""

    out: Path
    table: pd.DataFrame
    computed: int
    failed: list[dict[str, Any]]


def _check(config: GenerationConfig) -> None:
    if not config.generators:
        raise input_error("generators", "at least one generator", config.generators)
    for spec in config.generators:  # unknown names, parameters or values: before any work
        check_params(make_generator(spec, random_state=0), spec, what="generator")
    n = config.n_samples
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise input_error("n_samples", "a positive int", n)
    if isinstance(config.jobs, bool) or not isinstance(config.jobs, int) or config.jobs < 1:
        raise input_error("jobs", "a positive int", config.jobs)
    check_seeds(config.seeds)
    check_fractions(config.fractions)
    check_option("split", config.split, SPLITS)
    check_option("device", config.device, ("cpu", "cuda"))
    if config.device == "cuda" and not torch.cuda.is_available():
        raise input_error("device", "'cpu' on a machine without a CUDA device", "cuda")
    out = Path(config.out)
    if out.exists() and not out.is_dir():
        raise input_error("out", "a folder (or a path to create one)", str(out))


def corpus_digest(corpus: SmilesCorpus) -> str:
    """16-hex-digit digest of the corpus content (its SMILES, in order)."""
    return hashlib.sha256("\n".join(corpus.smiles).encode()).hexdigest()[:16]


def _unit(spec: str, seed: int, device: str, train: np.ndarray, valid: np.ndarray,
          reference: ReferenceStats, n_samples: int, fcd: bool) -> dict[str, Any]:
    """Run one unit (in a worker or here); never raises, reports failures instead."""
    try:
        generator = make_generator(spec, random_state=seed)
        if "device" in generator.get_params():
            generator.set_params(device=device)
        with threadpool_limits(1):
            result = evaluate_generator(generator, train, valid, reference,
                                        n_samples=n_samples, seed=seed, fcd=fcd)
        return {"row": result.row, "samples": result.samples,
                "params": canonical_params(generator)}
    except Exception as error:  # one unit's failure must not discard the others
        logger.exception("generator %s, seed %d failed", spec, seed)
        return {"error": f"{type(error).__name__}: {error}"}


def _reference(store: GenerationStore, corpus: SmilesCorpus, digest: str,
               split: GenerationSplit, fcd: bool) -> ReferenceStats:
    reference = reference_statistics(list(corpus.smiles[split.test]), fcd=fcd)
    if not store.reference_path(digest, split.seed).is_file():  # for the report's figure
        frame = pd.DataFrame({"canonical": list(reference.smiles), **reference.properties})
        store.write_reference(digest, split.seed, frame)
    return reference


def run_generation(config: GenerationConfig) -> GenerationOutcome:
    """Run every (seed, generator) unit not yet stored; see the module docstring.

    Returns
    -------
    GenerationOutcome
    """
    _check(config)
    corpus = make_corpus(config.corpus).load()
    digest = corpus_digest(corpus)
    splits = generation_splits(len(corpus), config.seeds, split=config.split,
                               fractions=config.fractions, scaffolds=list(corpus.scaffolds))
    root = Path(config.out).resolve() / "generation"
    store = GenerationStore(root)
    done = store.keys()
    computed, failed = 0, []
    for split in splits:
        todo = []
        for spec in config.generators:
            generator = make_generator(spec, random_state=split.seed)
            key = unit_key(corpus=corpus.name, corpus_digest=digest, split=config.split,
                           fractions=list(config.fractions), seed=split.seed,
                           generator=spec.partition(":")[0], params=params_key(generator),
                           n_samples=config.n_samples, fcd=config.fcd)
            if key not in done:
                todo.append((spec, key))
        if not todo:
            continue
        reference = _reference(store, corpus, digest, split, config.fcd)
        train, valid = corpus.smiles[split.train], corpus.smiles[split.valid]
        calls = (joblib.delayed(_unit)(spec, split.seed, config.device, train, valid,
                                       reference, config.n_samples, config.fcd)
                 for spec, _ in todo)
        results = joblib.Parallel(n_jobs=config.jobs, return_as="generator")(calls)
        for (spec, key), result in zip(todo, results, strict=True):
            name = spec.partition(":")[0]
            if "error" in result:
                failed.append({"generator": spec, "seed": split.seed, "error": result["error"]})
                continue
            row = {"corpus": corpus.name, "corpus_key": digest, "generator": spec,
                   "generator_name": name, "family": GENERATOR_SPECS[name].family,
                   "split": config.split, "seed": split.seed, "key": key,
                   "params": repr(result["params"]), **result["row"],
                   "python": platform.python_version(), "versions": package_versions(),
                   "finished": datetime.now(UTC).isoformat(timespec="seconds")}
            store.write(key, row, result["samples"])
            computed += 1
    for failure in failed:
        logger.error("failed: %s (seed %d): %s", failure["generator"], failure["seed"],
                     failure["error"])
    return GenerationOutcome(root, store.table(), computed, failed)


