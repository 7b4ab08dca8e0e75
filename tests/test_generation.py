"""The generative comparison: corpora, splits, statistics, the store, the run and the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from neurocompare._errors import InputError
from neurocompare._spec import parse_choice
from neurocompare.cli import app
from neurocompare.data.smiles_corpus import CORPORA, make_corpus
from neurocompare.protocols.generation import generation_splits
from neurocompare.records.generation import GenerationStore
from neurocompare.report.generation import build_generation_report
from neurocompare.runner.generation import GenerationConfig, run_generation
from neurocompare.stats.generation import (
    generation_summary,
    generation_tests,
    latest_generation_rows,
)

#: Small drug-like molecules (and spellings of them) for corpora built in the tests.
BASE = ["CCO", "CCN", "CCC(=O)O", "c1ccccc1O", "c1ccncc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
        "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "O=C(O)c1ccccc1", "CCOC(=O)C",
        "Clc1ccccc1", "Brc1ccccc1", "CC(=O)Nc1ccc(O)cc1", "c1ccc2ccccc2c1", "C1CCCCC1",
        "CCCCCCCC", "OCC(O)CO", "NCCc1ccc(O)c(O)c1", "CC(C)NCC(O)c1ccc(O)c(O)c1",
        "COc1ccc2[nH]cc(CCN(C)C)c2c1", "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21",
        "O=C1NC(=O)C(c2ccccc2)(c2ccccc2)N1", "CC12CCC3c4ccc(O)cc4CCC3C1CCC2O",
        "Cc1ccccc1", "Cc1ccc(C)cc1", "CCOc1ccccc1", "OC1CCCCC1", "CC(O)C", "NC(=O)c1cccnc1",
        "c1ccc(-c2ccccc2)cc1"]


def _corpus_file(tmp_path, smiles):
    path = tmp_path / "corpus.csv"
    pd.DataFrame({"smiles": smiles}).to_csv(path, index=False)
    return path


def test_smiles_file_standardises_deduplicates_and_reports(tmp_path):
    rows = [*BASE, "OCC", "[Na+].CC(=O)[O-]", "CC(=O)O", "not a smiles", "C" * 60]
    path = _corpus_file(tmp_path, rows)
    corpus = make_corpus(f"smiles-file:path='{path}',max_length=50").load()
    # "OCC" is ethanol again; the sodium salt and acetic acid are one structure.
    assert corpus.report["n_read"] == len(rows)
    assert corpus.report["n_unparsable"] == 1
    assert corpus.report["n_duplicates"] == 2
    assert corpus.report["n_too_long"] == 1
    assert len(corpus) == len(BASE) + 1
    assert "CC(=O)O" in set(corpus.smiles)
    assert len(set(corpus.smiles)) == len(corpus)
    assert corpus.scaffolds.shape == corpus.smiles.shape


@pytest.mark.parametrize("spec, name", [
    ("smiles-nowhere", "corpus"),
    ("smiles-union:max_len=3", "parameter"),
    ("smiles-file", "path"),
    ("smiles-union:max_length=1", "max_length"),
    ("smiles-union:sources=('bogus',)", "sources"),
])
def test_corpus_errors_name_the_parameter(spec, name):
    with pytest.raises(InputError, match=name):
        make_corpus(spec).load()


def test_every_corpus_is_tested():
    assert set(CORPORA) == {"smiles-union", "smiles-file"}


@pytest.mark.slow
def test_union_reads_the_shared_sets(real_data):
    corpus = make_corpus("smiles-union:sources=('moleculenet-esol','davis')").load()
    assert corpus.report["sources"]["moleculenet-esol"]["read"] == 1128
    assert corpus.report["sources"]["davis"]["read"] == 68
    assert 1000 < len(corpus) < 1128 + 68
    assert set(corpus.source) == {"moleculenet-esol", "davis"}


def test_random_splits_partition_and_repeat():
    splits = generation_splits(103, [0, 1])
    for split in splits:
        parts = np.concatenate([split.train, split.valid, split.test])
        assert sorted(parts) == list(range(103))
        assert (len(split.train), len(split.valid)) == (82, 10)
    again = generation_splits(103, [0])[0]
    assert np.array_equal(again.test, splits[0].test)
    assert not np.array_equal(splits[0].test, splits[1].test)


def test_scaffold_split_keeps_scaffolds_on_one_side():
    scaffolds = [f"s{i % 17}" for i in range(170)]
    split = generation_splits(170, [3], split="scaffold", scaffolds=scaffolds)[0]
    train = {scaffolds[i] for i in split.train}
    assert train.isdisjoint(scaffolds[i] for i in split.test)
    assert train.isdisjoint(scaffolds[i] for i in split.valid)


@pytest.mark.parametrize("kwargs, name", [
    ({"fractions": (0.8, 0.3, 0.1)}, "fractions"),
    ({"seeds": [1, 1]}, "seeds"),
    ({"seeds": [-1]}, "seeds"),
    ({"split": "time"}, "split"),
    ({"split": "scaffold"}, "scaffolds"),
])
def test_split_errors(kwargs, name):
    arguments = {"seeds": [0], **kwargs}
    with pytest.raises(InputError, match=name):
        generation_splits(50, **arguments)


def _rows(values: dict[str, list[float]], families: dict[str, str]) -> pd.DataFrame:
    rows = []
    for generator, scores in values.items():
        for seed, score in enumerate(scores):
            rows.append({"generator": generator, "family": families[generator], "seed": seed,
                         "validity": score, "fcd": 10 - score, "n_train": 800, "n_test": 100})
    return pd.DataFrame(rows)


def test_summary_interval_is_the_t_interval():
    table = _rows({"gen-a": [0.5, 0.7, 0.6, 0.9]}, {"gen-a": "deep"})
    row = generation_summary(table, ["validity"]).iloc[0]
    values = np.array([0.5, 0.7, 0.6, 0.9])
    low, high = stats.t.interval(0.95, 3, loc=values.mean(), scale=stats.sem(values))
    assert row["n"] == 4
    assert row["ci_low"] == pytest.approx(low)
    assert row["ci_high"] == pytest.approx(high)


def test_tests_find_a_planted_gap_and_respect_direction():
    rng = np.random.default_rng(0)
    base = rng.uniform(0.5, 0.6, 5)
    table = _rows({"gen-lstm": list(base + 0.3 + rng.normal(0, 0.005, 5)),
                   "gen-ngram": list(base), "gen-brics": list(base - 0.2),
                   "gen-copy": [1.0] * 5},
                  {"gen-lstm": "deep", "gen-ngram": "traditional",
                   "gen-brics": "traditional", "gen-copy": "traditional"})
    tests = generation_tests(table, ["validity", "fcd"], {"validity": True, "fcd": False})
    assert set(tests["traditional"]) == {"gen-ngram"}  # the copy sampler is never "best"
    assert (tests["verdict"] == "deep better").all()
    validity = tests[tests["metric"] == "validity"].iloc[0]
    assert validity["difference"] == pytest.approx(0.3, abs=0.01)
    assert validity["ci_low"] > 0.25


def test_tests_without_a_gap_are_not_significant():
    rng = np.random.default_rng(1)
    base = rng.uniform(0.5, 0.6, 4)
    table = _rows({"gen-lstm": list(base + rng.normal(0, 0.02, 4)), "gen-ngram": list(base)},
                  {"gen-lstm": "deep", "gen-ngram": "traditional"})
    tests = generation_tests(table, ["validity"], {"validity": True})
    assert tests.iloc[0]["verdict"] == "n.s."
    one = generation_tests(table[table["seed"] == 0], ["validity"], {"validity": True})
    assert one.iloc[0]["verdict"] == "not testable"


def test_store_round_trip(tmp_path):
    store = GenerationStore(tmp_path / "generation")
    samples = pd.DataFrame({"smiles": ["CCO", "x"], "canonical": ["CCO", None]})
    store.write("k1", {"generator": "gen-copy", "validity": 0.5}, samples)
    store.write_reference("abc", 2, samples)
    assert store.keys() == {"k1"}
    assert store.table()["validity"].tolist() == [0.5]
    pd.testing.assert_frame_equal(store.samples("k1"), samples)
    pd.testing.assert_frame_equal(store.reference("abc", 2), samples)


@pytest.mark.e2e
def test_run_resume_report_and_cli(tmp_path):
    path = _corpus_file(tmp_path, BASE * 3)
    corpus = f"smiles-file:path='{path}'"
    config = GenerationConfig(corpus=corpus, generators=[
        "gen-ngram", "gen-copy", "gen-lstm:hidden_size=16,embedding_dim=8,max_epochs=2"],
        seeds=[0, 1], n_samples=60, fcd=False, out=tmp_path / "out")
    outcome = run_generation(config)
    assert outcome.failed == []
    assert outcome.computed == 6
    table = outcome.table
    assert len(table) == 6 and set(table["seed"]) == {0, 1}
    copy = table[table["generator_name"] == "gen-copy"]
    assert (copy["novelty"] == 0).all() and (copy["validity"] == 1).all()
    assert run_generation(config).computed == 0  # resumed from the store
    html = build_generation_report(tmp_path / "out").read_text()
    assert "gen-ngram" in html and "<svg" in html and "novelty" in html
    result = CliRunner().invoke(app, ["generate", "-c", corpus, "-g", "gen-ngram", "-g",
                                      "gen-copy", "--seeds", "0,1", "--n-samples", "60",
                                      "--no-fcd", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "0 result(s) computed" in result.output


def test_bad_generator_fails_before_any_work(tmp_path):
    path = _corpus_file(tmp_path, BASE)
    config = GenerationConfig(corpus=f"smiles-file:path='{path}'",
                              generators=["gen-ngram", "gen-ngram:bogus=1"], seeds=[0],
                              n_samples=10, fcd=False, out=tmp_path / "out")
    with pytest.raises(InputError, match="bogus"):
        run_generation(config)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("spec, expected", [
    ("smiles-union:sources=('davis','kiba'),max_length=80",
     ("smiles-union", {"sources": ("davis", "kiba"), "max_length": 80})),
    ("csp-lda:lda__priors=(0.5,0.5)", ("csp-lda", {"lda__priors": (0.5, 0.5)})),
    ("x:event_id={'a': 1, 'b': 2},name='p,q'",
     ("x", {"event_id": {"a": 1, "b": 2}, "name": "p,q"})),
    ("gen-ngram", ("gen-ngram", {})),
])
def test_specs_take_tuples_dicts_and_quoted_commas(spec, expected):
    assert parse_choice(spec) == expected


def test_a_spec_without_equals_is_rejected():
    with pytest.raises(InputError, match="name:key=value"):
        parse_choice("gen-ngram:order")


def test_latest_rows_keep_the_newest_of_each_generator_and_seed():
    table = pd.DataFrame({"corpus_key": "c", "split": "random", "n_samples": 10,
                          "generator": ["gen-ngram", "gen-ngram", "gen-ngram", "gen-copy"],
                          "seed": [0, 0, 1, 0], "validity": [0.1, 0.2, 0.3, 1.0],
                          "finished": ["2026-01-02", "2026-01-03", "2026-01-01",
                                       "2026-01-01"]})
    latest = latest_generation_rows(table)
    assert latest["validity"].tolist() == [0.2, 0.3, 1.0]


@pytest.mark.parametrize("change, name", [
    ({"seeds": ["a"]}, "seeds"),
    ({"n_samples": 0}, "n_samples"),
    ({"split": "time"}, "split"),
    ({"fractions": (0.5, 0.5, 0.5)}, "fractions"),
    ({"device": "tpu"}, "device"),
    ({"generators": []}, "generators"),
    ({"jobs": 0}, "jobs"),
])
def test_generation_config_errors_before_the_corpus_is_read(tmp_path, change, name):
    settings = {"corpus": "smiles-file:path='/nonexistent.csv'", "seeds": [0],
                "out": tmp_path / "out", **change}
    config = GenerationConfig(**settings)
    with pytest.raises(InputError, match=name):
        run_generation(config)


def test_an_existing_file_as_output_is_rejected(tmp_path):
    target = tmp_path / "results.txt"
    target.write_text("not a folder")
    config = GenerationConfig(corpus="smiles-file:path='/nonexistent.csv'", seeds=[0],
                              out=target)
    with pytest.raises(InputError, match="out"):
        run_generation(config)
