"""Statistics over regression results: errors rank low-is-better everywhere."""

import numpy as np
import pandas as pd

from neurocompare.stats.compare import (
    chance_table,
    deep_models_table,
    headline,
    pipeline_chance,
)
from neurocompare.stats.report_tables import dataset_tables, pooled_difference
from neurocompare.stats.summary import dataset_metric, summary_table


def _rows(rng, dataset, n_classes, scores):
    """Five single-subject folds per pipeline; ``scores`` maps pipeline -> (family, mean)."""
    rows = []
    for pipeline, (family, mean) in scores.items():
        for fold in range(5):
            value = mean + rng.normal(0, 0.01)
            row = {"dataset": dataset, "pipeline": pipeline, "family": family,
                   "subject": "all", "session": "0", "fold": f"f{fold}", "permutation": 0,
                   "n_classes": n_classes, "n_train": 80, "n_test": 20, "fit_time_s": 1.0,
                   "latency_ms": 1.0, "accuracy": np.nan, "mae": np.nan,
                   "confusion": "", "predictions": ""}
            row["mae" if n_classes == 0 else "accuracy"] = value
            if n_classes:
                correct = round(value * 20)
                row["confusion"] = f"[[{correct // 2}, {10 - correct // 2}], " \
                                   f"[{10 - (correct - correct // 2)}, {correct - correct // 2}]]"
            rows.append(row)
    return rows


def test_headline_picks_the_lowest_error_and_names_the_winner(rng):
    table = pd.DataFrame(_rows(rng, "solubility", 0, {
        "net": ("deep", 0.50), "big-net": ("deep", 0.90),
        "forest": ("traditional", 0.80), "ridge": ("traditional", 1.20)}))
    assert dataset_metric(table, "solubility") == "mae"
    head = headline(table, "auto")
    row = head.iloc[0]
    assert (row["a"], row["b"], row["metric"]) == ("net", "forest", "mae")
    assert row["difference"] < 0 and row["pvalue"] < 0.05
    assert "net is significantly better" in row["finding"]
    summary = summary_table(table, "auto")
    assert summary["pipeline"].tolist()[0] == "net"  # best (lowest error) first
    assert set(summary["metric"]) == {"mae"}


def test_friedman_ranks_errors_low_first(rng):
    table = pd.DataFrame(_rows(rng, "solubility", 0, {
        "net": ("deep", 0.5), "forest": ("traditional", 0.8), "ridge": ("traditional", 1.2)}))
    table["subject"] = table["fold"]  # five pseudo-subjects for the Friedman test
    tables = dataset_tables(table, "solubility", "auto", chance_table(table), headline(table))
    ranks = dict(zip(tables.ranked, tables.friedman.mean_ranks, strict=True))
    assert ranks["net"] < ranks["forest"] < ranks["ridge"]
    assert tables.metric == "mae" and tables.chance_threshold is None


def test_mixed_tasks_keep_their_metrics_and_do_not_pool(rng):
    table = pd.DataFrame(
        _rows(rng, "solubility", 0, {"net": ("deep", 0.5), "forest": ("traditional", 0.8)})
        + _rows(rng, "motor", 2, {"cnn": ("deep", 0.9), "csp": ("traditional", 0.7)}))
    head = headline(table, "auto").set_index("dataset")
    assert head.loc["solubility", "metric"] == "mae"
    assert head.loc["motor", "metric"] == "accuracy"
    assert pooled_difference(head.reset_index()) is None  # MAE and accuracy do not pool
    # chance levels are defined for labels only
    assert set(chance_table(table)["dataset"]) == {"motor"}
    assert set(pipeline_chance(table)["dataset"]) == {"motor"}


def test_one_fold_comparison_reports_the_difference_without_a_test(rng):
    from neurocompare.stats.multiple import holm

    table = pd.DataFrame(_rows(rng, "external", 0, {"net": ("deep", 0.5),
                                                    "forest": ("traditional", 0.8)}))
    table = table[table["fold"] == "f0"]  # an external test set: one fold
    row = headline(table).iloc[0]
    assert np.isclose(row["difference"], row["score_a"] - row["score_b"])
    assert np.isnan(row["pvalue"]) and np.isnan(row["p_holm"])
    assert "no test possible" in row["finding"]
    assert np.allclose(holm([0.01, np.nan, 0.04]), [0.02, np.nan, 0.04], equal_nan=True)


def test_latest_rows_drop_an_older_recipe_of_the_same_label(rng):
    from neurocompare.stats.summary import latest_rows

    old = pd.DataFrame(_rows(rng, "motor", 2, {"net": ("deep", 0.5)})).assign(
        created_at="2026-12-06T10:00:00", seed=0)
    new = old.assign(accuracy=0.9, created_at="2026-12-07T10:00:00")
    other = pd.DataFrame(_rows(rng, "motor", 2, {"csp": ("traditional", 0.7)})).assign(
        created_at="2026-12-06T10:00:00", seed=0)
    kept = latest_rows(pd.concat([old, new, other], ignore_index=True))
    assert len(kept) == 10 and (kept.loc[kept["pipeline"] == "net", "accuracy"] == 0.9).all()


def test_table_one_compares_every_deep_model_with_the_best_traditional(rng):
    table = pd.DataFrame(
        _rows(rng, "solubility", 0, {"net": ("deep", 0.50), "big-net": ("deep", 0.90),
                                     "forest": ("traditional", 0.80),
                                     "ridge": ("traditional", 1.20)})
        + _rows(rng, "motor", 2, {"cnn": ("deep", 0.9), "csp": ("traditional", 0.7)}))
    rows = deep_models_table(table)
    pairs = list(zip(rows["dataset"], rows["a"], rows["b"], strict=True))
    # best deep first within a dataset, always against the best traditional pipeline
    assert pairs == [("motor", "cnn", "csp"), ("solubility", "net", "forest"),
                     ("solubility", "big-net", "forest")]
    # its first row per dataset is the headline's, and Holm runs over all three rows
    head = headline(table)
    assert rows.groupby("dataset").head(1)["a"].tolist() == head["a"].tolist()
    assert (rows["p_holm"] >= rows["pvalue"]).all()
    worse = rows.set_index("a").loc["big-net"]
    assert worse["difference"] > 0 and "forest is significantly better" in worse["finding"]
