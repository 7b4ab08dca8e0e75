"""Per-prediction cost probes: which folds measure latency and the operation ledger."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocompare import InputError
from neurocompare.data.registry import make_dataset
from neurocompare.evaluation.fold import (
    FoldCache,
    ProbeBudget,
    evaluate_fold,
    prefix_keys,
)
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan

SMALL = ("simulated-mi", {"n_subjects": 1, "n_trials_per_class": 10})


def _fold(fit_s: float, probe_s: float) -> dict[str, float]:
    return {"fit_time_s": fit_s, "predict_time_s": 0.0, "probe_time_s": probe_s}


def test_budget_probes_the_first_fold_then_within_its_share():
    budget = ProbeBudget(share=0.1)
    probed = []
    for _ in range(20):  # probing costs as much as the fit: 1 fold in ~10 is probed
        probed.append(budget.due("fast"))
        budget.record("fast", _fold(1.0, 1.0 if probed[-1] else 0.0))
    assert probed[0] and 1 < sum(probed) <= 3
    assert budget.spent["fast"] <= 0.1 * budget.compute["fast"] + 1.0
    slow = ProbeBudget(share=0.1)
    for _ in range(5):  # probing is 1 % of the fit (a network): every fold
        assert slow.due("net")
        slow.record("net", _fold(100.0, 1.0))
    always = ProbeBudget(share=math.inf)
    for _ in range(5):
        assert always.due("fast")
        always.record("fast", _fold(0.001, 1.0))


@pytest.mark.parametrize("share", [-0.1, math.nan, "all"])
def test_budget_rejects_bad_shares(share):
    with pytest.raises(InputError, match="probe_share"):
        ProbeBudget(share)
    with pytest.raises(InputError, match="probe_share"):
        plan(RunConfig(datasets=[SMALL], pipelines=["bandpower-lda"], probe_share=share))


def test_unprobed_folds_store_nan_costs_and_summaries_use_the_probed_ones(tmp_path):
    config = RunConfig(datasets=[SMALL], pipelines=["bandpower-lda"], out=tmp_path / "a",
                       probe_share=0.0)
    execute(plan(config))
    table = ResultStore(config.out).table()
    assert len(table) == 10 and table["probed"].sum() == 1  # the unit's first fold only
    assert table.loc[table["probed"], ["latency_ms", "ledger_dense_ops"]].gt(0).all().all()
    unprobed = table.loc[~table["probed"]]
    assert unprobed["latency_ms"].isna().all() and unprobed["energy_j"].isna().all()
    assert (unprobed["probe_time_s"] == 0).all()
    every = RunConfig(datasets=[SMALL], pipelines=["bandpower-lda"], out=tmp_path / "b",
                      probe_share=math.inf)
    execute(plan(every))
    table_b = ResultStore(every.out).table()
    assert table_b["probed"].all() and table_b["latency_ms"].notna().all()
    # scores do not depend on probing
    assert np.array_equal(table["accuracy"], table_b["accuracy"])


def test_precomputed_prefix_keys_equal_per_clone_keys_and_change_nothing():
    from sklearn.base import clone

    dataset = make_dataset(SMALL[0], **SMALL[1])
    data = dataset.load_subject(dataset.subjects()[0])
    fold = next(make_splitter("within-session", 0).folds(data.metadata, data.y))
    template = make_pipeline("bandpower-lda", data.info)
    keys = prefix_keys(template)
    assert prefix_keys(clone(template)) == keys and len(keys) == len(template.steps) - 1
    with_keys = evaluate_fold({"p": clone(template)}, data, fold, FoldCache(),
                              step_keys={"p": keys})["p"]
    without = evaluate_fold({"p": clone(template)}, data, fold, FoldCache())["p"]
    assert with_keys["confusion"] == without["confusion"]
    assert np.array_equal(with_keys["y_pred"], without["y_pred"])
