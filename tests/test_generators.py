"""The SMILES generators: tokens, n-gram, BRICS, training-set sampler, recurrent networks,
the registry, and scikit-learn's conventions.

scikit-learn's full ``parametrize_with_checks`` cannot apply to generators: they take strings,
not numeric arrays, and have neither ``predict`` nor ``transform``. The conventions that do
apply (parameters stored unchanged in ``__init__``, default-constructible, ``get_params`` /
``set_params`` round trips, ``clone``) are run one check at a time over every registered
generator, with the project's domain checks (errors before fit and for numeric input).
"""

from __future__ import annotations

import random
import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from rdkit import Chem, rdBase
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from neurocompare._errors import InputError
from neurocompare.pipelines.generators.brics import BricsGenerator, brics_fragments
from neurocompare.pipelines.generators.catalogue import (
    GENERATOR_FAMILIES,
    GENERATOR_SPECS,
    make_generator,
)
from neurocompare.pipelines.generators.ngram import NGramGenerator
from neurocompare.pipelines.generators.recurrent import RecurrentSmilesGenerator
from neurocompare.pipelines.generators.tokens import Vocabulary, tokenize
from neurocompare.pipelines.generators.training_set import TrainingSetSampler

_CAPS = ["C", "CC", "OC", "N", "FC(F)(F)", "Cl", "F", "N#C", "CC(C)"]
_LINKS = ["C(=O)N", "NC(=O)", "C", "CC", "O", "S(=O)(=O)N", "N", "OC", "C(=O)O", ""]
_MIDS = ["c1ccc(cc1)", "c1ccc(nc1)", "C1CCN(CC1)", "C1CCC(CC1)", "c1cc(sc1)", "c1cc(oc1)"]
_ENDS = ["c1ccccc1", "c1ccncc1", "c1ccc(F)cc1", "c1ccc(Cl)cc1", "C1CCOCC1", "N1CCOCC1",
         "c1ccsc1", "C1CC1", "c1cn[nH]c1"]
#: Cheapest settings of each family for the registry-wide tests.
_CHEAP = {"deep": {"hidden_size": 16, "embedding_dim": 8, "n_layers": 1, "max_epochs": 1},
          "traditional": {}}


def drug_like(n: int, seed: int) -> list[str]:
    """``n`` distinct canonical SMILES of drug-like shape: a cap, one or two linked rings in
    the middle and a terminal ring, joined by amides, sulfonamides, ethers, amines, esters."""
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    while len(out) < n:
        parts = [str(rng.choice(_CAPS))]
        for _ in range(int(rng.integers(1, 3))):
            parts += [str(rng.choice(_LINKS)), str(rng.choice(_MIDS))]
        parts += [str(rng.choice(_LINKS)), str(rng.choice(_ENDS))]
        out.add(Chem.MolToSmiles(Chem.MolFromSmiles("".join(parts))))
    return sorted(out)


def validity(samples: np.ndarray) -> float:
    """Share of samples that RDKit parses (empty strings count as invalid)."""
    with rdBase.BlockLogs():
        return float(np.mean([bool(s) and Chem.MolFromSmiles(s) is not None for s in samples]))


def global_states() -> tuple[object, np.ndarray, torch.Tensor]:
    """Python's, NumPy's legacy and torch's global random states (which must not change)."""
    return (random.getstate(), np.random.get_state()[1].copy(),  # noqa: NPY002
            torch.random.get_rng_state())


def same_states(before: tuple[object, np.ndarray, torch.Tensor]) -> bool:
    after = global_states()
    return (before[0] == after[0] and np.array_equal(before[1], after[1])
            and torch.equal(before[2], after[2]))


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return drug_like(200, seed=0)


# -- tokens ----------------------------------------------------------------------------------
TRICKY = ["Cl/C=C\\Br", "C[C@@H](N)C(=O)O", "[13CH3]C(=O)[O-]", "C[N+](C)(C)C.[Cl-]",
          "c1ccc2c(c1)C1CC%10CCC%11CC%10C%11C1C2", "[nH]1cccc1", "O=S(=O)([O-])c1ccc(Br)cc1",
          "F[C@]1(Cl)CC[C@@H]1Br", "C#N", "[2H]OC", "c1ccccc1-c1ccccc1", "[Fe+2]", "B(O)O",
          "CC(C)(C)OC(=O)N[C@@H](Cc1c[nH]c2ccccc12)C(=O)O"]


