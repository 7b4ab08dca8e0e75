"""The explicit registry of SMILES generators, and ``make_generator("name:key=value")``.

Deep generators follow MOSES's CharRNN recipe (Polykovskiy et al. 2020, Front. Pharmacol. 11,
565644: a 3-layer LSTM of 768 units, dropout 0.2 between layers, Adam at 1e-3), which is
Segler et al.'s (2018, ACS Cent. Sci. 4, 120) model, made smaller to train on a CPU (2 layers of
256 units; :mod:`.recurrent` lists the differences). Three LSTMs differ only by dropout, as in
the comparison table the project reproduces (the lowest dropout scored best there); a GRU of
the same size has the default dropout. The traditional generators are a token 6-gram with
interpolated Kneser–Ney back-off, BRICS fragment recombination, and the training set itself
(the calibration point: validity 1, novelty 0).

To add a generator, add a :class:`GeneratorSpec` to :data:`GENERATOR_SPECS`; the tests build,
fit and sample every entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from neurocompare._errors import check_option, input_error
from neurocompare._spec import parse_choice
from neurocompare.pipelines.generators.base import SmilesGenerator
from neurocompare.pipelines.generators.brics import BricsGenerator
from neurocompare.pipelines.generators.ngram import NGramGenerator
from neurocompare.pipelines.generators.recurrent import RecurrentSmilesGenerator
from neurocompare.pipelines.generators.training_set import TrainingSetSampler

__all__ = ["GENERATOR_FAMILIES", "GENERATOR_SPECS", "GeneratorSpec", "make_generator"]

GENERATOR_FAMILIES = ("traditional", "deep")


@dataclass(frozen=True)
class GeneratorSpec:
    """One registered generator.

    Attributes
    ----------
    name : str
        Registry key (``gen-...``).
    family : {"traditional", "deep"}
    description : str
        One line: the recipe.
    build : callable
        Returns a new unfitted generator with the registered defaults.
    """

    name: str
    family: str
    description: str
    build: Callable[[], SmilesGenerator]

    def __post_init__(self) -> None:
        check_option("family", self.family, GENERATOR_FAMILIES)


_SPECS = [
    GeneratorSpec("gen-lstm", "deep",
                  "Token LSTM, 2x256, dropout 0.2 (MOSES CharRNN's), batch 32, Adam 2e-3, "
                  "early stopping",
                  partial(RecurrentSmilesGenerator, cell="lstm", dropout=0.2)),
    GeneratorSpec("gen-lstm-d0", "deep",
                  "Token LSTM, 2x256, no dropout, batch 32, Adam 2e-3, early stopping",
                  partial(RecurrentSmilesGenerator, cell="lstm", dropout=0.0)),
    GeneratorSpec("gen-lstm-d5", "deep",
                  "Token LSTM, 2x256, dropout 0.5, batch 32, Adam 2e-3, early stopping",
                  partial(RecurrentSmilesGenerator, cell="lstm", dropout=0.5)),
    GeneratorSpec("gen-gru", "deep",
                  "Token GRU, 2x256, dropout 0.2, batch 32, Adam 2e-3, early stopping",
                  partial(RecurrentSmilesGenerator, cell="gru", dropout=0.2)),
    GeneratorSpec("gen-ngram", "traditional",
                  "Token 6-gram, interpolated Kneser-Ney back-off (D=0.75), sampled at T=1",
                  partial(NGramGenerator, order=6, smoothing="kneser-ney")),
    GeneratorSpec("gen-brics", "traditional",
                  "BRICS fragments of the training set recombined at random, <= 6 per molecule",
                  partial(BricsGenerator, max_fragments=6)),
    GeneratorSpec("gen-copy", "traditional",
                  "Training molecules drawn with replacement (novelty 0 by construction)",
                  partial(TrainingSetSampler, replace=True)),
]

#: name -> spec, in listing order.
GENERATOR_SPECS: dict[str, GeneratorSpec] = {spec.name: spec for spec in _SPECS}


def make_generator(spec: str, random_state: int | None = None) -> SmilesGenerator:
    """Build the unfitted generator named by ``spec``.

    Parameters
    ----------
    spec : str
        ``"name"`` or ``"name:key=value,..."`` with literal values, e.g.
        ``"gen-lstm:hidden_size=128,max_epochs=5"``; keys are the generator's parameters.
    random_state : int or None
        Sets the generator's ``random_state`` when not None (after the overrides, so it wins
        over a ``random_state`` written in ``spec``).

    Returns
    -------
    SmilesGenerator

    Raises
    ------
    InputError
        For an unknown name (the valid names are listed) or parameter (the valid keys are
        listed).
    """
    name, overrides = parse_choice(spec, "generator")
    if name not in GENERATOR_SPECS:
        raise input_error("generator", f"one of {list(GENERATOR_SPECS)}", name)
    generator = GENERATOR_SPECS[name].build()
    valid = generator.get_params()
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise input_error(f"generator {name!r} parameters", f"some of {sorted(valid)}",
                          unknown)
    generator.set_params(**overrides)
    if random_state is not None:
        generator.set_params(random_state=random_state)
    return generator
