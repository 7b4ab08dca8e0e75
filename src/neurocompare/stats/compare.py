"""Comparisons over the results table: the headline, pairwise tests, chance levels.

The unit of replication is the subject: fold scores are averaged within a subject, and two
pipelines are compared on the paired subject scores (exact sign-flip permutation test when
fewer than 20 subjects, as MOABB does, else Wilcoxon). A dataset with a single (pseudo-)
subject falls back to the Nadeau-Bengio corrected resampled t-test over its folds, and says so.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from neurocompare.stats.multiple import binomial_chance_level, holm
from neurocompare.stats.paired import (
    bootstrap_ci,
    cliffs_delta,
    cohens_dz,
    corrected_resampled_t,
    sign_flip_test,
    wilcoxon,
)
from neurocompare.stats.summary import (
    dataset_metric,
    higher_is_better,
    largest_budget,
    real_runs,
    subject_scores,
)

__all__ = ["Comparison", "chance_table", "compare_pair", "deep_models_table", "headline",
           "pairwise", "pipeline_chance"]

PERMUTATION_BELOW = 20
#: The "test" of a comparison over a single fold: none is possible.
_NO_TEST = SimpleNamespace(pvalue=float("nan"), method="none (one fold)")


@dataclass(frozen=True)
class Comparison:
    """Pipeline ``a`` minus pipeline ``b`` on one dataset."""

    dataset: str
    a: str
    b: str
    family_a: str
    family_b: str
    score_a: float
    score_b: float
    difference: float
    ci_low: float
    ci_high: float
    pvalue: float
    test: str
    n: int
    unit: str
    effect_size: float
    effect_ci_low: float
    effect_ci_high: float
    cliffs_delta: float
    fit_cost_ratio: float
    latency_ratio: float

    def as_dict(self) -> dict:
        """Plain dict (for tables)."""
        return asdict(self)


def _mean_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a - b))


def compare_pair(table: pd.DataFrame, dataset: str, a: str, b: str,
                 metric: str = "auto", seed: int = 0) -> Comparison:
    """Compare pipelines ``a`` and ``b`` on ``dataset``.

    Parameters
    ----------
    table : DataFrame
        Result rows (any permutation rows are ignored).
    dataset, a, b : str
    metric : str
        Score column, or ``"auto"`` (:func:`~neurocompare.stats.summary.dataset_metric`).
    seed : int
        Seed of the bootstrap and permutation draws.
    """
    metric = dataset_metric(table, dataset, metric)
    rows = real_runs(table)
    rows = rows[rows["dataset"] == dataset]
    scores = subject_scores(rows, metric).pivot(index="subject", columns="pipeline",
                                                values="score")[[a, b]].dropna()
    families = rows.drop_duplicates("pipeline").set_index("pipeline")["family"]
    costs = rows.groupby("pipeline")[["fit_time_s", "latency_ms"]].mean()
    sa, sb = scores[a].to_numpy(), scores[b].to_numpy()
    if len(scores) >= 2:
        n, unit = len(scores), "subjects"
        test = sign_flip_test(sa, sb, seed=seed) if n < PERMUTATION_BELOW else wilcoxon(sa, sb)
        low, high = bootstrap_ci(sa, sb, _mean_diff, seed=seed)
        effect = cohens_dz(sa, sb)
        e_low, e_high = bootstrap_ci(sa, sb, cohens_dz, seed=seed)
        delta = cliffs_delta(sa, sb)
    else:
        folds = rows.pivot_table(index="fold", columns="pipeline", values=metric)[[a, b]]
        folds = folds.dropna()
        fa, fb = folds[a].to_numpy(), folds[b].to_numpy()
        n_train = int(rows["n_train"].mean())
        n_test = int(rows["n_test"].mean())
        one = rows["subject"].iloc[0]
        n, unit = len(folds), "folds" if str(one) == "*" else "folds (one subject)"
        e_low = e_high = float("nan")
        if n < 2:  # one fold (an external test set): a difference, no test
            test = _NO_TEST
            low = high = effect = delta = float("nan")
        else:
            test = corrected_resampled_t(fa, fb, n_train, n_test)
            d = fa - fb
            se = np.sqrt((1 / len(d) + n_test / n_train) * d.var(ddof=1))
            half = stats.t.ppf(0.975, len(d) - 1) * se
            low, high = d.mean() - half, d.mean() + half
            effect = cohens_dz(fa, fb) if d.std(ddof=1) > 0 else float("nan")
            delta = cliffs_delta(fa, fb)
    return Comparison(
        dataset=dataset, a=a, b=b, family_a=str(families.get(a, "")),
        family_b=str(families.get(b, "")), score_a=float(sa.mean()), score_b=float(sb.mean()),
        difference=float(sa.mean() - sb.mean()), ci_low=float(low), ci_high=float(high),
        pvalue=float(test.pvalue), test=test.method, n=n, unit=unit,
        effect_size=float(effect), effect_ci_low=float(e_low), effect_ci_high=float(e_high),
        cliffs_delta=float(delta),
        fit_cost_ratio=float(costs.loc[a, "fit_time_s"] / max(costs.loc[b, "fit_time_s"], 1e-9)),
        latency_ratio=float(costs.loc[a, "latency_ms"] / max(costs.loc[b, "latency_ms"], 1e-9)),
    )


def _ranked(table: pd.DataFrame, dataset: str, family: str, metric: str) -> list[str]:
    """Pipelines of ``family`` on ``dataset``, best mean subject score first."""
    scores = subject_scores(table[table["dataset"] == dataset], metric)
    means = scores[scores["family"] == family].groupby("pipeline")["score"].mean()
    order = means.sort_values(ascending=not higher_is_better(metric), kind="stable")
    return [str(n) for n in order.index]


def _best(table: pd.DataFrame, dataset: str, family: str, metric: str) -> str | None:
    ranked = _ranked(table, dataset, family, metric)
    return ranked[0] if ranked else None


def finding(c: Comparison, alpha: float = 0.05, p_adjusted: float | None = None,
            metric: str = "accuracy") -> str:
    """One sentence stating what the numbers say, in words that follow the evidence.

    ``metric`` names the score (an error such as MAE: the lower pipeline wins)."""
    p = c.pvalue if p_adjusted is None else p_adjusted
    lead = (f"{c.a} ({c.family_a}) {c.score_a:.3f} vs {c.b} ({c.family_b}) {c.score_b:.3f}: "
            f"difference {c.difference:+.3f} [95% CI {c.ci_low:+.3f}, {c.ci_high:+.3f}], "
            f"{c.test} p={p:.3g} over {c.n} {c.unit}")
    if p != p:  # NaN: a single fold allows no test
        verdict = "no test possible on a single fold (external test set)"
    elif p >= alpha:
        verdict = "no significant difference"
    else:
        winner = c.a if (c.difference > 0) == higher_is_better(metric) else c.b
        verdict = f"{winner} is significantly better"
    cost = f"{c.a} costs {c.fit_cost_ratio:.3g}x the training time of {c.b}"
    return f"{lead} -> {verdict}; {cost}."


def headline(table: pd.DataFrame, metric: str = "auto", seed: int = 0) -> pd.DataFrame:
    """Best deep vs best traditional pipeline per dataset (Holm-corrected over datasets).

    Parameters
    ----------
    table : DataFrame
        Result rows.
    metric : str
        Score column, or ``"auto"``: accuracy on classification datasets, MAE on
        regression ones (:func:`~neurocompare.stats.summary.dataset_metric`); "best" is the
        lowest mean for an error metric.
    seed : int
        Seed of the bootstrap and permutation draws.

    Returns
    -------
    DataFrame
        One row per dataset with the :class:`Comparison` fields, ``metric``, ``p_holm`` and
        ``finding``; datasets lacking one of the families are omitted.
    """
    return _against_best_traditional(table, metric, seed, every_deep=False)


def deep_models_table(table: pd.DataFrame, metric: str = "auto",
                      seed: int = 0) -> pd.DataFrame:
    """The guide's "Table 1" form: every deep pipeline against the dataset's best traditional
    one (application | deep model | traditional | metric | deep | traditional | finding).

    Same parameters as :func:`headline`; one row per (dataset, deep pipeline), Holm-corrected
    over all rows, best deep first within a dataset.
    """
    return _against_best_traditional(table, metric, seed, every_deep=True)


def _against_best_traditional(table: pd.DataFrame, metric: str, seed: int,
                              every_deep: bool) -> pd.DataFrame:
    rows = []
    for dataset in sorted(real_runs(table)["dataset"].unique()):
        score = dataset_metric(table, dataset, metric)
        trad = _best(table, dataset, "traditional", score)
        deep = _ranked(table, dataset, "deep", score)
        for name in (deep if every_deep else deep[:1]) if trad else []:
            rows.append(compare_pair(table, dataset, name, trad, score, seed).as_dict()
                        | {"metric": score})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["p_holm"] = holm(out["pvalue"].to_numpy())
    out["finding"] = [finding(Comparison(**{k: r[k] for k in Comparison.__dataclass_fields__}),
                              p_adjusted=r["p_holm"], metric=r["metric"])
                      for r in out.to_dict("records")]
    return out


def pairwise(table: pd.DataFrame, dataset: str, metric: str = "auto",
             seed: int = 0) -> pd.DataFrame:
    """Every pair of pipelines on ``dataset``, with Holm-adjusted p-values (``metric``
    ``"auto"``: the dataset's :func:`~neurocompare.stats.summary.dataset_metric`)."""
    metric = dataset_metric(table, dataset, metric)
    names = sorted(real_runs(table).query("dataset == @dataset")["pipeline"].unique())
    rows = [compare_pair(table, dataset, a, b, metric, seed).as_dict()
            for i, a in enumerate(names) for b in names[i + 1:]]
    out = pd.DataFrame(rows)
    if not out.empty:
        out["p_holm"] = holm(out["pvalue"].to_numpy())
    return out


def chance_table(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per subject and pipeline: accuracy, the binomial chance threshold for the subject's
    total test trials, the label-permutation p-value when permutation runs exist, and an
    ``at_chance`` flag: not above the threshold, or a permutation p >= alpha when enough
    permutations were run for p < alpha to be possible (n_perm >= 1/alpha - 1)."""
    real = _classification(real_runs(table))
    grouped = real.groupby(["dataset", "pipeline", "subject"], observed=True)
    out = grouped.agg(accuracy=("accuracy", "mean"), n_test=("n_test", "sum"),
                      n_classes=("n_classes", "first")).reset_index()
    out["chance_threshold"] = [binomial_chance_level(int(n), int(k), alpha)
                               for n, k in zip(out["n_test"], out["n_classes"], strict=True)]
    out["perm_p"] = np.nan
    out["n_perm"] = 0
    if "permutation" in table.columns and (table["permutation"] > 0).any():
        null = table[table["permutation"] > 0].groupby(
            ["dataset", "pipeline", "subject", "permutation"])["accuracy"].mean()
        for i, r in out.iterrows():
            try:
                values = null.loc[(r["dataset"], r["pipeline"], r["subject"])].to_numpy()
            except KeyError:
                continue
            out.loc[i, "perm_p"] = (1 + np.sum(values >= r["accuracy"] - 1e-12)) \
                / (1 + len(values))
            out.loc[i, "n_perm"] = len(values)
    conclusive = out["n_perm"] >= np.ceil(1 / alpha - 1)
    out["at_chance"] = (out["accuracy"] <= out["chance_threshold"]) \
        | (conclusive & (out["perm_p"] >= alpha))
    return out


def _classification(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of classification datasets (chance levels are defined for labels only)."""
    return rows[rows["n_classes"] > 0] if "n_classes" in rows.columns else rows


def _repeats(rows: pd.DataFrame) -> int:
    """How many times each test trial of these rows was tested (repeated k-fold)."""
    tags = rows["fold"].astype(str).str.extract(r"repeat=(\d+)", expand=False)
    if "repeat" in rows.columns and rows["repeat"].notna().any():
        tags = rows["repeat"].astype(str)
    return max(1, int(tags.nunique())) if tags.notna().any() else 1


def _pooled_counts(group: pd.DataFrame) -> tuple[int, int, float]:
    """(test trials, correct, majority-class share) of result rows, each trial once.

    From the stored confusion matrices (rows are true classes) when present, else from
    accuracy x n_test with chance 1 / n_classes.
    """
    repeats = _repeats(group)
    if "confusion" in group.columns and group["confusion"].notna().all():
        total = sum(np.array(json.loads(c), dtype=float) for c in group["confusion"]) / repeats
        n = round(total.sum())
        return n, round(np.trace(total)), float(total.sum(axis=1).max() / total.sum())
    n = round(group["n_test"].sum() / repeats)
    correct = round((group["accuracy"] * group["n_test"]).sum() / repeats)
    return n, correct, 1.0 / int(group["n_classes"].max())


def pipeline_chance(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Does each pipeline beat chance on a dataset? One pooled binomial test per pipeline.

    The test trials of every subject and fold (at the largest data budget, each trial once:
    repeated k-fold counts are divided by the number of repeats) are pooled: ``n`` trials,
    ``correct`` of them right, against the one-sided null that the accuracy is the
    majority-class share of those trials (what always answering the most frequent class
    scores; 1 / n_classes for balanced classes). Holm's correction runs over every
    (dataset, pipeline) tested.

    Returns
    -------
    DataFrame
        One row per (dataset, pipeline): family, accuracy (pooled), n, chance, pvalue,
        p_holm and ``beats_chance`` (p_holm < alpha).
    """
    rows = _classification(largest_budget(real_runs(table)))
    out = []
    for (dataset, pipeline), group in rows.groupby(["dataset", "pipeline"], observed=True):
        n, correct, chance = _pooled_counts(group)
        pvalue = float(stats.binomtest(correct, n, chance, alternative="greater").pvalue) \
            if n else float("nan")
        out.append({"dataset": dataset, "pipeline": pipeline,
                    "family": group["family"].iloc[0], "accuracy": correct / n if n else np.nan,
                    "n": n, "chance": chance, "pvalue": pvalue})
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    frame["p_holm"] = holm(frame["pvalue"].to_numpy())
    frame["beats_chance"] = frame["p_holm"] < alpha
    return frame