@pytest.mark.parametrize("smiles", TRICKY)
def test_tokenize_round_trips(smiles):
    tokens = tokenize(smiles)
    assert "".join(tokens) == smiles
    assert all(t.startswith("[") == t.endswith("]") for t in tokens)


def test_tokenize_keeps_multi_character_tokens_whole():
    assert tokenize("ClCBr") == ["Cl", "C", "Br"]
    assert tokenize("C%10CC%10") == ["C", "%10", "C", "C", "%10"]
    assert tokenize("[C@@H](Cl)[nH+]") == ["[C@@H]", "(", "Cl", ")", "[nH+]"]
    assert tokenize("C12CC1C2") == ["C", "1", "2", "C", "C", "1", "C", "2"]


@pytest.mark.parametrize("bad", ["C C", "C%(123)C", "CÅ"])
def test_tokenize_rejects_what_it_cannot_split(bad):
    with pytest.raises(InputError, match="smiles"):
        tokenize(bad)


def test_vocabulary_round_trip_and_unknown_tokens():
    vocabulary = Vocabulary.build([tokenize("CCO"), tokenize("ClC=O")])
    assert vocabulary.tokens[:4] == ("<pad>", "<bos>", "<eos>", "<unk>")
    codes = vocabulary.encode(tokenize("ClCCO"))
    assert codes[0] == vocabulary.bos and codes[-1] == vocabulary.eos
    assert vocabulary.decode(codes) == "ClCCO"
    assert vocabulary.encode(["Br"], markers=False).tolist() == [vocabulary.unk]
    assert vocabulary.decode([vocabulary.bos, *vocabulary.encode(["C", "O"], markers=False),
                              vocabulary.eos, vocabulary.index["C"]]) == "CO"


# -- n-gram ----------------------------------------------------------------------------------
def test_ngram_distributions_are_normalised_and_back_off(corpus):
    model = NGramGenerator(order=4).fit(corpus)
    tokens = model.vocabulary_.tokens
    for context in ([], ["C"], tokenize(corpus[3])[:7], ["Br", "Br", "Br"], ["I", "c", "1"]):
        probability = model.next_token_probabilities(context)
        assert probability.shape == (len(tokens),)
        assert probability.sum() == pytest.approx(1.0)
        # Zero only for padding, begin and unknown: every other token is reachable.
        assert set(np.flatnonzero(probability == 0)) == {0, 1, 3}
    # A seen context's most likely continuation is its most frequent one in training.
    after = Counter(t[1] for t in map(tokenize, corpus) if t[0] == "N" and len(t) > 1)
    best = tokens[int(np.argmax(model.next_token_probabilities(["N"])))]
    assert best == after.most_common(1)[0][0]


def test_ngram_with_long_context_and_small_discount_memorises(corpus):
    samples = NGramGenerator(order=40, discount=0.01).fit(corpus).sample(100, random_state=0)
    assert np.mean([s in set(corpus) for s in samples]) > 0.95


def test_ngram_order_6_beats_the_unigram(corpus):
    # Measured: order 6 gives 6-8 % valid strings on this corpus (ring closures and branches
    # span more than 5 tokens), the unigram about 1.5 %, order 1 to 4 all below 4.5 %.
    six = validity(NGramGenerator(order=6).fit(corpus).sample(1500, random_state=0))
    one = validity(NGramGenerator(order=1).fit(corpus).sample(1500, random_state=0))
    assert six > 0.04
    assert six > 2.5 * one


def test_ngram_is_deterministic_per_seed(corpus):
    model = NGramGenerator(order=5).fit(corpus)
    first = model.sample(50, random_state=3)
    assert first.dtype == object and first.shape == (50,)
    assert (first == model.sample(50, random_state=3)).all()
    assert (first != model.sample(50, random_state=4)).mean() > 0.5
    assert (model.set_params(random_state=3).sample(50) == first).all()


