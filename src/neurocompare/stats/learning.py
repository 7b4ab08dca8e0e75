"""Learning curves and the deep-vs-traditional crossover (pure functions over the results).

Scores are averaged over folds and repeats within each (subject, training size), then over
subjects. Each pipeline's curve is summarised by the saturating inverse power law
``score(n) = a - b * n**(-c)`` (Figueroa et al. 2012), and the crossover of a deep and a
traditional pipeline is the smallest training size at which the fitted deep curve reaches
the traditional one, with a bootstrap CI over subjects -- or the statement that no crossover
is seen in the measured range.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import OptimizeWarning, curve_fit

from neurocompare._errors import input_error
from neurocompare.stats.summary import real_runs

__all__ = ["Crossover", "crossover", "curve_table", "fit_power_law", "power_law"]


def power_law(n: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """Saturating learning curve ``a - b * n**(-c)``."""
    return a - b * np.power(n, -c)


def fit_power_law(n, score) -> tuple[float, float, float]:
    """Least-squares fit of :func:`power_law` (a in [0, 1.5], b >= 0, c in [0.01, 3]).

    Parameters
    ----------
    n : array-like, shape (n_points,)
        Training sizes (> 0).
    score : array-like, shape (n_points,)
        Mean scores at those sizes.

    Returns
    -------
    (a, b, c) : tuple of float
        Falls back to a flat curve at the mean score when the fit fails or < 3 points.
    """
    n, score = np.asarray(n, dtype=float), np.asarray(score, dtype=float)
    if len(n) < 3:
        return float(score.mean()), 0.0, 1.0
    p0 = (min(1.0, score.max() + 0.05), max(1e-3, (score.max() - score.min()) * n.min()), 0.5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            params, _ = curve_fit(power_law, n, score, p0=p0, maxfev=20000,
                                  bounds=([0, 0, 0.01], [1.5, np.inf, 3.0]))
        return tuple(float(p) for p in params)  # type: ignore[return-value]
    except (RuntimeError, ValueError):
        return float(score.mean()), 0.0, 1.0


def _subject_curves(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = real_runs(table)
    if "train_size" not in rows.columns:
        raise input_error("results", "learning-curve results (a train_size column)",
                          "no train_size column; run with --protocol learning-curve")
    rows = rows.dropna(subset=["train_size"])
    return rows.groupby(["dataset", "pipeline", "family", "subject", "train_size"],
                        observed=True)[metric].mean().reset_index(name="score")


def curve_table(table: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Mean score per (dataset, pipeline, training size) with a 95% t-interval over subjects.

    Returns
    -------
    DataFrame
        Columns dataset, pipeline, family, train_size, mean, low, high, n_subjects.
    """
    per_subject = _subject_curves(table, metric)
    grouped = per_subject.groupby(["dataset", "pipeline", "family", "train_size"],
                                  observed=True)["score"]
    out = grouped.agg(mean="mean", sd="std", n_subjects="count").reset_index()
    half = stats.t.ppf(0.975, np.maximum(out["n_subjects"] - 1, 1)) * out["sd"] \
        / np.sqrt(out["n_subjects"])
    out["low"], out["high"] = out["mean"] - half.fillna(0), out["mean"] + half.fillna(0)
    return out.drop(columns="sd")


@dataclass(frozen=True)
class Crossover:
    """Where a deep pipeline's fitted curve reaches a traditional one's."""

    dataset: str
    deep: str
    traditional: str
    estimate: float
    ci_low: float
    ci_high: float
    fraction_with_crossover: float
    statement: str


def _crossing(n_grid: np.ndarray, deep: tuple, trad: tuple) -> float:
    diff = power_law(n_grid, *deep) - power_law(n_grid, *trad)
    if diff[0] >= 0:
        return float(n_grid[0]) if diff[-1] >= 0 else float("nan")
    above = np.flatnonzero(diff >= 0)
    return float(n_grid[above[0]]) if above.size else float("nan")


def crossover(table: pd.DataFrame, dataset: str, deep: str, traditional: str,
              metric: str = "accuracy", n_boot: int = 500, seed: int = 0) -> Crossover:
    """Estimate the training size at which ``deep`` overtakes ``traditional``.

    The point estimate comes from power laws fitted to the subject-averaged curves; the CI
    from refitting on subjects resampled with replacement. ``fraction_with_crossover`` is the
    share of bootstrap samples in which a crossover occurs inside the measured range.
    """
    curves = _subject_curves(table, metric)
    curves = curves[curves["dataset"] == dataset]
    wide = curves.pivot_table(index=["subject", "train_size"], columns="pipeline",
                              values="score")
    if deep not in wide or traditional not in wide:
        raise input_error("pipelines", f"learning-curve results for {deep} and {traditional}",
                          sorted(wide.columns))
    wide = wide[[deep, traditional]].dropna().reset_index()
    sizes = np.sort(wide["train_size"].unique())
    grid = np.geomspace(sizes.min(), sizes.max(), 200)
    subjects = wide["subject"].unique()

    def estimate(frame: pd.DataFrame) -> float:
        means = frame.groupby("train_size")[[deep, traditional]].mean()
        return _crossing(grid, fit_power_law(means.index, means[deep]),
                         fit_power_law(means.index, means[traditional]))

    point = estimate(wide)
    rng = np.random.default_rng(seed)
    boots = []
    by_subject = {s: wide[wide["subject"] == s] for s in subjects}
    for _ in range(n_boot):
        pick = rng.choice(subjects, len(subjects), replace=True)
        boots.append(estimate(pd.concat([by_subject[s] for s in pick])))
    boots = np.array(boots)
    finite = boots[np.isfinite(boots)]
    low, high = (np.percentile(finite, [2.5, 97.5]) if finite.size else (np.nan, np.nan))
    ahead = power_law(grid[:1], *fit_power_law(
        *_means(wide, deep))) >= power_law(grid[:1], *fit_power_law(*_means(wide, traditional)))
    if np.isnan(point):
        statement = (f"no crossover in the measured range ({sizes.min():g}-{sizes.max():g}): "
                     f"{traditional} stays ahead of {deep}")
    elif point == grid[0] and bool(ahead[0]):
        statement = f"{deep} is ahead of {traditional} from the smallest size measured"
    else:
        unit = "subjects" if "unit" in table.columns and \
            (table["unit"].dropna() == "subjects").any() else "trials"
        statement = (f"{deep} overtakes {traditional} at about {point:.0f} training {unit} "
                     f"(95% bootstrap CI {low:.0f}-{high:.0f})")
    return Crossover(dataset, deep, traditional, point, float(low), float(high),
                     float(np.isfinite(boots).mean()), statement)


def _means(wide: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    means = wide.groupby("train_size")[name].mean()
    return means.index.to_numpy(dtype=float), means.to_numpy()
