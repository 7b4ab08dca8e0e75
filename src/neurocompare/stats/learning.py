"""Learning curves and the deep-vs-traditional crossover (pure functions over the results).

Scores are averaged over folds and repeats within each (subject, training size), then over
subjects. Each pipeline's curve is summarised by the saturating inverse power law
``score(n) = a - b * n**(-c)`` (Figueroa et al. 2012), and the crossover of a deep and a
traditional pipeline is the smallest training size at which the fitted deep curve reaches
the traditional one, with a bootstrap CI over subjects -- or the statement that no crossover
is seen in the measured range.

Error metrics (MAE, RMSE: lower is better) are fitted on the flipped scale
``(worst - error) / range`` -- an increasing affine image, on which the power law family is
the same -- and mapped back, so "reaches" means "errs no more than".
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import OptimizeWarning, curve_fit

from neurocompare._errors import input_error
from neurocompare.stats.summary import dataset_metric, higher_is_better, real_runs

__all__ = ["Crossover", "crossover", "curve_table", "fit_power_law", "fitted_curve",
           "power_law"]


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


def fitted_curve(n, score, higher: bool = True,
                 span: tuple[float, float] | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """The fitted learning curve of ``score`` against ``n`` as a function of the size.

    ``higher=False`` (an error metric) fits :func:`power_law` to ``(hi - score) / (hi - lo)``
    (``span = (lo, hi)``, default the scores' own range; give two curves the same span to
    compare them) and maps the fit back to the error scale.
    """
    score = np.asarray(score, dtype=float)
    if higher:
        params = fit_power_law(n, score)
        return lambda x: power_law(np.asarray(x, dtype=float), *params)
    lo, hi = span if span is not None else (float(score.min()), float(score.max()))
    scale = (hi - lo) or 1.0
    flipped = fit_power_law(n, (hi - score) / scale)
    return lambda x: hi - scale * power_law(np.asarray(x, dtype=float), *flipped)


def _subject_curves(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per (dataset, pipeline, subject, size) mean score; ``metric`` "auto" takes each
    dataset's :func:`~neurocompare.stats.summary.dataset_metric` (column ``metric``)."""
    rows = real_runs(table)
    if "train_size" not in rows.columns:
        raise input_error("results", "learning-curve results (a train_size column)",
                          "no train_size column; run with --protocol learning-curve")
    rows = rows.dropna(subset=["train_size"])
    out = []
    for dataset, group in rows.groupby("dataset", sort=True):
        score = dataset_metric(group, str(dataset), metric)
        out.append(group.groupby(["dataset", "pipeline", "family", "subject", "train_size"],
                                 observed=True)[score].mean().reset_index(name="score")
                   .assign(metric=score))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["dataset", "pipeline", "family", "subject", "train_size", "score", "metric"])


def curve_table(table: pd.DataFrame, metric: str = "auto") -> pd.DataFrame:
    """Mean score per (dataset, pipeline, training size) with a 95% t-interval over subjects.

    ``metric`` "auto": accuracy on classification datasets, MAE on regression ones.

    Returns
    -------
    DataFrame
        Columns dataset, pipeline, family, train_size, metric, mean, low, high, n_subjects.
    """
    per_subject = _subject_curves(table, metric)
    grouped = per_subject.groupby(["dataset", "pipeline", "family", "train_size", "metric"],
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


def _crossing(n_grid: np.ndarray, deep: Callable, trad: Callable, higher: bool) -> float:
    diff = deep(n_grid) - trad(n_grid) if higher else trad(n_grid) - deep(n_grid)
    if diff[0] >= 0:
        return float(n_grid[0]) if diff[-1] >= 0 else float("nan")
    above = np.flatnonzero(diff >= 0)
    return float(n_grid[above[0]]) if above.size else float("nan")


def crossover(table: pd.DataFrame, dataset: str, deep: str, traditional: str,
              metric: str = "auto", n_boot: int = 500, seed: int = 0) -> Crossover:
    """Estimate the training size at which ``deep`` overtakes ``traditional``.

    The point estimate comes from power laws fitted to the subject-averaged curves; the CI
    from refitting on subjects resampled with replacement. ``fraction_with_crossover`` is the
    share of bootstrap samples in which a crossover occurs inside the measured range.
    ``metric`` "auto" is the dataset's default (accuracy, or MAE on a regression target).
    """
    curves = _subject_curves(table[table["dataset"] == dataset], metric)
    higher = curves.empty or higher_is_better(str(curves["metric"].iloc[0]))
    wide = curves.pivot_table(index=["subject", "train_size"], columns="pipeline",
                              values="score")
    if deep not in wide or traditional not in wide:
        raise input_error("pipelines", f"learning-curve results for {deep} and {traditional}",
                          sorted(wide.columns))
    wide = wide[[deep, traditional]].dropna().reset_index()
    sizes = np.sort(wide["train_size"].unique())
    grid = np.geomspace(sizes.min(), sizes.max(), 200)
    subjects = wide["subject"].unique()

    def curves_of(frame: pd.DataFrame) -> tuple[Callable, Callable]:
        means = frame.groupby("train_size")[[deep, traditional]].mean()
        span = (float(means.min().min()), float(means.max().max()))
        return (fitted_curve(means.index, means[deep], higher, span),
                fitted_curve(means.index, means[traditional], higher, span))

    def estimate(frame: pd.DataFrame) -> float:
        return _crossing(grid, *curves_of(frame), higher)

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
    deep_curve, trad_curve = curves_of(wide)
    ahead = deep_curve(grid[:1]) >= trad_curve(grid[:1]) if higher else \
        deep_curve(grid[:1]) <= trad_curve(grid[:1])
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