# -- BRICS -----------------------------------------------------------------------------------
def test_brics_samples_are_molecules_made_of_training_fragments(corpus):
    model = BricsGenerator().fit(corpus[:100])
    samples = model.sample(200, random_state=0)
    assert validity(samples) == 1.0
    fragments = set(model.fragments_)
    assert fragments == set(brics_fragments(corpus[:100]))
    with rdBase.BlockLogs():
        pieces = [set(brics_fragments([s])) for s in samples]
    assert np.mean([p <= fragments for p in pieces]) > 0.95
    assert len(set(samples) - set(corpus)) > 100  # recombination, not recall
    assert (samples == model.sample(200, random_state=0)).all()


def test_brics_respects_labels_bond_orders_and_the_fragment_bound():
    # CCOCC -> [4*]CC and [3*]O[3*]: with two fragments at most, an ethyl seed finds no
    # terminal partner (4 bonds to 3, 5, 11) and every draw fails; with three, only CCOCC.
    ether = ["CCOCC"]
    assert set(BricsGenerator(max_fragments=2, max_attempts=2).fit(ether)
               .sample(20, random_state=0)) == {""}
    assert set(BricsGenerator(max_fragments=3).fit(ether).sample(20, random_state=0)) \
        == {"CCOCC"}
    # The 7-7 pair is rebuilt as a double bond.
    alkenes = BricsGenerator(max_fragments=2).fit(["CCCC=CC"]).sample(50, random_state=0)
    assert set(alkenes) == {"CC=CC", "CC=CCCC", "CCCC=CCCC"}


# -- training set ----------------------------------------------------------------------------
def test_training_set_sampler_draws_training_molecules(corpus):
    model = TrainingSetSampler().fit(corpus)
    samples = model.sample(300, random_state=0)
    assert set(samples) <= set(corpus) and model.n_parameters_ == len(corpus)
    distinct = TrainingSetSampler(replace=False).fit(corpus).sample(200, random_state=0)
    assert sorted(distinct) == corpus
    with pytest.raises(InputError, match="n_samples"):
        TrainingSetSampler(replace=False).fit(corpus).sample(201)


# -- recurrent -------------------------------------------------------------------------------
def _tiny(**params) -> RecurrentSmilesGenerator:
    settings = {"hidden_size": 32, "n_layers": 1, "embedding_dim": 8, "batch_size": 16,
                "learning_rate": 1e-2, "max_epochs": 40, "patience": 3, "random_state": 0}
    return RecurrentSmilesGenerator(**{**settings, **params})


@pytest.fixture(scope="module")
def chains() -> list[str]:
    """'C' * n + 'O' with n from 3 to 8: a grammar that needs counting."""
    rng = np.random.default_rng(0)
    return ["C" * int(n) + "O" for n in rng.integers(3, 9, size=300)]


def test_lstm_learns_the_chain_grammar_and_stops_on_patience(chains):
    states = global_states()
    model = _tiny(length_buckets=False).fit(chains)
    assert model.stop_reason_ == "early_stopping" and model.n_epochs_ < model.max_epochs
    assert model.n_epochs_ == model.best_epoch_ + model.patience
    losses = [h["valid_loss"] for h in model.history_]
    assert losses[model.best_epoch_ - 1] == min(losses) < 0.8 * losses[0]
    samples = model.sample(500, random_state=1)
    grammatical = [s[-1:] == "O" and set(s[:-1]) == {"C"} and 3 <= len(s) - 1 <= 8
                   for s in samples]
    # An untrained network draws among C, O and the end token: far below 10 % grammatical.
    assert np.mean(grammatical) > 0.9
    assert same_states(states)


def test_recurrent_fit_and_sample_are_reproducible(chains):
    first = _tiny(max_epochs=3).fit(chains)
    second = _tiny(max_epochs=3).fit(chains)
    assert [h["valid_loss"] for h in first.history_] == [h["valid_loss"]
                                                         for h in second.history_]
    assert (first.sample(100, random_state=5) == second.sample(100, random_state=5)).all()
    assert (first.sample(100, random_state=5) != first.sample(100, random_state=6)).any()


def test_gru_uses_x_valid_and_its_unseen_tokens(chains):
    model = _tiny(cell="gru", max_epochs=2, validation_fraction=0.0)
    model.fit(chains, X_valid=["CCCN", "CCCO"])
    assert all(h["valid_loss"] is not None for h in model.history_)
    assert "N" not in model.vocabulary_.tokens
    samples = model.sample(30, random_state=0)
    assert samples.shape == (30,) and samples.dtype == object
    without = _tiny(max_epochs=2, validation_fraction=0.0).fit(chains)
    assert without.stop_reason_ == "max_epochs" and without.best_epoch_ == 2
    assert without.history_[0]["valid_loss"] is None


