"""Statistics of the generative comparison (pure functions over the stored rows).

One row per (generator, seed); each seed is one random (or scaffold) re-split of the corpus,
so two generators are paired by seed. With repeated random splits the training parts
overlap, which makes the plain paired t-test anti-conservative; the Nadeau-Bengio corrected
resampled t-test (:func:`neurocompare.stats.paired.corrected_resampled_t`, with the corpus's
training and test sizes) accounts for it. Confidence intervals are t intervals over seeds,
with the same corrected variance for the differences.

* :func:`latest_generation_rows` -- one row per (generator spec, seed): a generator whose
  defaults changed between runs into one folder has two stored keys under one name; the
  newest wins;
* :func:`generation_summary` -- mean, sd and 95 % CI of every metric per generator;
* :func:`generation_tests` -- each deep generator against the best traditional one on each
  metric (calibration baselines such as copying the training set excluded from "best"),
  Holm-corrected over every test of the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from neurocompare._errors import input_error
from neurocompare.stats.multiple import holm
from neurocompare.stats.paired import corrected_resampled_t

__all__ = ["CALIBRATION", "generation_summary", "generation_tests", "latest_generation_rows"]

#: Generators that calibrate a metric rather than compete (novelty 0 by construction).
CALIBRATION = ("gen-copy",)


def _check(table: pd.DataFrame, metrics: Sequence[str]) -> None:
    needed = {"generator", "family", "seed", *metrics}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise input_error("generation table", f"the columns {sorted(needed)}",
                          f"missing {missing}")


def latest_generation_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The newest row of each (corpus, split, generator, seed, sample count).

    Parameters
    ----------
    table : DataFrame
        Stored rows with ``finished`` (ISO time stamps) and the identifying columns present.

    Returns
    -------
    DataFrame
        A subset of ``table`` in its order.
    """
    identity = [c for c in ("corpus_key", "split", "generator", "seed", "n_samples")
                if c in table.columns]
    if "finished" not in table.columns or not identity:
        return table
    newest = table.sort_values("finished", kind="stable").drop_duplicates(identity, keep="last")
    return table.loc[table.index.isin(newest.index)]


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(
        len(values))
    return float(values.mean() - half), float(values.mean() + half)


def generation_summary(table: pd.DataFrame, metrics: Sequence[str],
                       level: float = 0.95) -> pd.DataFrame:
    """Mean, sd and t confidence interval over seeds of each metric per generator.

    Parameters
    ----------
    table : DataFrame
        Stored rows: ``generator``, ``family``, ``seed`` and the metric columns.
    metrics : sequence of str
    level : float

    Returns
    -------
    DataFrame
        One row per (generator, metric): ``generator``, ``family``, ``metric``, ``n``,
        ``mean``, ``sd``, ``ci_low``, ``ci_high``; generators in their first-seen order.
    """
    _check(table, metrics)
    rows = []
    for generator, group in table.groupby("generator", sort=False):
        for metric in metrics:
            values = group[metric].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            low, high = _interval(values, level)
            rows.append({"generator": generator, "family": group["family"].iloc[0],
                         "metric": metric, "n": len(finite),
                         "mean": float(finite.mean()) if len(finite) else float("nan"),
                         "sd": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
                         "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def _best(summary: pd.DataFrame, metric: str, higher: bool) -> str | None:
    pool = summary[(summary["metric"] == metric) & (summary["family"] == "traditional")
                   & ~summary["generator"].isin(CALIBRATION) & summary["mean"].notna()]
    if pool.empty:
        return None
    ordered = pool.sort_values("mean", ascending=not higher)
    return str(ordered["generator"].iloc[0])


def _sizes(group: pd.DataFrame) -> tuple[int, int]:
    return int(group["n_train"].median()), int(group["n_test"].median())


def generation_tests(table: pd.DataFrame, metrics: Sequence[str],
                     higher: Mapping[str, bool], level: float = 0.95) -> pd.DataFrame:
    """Each deep generator against the best traditional one, per metric, paired by seed.

    Parameters
    ----------
    table : DataFrame
        Stored rows (also ``n_train`` and ``n_test``).
    metrics : sequence of str
        Metrics to test.
    higher : mapping of str to bool
        Whether a larger value is better, per metric.
    level : float
        Confidence level of the difference's interval.

    Returns
    -------
    DataFrame
        One row per (metric, deep generator): ``metric``, ``deep``, ``traditional``,
        ``deep_mean``, ``traditional_mean``, ``difference`` (deep - traditional),
        ``ci_low``, ``ci_high``, ``n`` (paired seeds), ``p``, ``p_holm`` and ``verdict``
        ("deep better", "traditional better", "n.s." or "not testable": fewer than two
        paired seeds).
    """
    _check(table, [*metrics, "n_train", "n_test"])
    summary = generation_summary(table, metrics, level)
    deep = [g for g in table.loc[table["family"] == "deep", "generator"].unique()]
    rows = []
    for metric in metrics:
        best = _best(summary, metric, bool(higher.get(metric, True)))
        if best is None:
            continue
        b = table[table["generator"] == best].set_index("seed")[metric]
        for name in deep:
            group = table[table["generator"] == name]
            a = group.set_index("seed")[metric]
            paired = pd.concat([a, b], axis=1, join="inner").dropna()
            row = {"metric": metric, "deep": name, "traditional": best,
                   "deep_mean": float(a.mean()), "traditional_mean": float(b.mean()),
                   "difference": float("nan"), "ci_low": float("nan"),
                   "ci_high": float("nan"), "n": len(paired), "p": float("nan")}
            if len(paired) >= 2:
                diff = paired.iloc[:, 0].to_numpy() - paired.iloc[:, 1].to_numpy()
                n_train, n_test = _sizes(group)
                test = corrected_resampled_t(paired.iloc[:, 0], paired.iloc[:, 1],
                                             n_train, n_test)
                se = np.sqrt((1 / len(diff) + n_test / n_train) * diff.var(ddof=1))
                half = stats.t.ppf(0.5 + level / 2, len(diff) - 1) * se
                row.update(difference=float(diff.mean()), ci_low=float(diff.mean() - half),
                           ci_high=float(diff.mean() + half), p=test.pvalue)
            rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    testable = out["p"].notna()
    out["p_holm"] = np.nan
    if testable.any():
        out.loc[testable, "p_holm"] = holm(out.loc[testable, "p"].to_numpy())
    out["verdict"] = [_verdict(r, bool(higher.get(r["metric"], True))) for _, r in out.iterrows()]
    return out


def _verdict(row: pd.Series, higher: bool, alpha: float = 0.05) -> str:
    if not np.isfinite(row["p_holm"]):
        return "not testable"
    if row["p_holm"] >= alpha:
        return "n.s."
    deep_ahead = row["difference"] > 0 if higher else row["difference"] < 0
    return "deep better" if deep_ahead else "traditional better"
