"""Per-pipeline chance verdicts: pooled binomial test with Holm's correction."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy import stats

from neurocompare.report.comparison import chance_verdicts
from neurocompare.stats.compare import pipeline_chance


def _rows(pipeline, accuracies, n_test=20, repeats=1, family="traditional", dataset="d"):
    rows = []
    for subject, accuracy in enumerate(accuracies):
        for repeat in range(repeats):
            for fold in range(5):
                tag = f"/repeat={repeat}" if repeats > 1 else ""
                rows.append({"dataset": dataset, "pipeline": pipeline, "family": family,
                             "subject": subject, "fold": f"subject={subject}{tag}/fold={fold}",
                             "accuracy": accuracy, "n_test": n_test, "n_classes": 2,
                             "permutation": 0})
    return rows


def test_learned_pipeline_beats_chance_and_null_one_does_not():
    table = pd.DataFrame(_rows("good", [0.8, 0.7, 0.75]) + _rows("null", [0.5, 0.45, 0.55])
                         + _rows("net", [0.6, 0.6, 0.6], family="deep"))
    out = pipeline_chance(table).set_index("pipeline")
    assert out.loc["good", "beats_chance"] and not out.loc["null", "beats_chance"]
    assert out.loc["good", "n"] == 300 and out.loc["good", "accuracy"] == 0.75
    # the reference test, then Holm over the three pipelines (largest factor 3)
    p = stats.binomtest(180, 300, 0.5, alternative="greater").pvalue
    assert np.isclose(out.loc["net", "pvalue"], p)
    assert out.loc["net", "p_holm"] >= out.loc["net", "pvalue"]
    verdict = chance_verdicts(pipeline_chance(table))[0]
    assert verdict["sentence"] == "On d, 2 of 3 pipelines beat chance; not: null."


def test_repeats_count_each_trial_once_and_none_beats_chance_sentence():
    once = pipeline_chance(pd.DataFrame(_rows("p", [0.56, 0.54])))
    thrice = pipeline_chance(pd.DataFrame(_rows("p", [0.56, 0.54], repeats=3)))
    assert once["n"].item() == thrice["n"].item() == 200
    assert np.isclose(once["pvalue"].item(), thrice["pvalue"].item())
    null = pd.DataFrame(_rows("a", [0.5, 0.52]) + _rows("b", [0.48, 0.5], family="deep"))
    assert chance_verdicts(pipeline_chance(null))[0]["sentence"] == \
        "No pipeline beats chance on d."


def test_majority_class_answer_does_not_beat_chance_on_imbalanced_classes():
    # 70 % of the test trials are class 0: always answering 0 scores 0.7, which is chance
    always = json.dumps([[14, 0], [6, 0]])
    better = json.dumps([[14, 0], [2, 4]])  # 0.9: above the 0.7 majority share
    rows = []
    for name, confusion in (("majority", always), ("better", better)):
        for r in _rows(name, [0.7, 0.7, 0.7]):
            r["confusion"] = confusion
            rows.append(r)
    out = pipeline_chance(pd.DataFrame(rows)).set_index("pipeline")
    assert out.loc["majority", "chance"] == 0.7 and out.loc["majority", "n"] == 300
    assert not out.loc["majority", "beats_chance"]
    assert out.loc["better", "accuracy"] == 0.9 and out.loc["better", "beats_chance"]
    # the old balanced-class assumption would have called the majority answer a success
    assert stats.binomtest(210, 300, 0.5, alternative="greater").pvalue < 1e-10