def test_recurrent_rejects_bad_parameters_and_unavailable_cuda(chains):
    with pytest.raises(InputError, match="cell"):
        _tiny(cell="transformer").fit(chains)
    with pytest.raises(InputError, match="dropout"):
        _tiny(dropout=1.5).fit(chains)
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="device"):
            _tiny(device="cuda").fit(chains)


# -- registry --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(GENERATOR_SPECS))
def test_every_generator_builds_fits_and_samples_offline_without_warnings(name, corpus):
    spec = GENERATOR_SPECS[name]
    assert spec.family in GENERATOR_FAMILIES and spec.description
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        generator = spec.build().set_params(**_CHEAP[spec.family])
        states = global_states()
        generator.fit(corpus[:50], X_valid=corpus[50:60])
        samples = generator.sample(20, random_state=0)
    assert samples.shape == (20,) and samples.dtype == object
    assert all(isinstance(s, str) for s in samples)
    assert isinstance(generator.n_parameters_, int) and generator.n_parameters_ > 0
    assert same_states(states)
    assert (generator.sample(20, random_state=0) == samples).all()


def test_make_generator_applies_overrides_and_seed():
    generator = make_generator("gen-lstm:hidden_size=64,max_epochs=5", random_state=7)
    assert isinstance(generator, RecurrentSmilesGenerator)
    assert (generator.hidden_size, generator.max_epochs, generator.random_state) == (64, 5, 7)
    assert make_generator("gen-lstm-d0").dropout == 0.0
    assert make_generator("gen-lstm-d5").dropout == 0.5
    assert make_generator("gen-gru").cell == "gru"


@pytest.mark.parametrize("spec, named", [("gen-transformer", "gen-transformer"),
                                         ("gen-ngram:orders=3", "orders"),
                                         ("gen-lstm:hidden", "gen-lstm:hidden")])
def test_make_generator_errors_name_the_offending_value(spec, named):
    with pytest.raises(InputError, match=named) as caught:
        make_generator(spec)
    if named == "gen-transformer":
        assert "gen-lstm" in str(caught.value)
    if named == "orders":
        assert "'order'" in str(caught.value)


# -- scikit-learn conventions ----------------------------------------------------------------
@pytest.mark.parametrize("name", list(GENERATOR_SPECS))
def test_generators_follow_sklearn_conventions(name):
    generator = GENERATOR_SPECS[name].build()
    check_no_attributes_set_in_init(name, generator)
    check_parameters_default_constructible(name, generator)
    check_get_params_invariance(name, generator)
    check_set_params(name, generator)
    copy = clone(generator)
    assert copy.get_params() == generator.get_params() and copy is not generator
    with pytest.raises(NotFittedError):
        generator.sample(5)


@pytest.mark.parametrize("name", list(GENERATOR_SPECS))
@pytest.mark.parametrize("X", [np.arange(10.0), [1, 2, 3], "CCO", [["CCO"], ["CCN"]], [],
                               ["CCO", ""]])
def test_generators_reject_non_smiles_input(name, X):
    with pytest.raises(InputError, match=r"^X"):
        GENERATOR_SPECS[name].build().fit(X)


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, True, "10"])
def test_sample_rejects_bad_counts(n_samples, corpus):
    generator = TrainingSetSampler().fit(corpus[:10])
    with pytest.raises(InputError, match="n_samples"):
        generator.sample(n_samples)



def test_length_buckets_cover_every_row_once_and_group_lengths():
    from neurocompare.pipelines.generators.recurrent import _length_batches

    rng = np.random.default_rng(0)
    lengths = torch.from_numpy(rng.integers(5, 100, size=5000))
    batches = _length_batches(lengths, 128, torch.Generator().manual_seed(0))
    rows = torch.cat(batches)
    assert sorted(rows.tolist()) == list(range(5000))
    assert max(len(b) for b in batches) == 128
    spread = np.mean([float(lengths[b].max() - lengths[b].min()) for b in batches])
    assert spread < 20  # random batches of 128 from 5..99 spread over about 90 tokens
