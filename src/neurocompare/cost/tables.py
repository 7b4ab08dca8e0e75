"""Operation counts of the connectome and clinical-table steps (leading-order formulas).

Registered on :func:`~neurocompare.cost.analytic.count_step` when this module is imported
(:mod:`neurocompare.cost.ledger` imports it). Per trial (one subject), for ``T`` time points and
``R`` ROIs, counting multiply-accumulates as MACs and comparisons/additions as ACs, the same
conventions as the EEG steps:

* median imputation: one test and select per feature (ACs), the medians as parameters;
* connectivity: Ledoit-Wolf covariance ``T R (R + 1) / 2`` MACs and the correlation
  normalisation ``R^2``; partial correlation adds an inverse (``R^3``); tangent adds the
  whitening by the reference (``2 R^3``) and a matrix logarithm through an eigendecomposition
  (``~4 R^3`` MACs, leading order) -- estimates, not exact LAPACK counts;
* graph measures at a fixed density: thresholding and degree/strength (``R^2`` ACs), and
  clustering/efficiency from a dense matrix product (``R^3`` MACs, an upper bound);
* cropping/padding: no arithmetic;
* ComBat site harmonisation: per feature one affine map (the site's location and scale folded
  into ``a x + b``: 1 MAC), parameters the grand mean, pooled variance and each site's two
  vectors;
* LightGBM: the comparisons along the path of each tree (mean over trials), one addition
  per tree, as for xgboost.

Persistent homology (Vietoris-Rips) has no MAC/AC form; its counts stay unknown (NaN).
"""

from __future__ import annotations

import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.impute import SimpleImputer

from neurocompare.cost.analytic import Count, Recurse, count_step, no_arithmetic
from neurocompare.pipelines.connectome.transformers import (
    Connectivity,
    FixedLength,
    GraphMeasures,
)
from neurocompare.pipelines.sites.combat import SiteHarmonizer

__all__: list[str] = []  # formulas only, reached through count_step

count_step.register(FixedLength, no_arithmetic)


@count_step.register(SimpleImputer)
def _imputer(step: SimpleImputer, X, recurse: Recurse) -> Count:
    n = len(step.statistics_)
    return Count(acs=n, params=n)


def _series_shape(X) -> tuple[float, int]:
    """Mean number of time points and the number of ROIs of a batch of series."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return float(X.shape[1]), int(X.shape[2]) if X.ndim == 3 else 1
    lengths = [np.shape(x)[0] for x in X]
    return float(np.mean(lengths)), int(np.shape(X[0])[1])


@count_step.register(Connectivity)
def _connectivity(step: Connectivity, X, recurse: Recurse) -> Count:
    T, R = _series_shape(X)
    macs = T * R * (R + 1) / 2 + R * R
    params = 0.0
    if step.kind == "partial correlation":
        macs += R**3
    elif step.kind == "tangent":
        macs += 2 * R**3 + 4 * R**3
        params = R * R  # the whitening matrix of the training-fold reference
    return Count(macs=macs, acs=R * R, params=params)


@count_step.register(GraphMeasures)
def _graph(step: GraphMeasures, X, recurse: Recurse) -> Count:
    R = int(np.shape(X)[-1])
    return Count(macs=float(R**3), acs=2.0 * R * R)


@count_step.register(SiteHarmonizer)
def _harmonizer(step: SiteHarmonizer, X, recurse: Recurse) -> Count:
    p = int(step.n_features_in_)
    return Count(macs=p, params=(2 * len(step.sites_) + 2) * p)


@count_step.register(LGBMClassifier)
@count_step.register(LGBMRegressor)
def _lightgbm(step: LGBMClassifier | LGBMRegressor, X, recurse: Recurse) -> Count:
    table = step.booster_.trees_to_dataframe()
    depth = dict(zip(table["node_index"], table["node_depth"] - 1, strict=True))
    leaves = step.predict(np.asarray(X, dtype=np.float64), pred_leaf=True)
    leaves = np.atleast_2d(leaves).reshape(len(X), -1)
    comparisons = float(np.mean([sum(depth[f"{t}-L{int(leaf)}"] for t, leaf in enumerate(row))
                                 for row in leaves]))
    n_trees = leaves.shape[1]
    internal = int(table["left_child"].notna().sum())
    longest = float((table.groupby("tree_index")["node_depth"].max() - 1).sum())
    return Count(acs=comparisons + n_trees, dense=longest + n_trees,
                 params=2 * internal + (len(table) - internal))

