"""Site harmonisation fitted inside the training fold: ComBat (Johnson et al. 2007).

Multi-site data (ABIDE: 20 scanners) carry site effects -- a per-site shift and scaling of
each feature -- that a classifier can learn instead of the diagnosis. ComBat models feature
``g`` of subject ``j`` at site ``i`` as ``y_ijg = alpha_g + gamma_ig + delta_ig * e_ijg``
and removes ``gamma`` (location) and ``delta`` (scale), shrinking the per-site estimates
towards their across-feature mean with a parametric empirical-Bayes prior (normal for
``gamma``, inverse gamma for ``delta^2``). It is the method of Fortin et al. (2017, 2018)
for DTI and cortical thickness and of Yu et al. (2018) for functional connectivity.

Leakage rules, as for every step here: :func:`combat_fit` sees the training rows and their
sites only (never labels, never test rows); test rows from a site seen in training are
adjusted with that site's training estimates; rows from a site absent from the training
fold (every test row of leave-site-out) are left as they are -- estimating their site
effect would need the test data. No biological covariate is protected (the diagnosis is
unknown at prediction time, and including it in training only would bias the estimates).

Agreement with the reference implementation (``neuroCombat`` 0.2.12, parametric, no
covariates) is tested to 1e-8; the two differ only in degenerate features (zero pooled
variance: here the feature is left unscaled).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from neurocompare._errors import input_error

__all__ = ["CombatFit", "SiteHarmonizer", "combat_apply", "combat_fit"]

logger = logging.getLogger(__name__)


@dataclass
class CombatFit:
    """Training-fold ComBat estimates.

    Attributes
    ----------
    grand_mean : ndarray, shape (n_features,)
    var_pooled : ndarray, shape (n_features,)
        Pooled residual variance after removing the site means (1 where it is 0).
    gamma : dict of str to ndarray, shape (n_features,)
        Standardised location effect of each site (empirical-Bayes posterior mean).
    delta : dict of str to ndarray, shape (n_features,)
        Standardised scale effect (a variance) of each site.
    """

    grand_mean: np.ndarray
    var_pooled: np.ndarray
    gamma: dict[str, np.ndarray]
    delta: dict[str, np.ndarray]


def _inverse_gamma_prior(delta_hat: np.ndarray) -> tuple[float, float]:
    """Method-of-moments (a, b) of an inverse-gamma prior for one site's variances."""
    m, s2 = float(np.mean(delta_hat)), float(np.var(delta_hat, ddof=1))
    if s2 <= 0:  # every feature has the same variance: an almost flat (weak) prior
        s2 = max(m * m * 1e-12, 1e-300)
    return (2 * s2 + m * m) / s2, (m * s2 + m ** 3) / s2


def _posterior(s_site: np.ndarray, gamma_hat: np.ndarray, delta_hat: np.ndarray,
               a: float, b: float, tol: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Iterate the parametric empirical-Bayes estimates of one site to convergence."""
    n = s_site.shape[0]
    gamma_bar, tau2 = float(np.mean(gamma_hat)), float(np.var(gamma_hat, ddof=1))
    g_old, d_old = gamma_hat.copy(), delta_hat.copy()
    for _ in range(1000):
        g_new = (tau2 * n * gamma_hat + d_old * gamma_bar) / (tau2 * n + d_old)
        sum2 = ((s_site - g_new) ** 2).sum(axis=0)
        d_new = (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = max(np.nanmax(np.abs(g_new - g_old) / np.abs(g_old)),
                         np.nanmax(np.abs(d_new - d_old) / d_old))
        g_old, d_old = g_new, d_new
        if change <= tol:
            break
    return g_old, d_old


def combat_fit(X: np.ndarray, sites: np.ndarray, *, empirical_bayes: bool = True,
               mean_only: bool = False) -> CombatFit:
    """Estimate ComBat site effects from training rows.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    sites : array-like, shape (n_samples,)
        Site of each row.
    empirical_bayes : bool
        Shrink the per-site estimates with the parametric prior (ComBat); ``False`` uses the
        plain per-site means and variances (location/scale adjustment).
    mean_only : bool
        Remove location effects only (``delta = 1``).

    Returns
    -------
    CombatFit
        Sites with fewer than 2 rows get no estimate (their rows are left unadjusted).
    """
    X = np.asarray(X, dtype=np.float64)
    sites = np.asarray(sites).astype(str)
    if len(sites) != len(X):
        raise input_error("sites", f"{len(X)} site labels (one per row)", len(sites))
    labels, counts = np.unique(sites, return_counts=True)
    site_means = np.stack([X[sites == s].mean(axis=0) for s in labels])
    grand_mean = (counts / counts.sum()) @ site_means
    residual = X - site_means[np.searchsorted(labels, sites)]
    var_pooled = (residual ** 2).mean(axis=0)
    var_pooled[var_pooled == 0] = 1.0
    s_data = (X - grand_mean) / np.sqrt(var_pooled)
    gamma, delta = {}, {}
    small = labels[counts < 2]
    if len(small):
        logger.warning("ComBat: sites %s have fewer than 2 training rows; left unadjusted",
                       small.tolist())
    for site in labels[counts >= 2]:
        s_site = s_data[sites == site]
        gamma_hat = s_site.mean(axis=0)
        delta_hat = np.ones_like(gamma_hat) if mean_only else s_site.var(axis=0, ddof=1)
        delta_hat[delta_hat == 0] = 1.0
        if empirical_bayes and X.shape[1] > 1:
            if mean_only:
                g, d = _posterior_mean_only(gamma_hat), delta_hat
            else:
                a, b = _inverse_gamma_prior(delta_hat)
                g, d = _posterior(s_site, gamma_hat, delta_hat, a, b)
        else:
            g, d = gamma_hat, delta_hat
        gamma[str(site)], delta[str(site)] = g, d
    return CombatFit(grand_mean, var_pooled, gamma, delta)


def _posterior_mean_only(gamma_hat: np.ndarray) -> np.ndarray:
    """Mean-only shrinkage as sva's ComBat and neuroCombat compute it (``n = d = 1``)."""
    gamma_bar, tau2 = float(np.mean(gamma_hat)), float(np.var(gamma_hat, ddof=1))
    return (tau2 * gamma_hat + gamma_bar) / (tau2 + 1.0)


def combat_apply(X: np.ndarray, sites: np.ndarray | None, fit: CombatFit) -> np.ndarray:
    """Remove the estimated site effects from rows of known sites.

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
    sites : array-like, shape (n_samples,), or None
        Site of each row; rows of sites without an estimate (unseen in training) and all
        rows when ``sites`` is None are returned unchanged.
    fit : CombatFit

    Returns
    -------
    ndarray, shape (n_samples, n_features)
    """
    X = np.asarray(X, dtype=np.float64)
    out = X.copy()
    if sites is None:
        return out
    sites = np.asarray(sites).astype(str)
    if len(sites) != len(X):
        raise input_error("sites", f"{len(X)} site labels (one per row)", len(sites))
    scale = np.sqrt(fit.var_pooled)
    for site in np.unique(sites):
        if site not in fit.gamma:
            continue
        rows = sites == site
        standard = (X[rows] - fit.grand_mean) / scale
        adjusted = (standard - fit.gamma[site]) / np.sqrt(fit.delta[site])
        out[rows] = adjusted * scale + fit.grand_mean
    return out


class SiteHarmonizer(TransformerMixin, BaseEstimator):
    """ComBat harmonisation of feature vectors across sites, fitted on the training fold.

    Input and output: ``(n_samples, n_features)`` (e.g. vectorised connectomes). Sites are
    given as ``sites=`` to ``fit``/``transform``; both request it by default, so a
    :class:`~neurocompare.pipelines.sites.pipeline.SitePipeline` (any scikit-learn
    Pipeline) routes it there from ``fit``/``predict``/... when metadata routing is enabled,
    and the evaluation passes the dataset's ``site`` column of the training and test rows.
    Without sites every row is treated as one site, i.e. the transform is the identity.

    Parameters
    ----------
    empirical_bayes : bool
        Shrink site estimates with ComBat's parametric prior (else plain per-site
        location/scale).
    mean_only : bool
        Remove only the location (mean) effect of each site.
    """

    #: ``sites`` is routed to ``fit`` and ``transform`` without set_*_request calls
    __metadata_request__fit: ClassVar[dict] = {"sites": True}
    __metadata_request__transform: ClassVar[dict] = {"sites": True}

    def __init__(self, empirical_bayes: bool = True, mean_only: bool = False):
        self.empirical_bayes = empirical_bayes
        self.mean_only = mean_only

    def fit(self, X, y=None, sites=None):
        """Estimate site effects from the training rows (``y`` is ignored).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : ignored
        sites : array-like, shape (n_samples,), optional
            Site of each row, routed as metadata.
        """
        X = validate_data(self, X, dtype=np.float64)
        if sites is None:
            sites = np.zeros(len(X), dtype=int)
        self.fit_ = combat_fit(X, sites, empirical_bayes=bool(self.empirical_bayes),
                               mean_only=bool(self.mean_only))
        self.sites_ = np.array(sorted(self.fit_.gamma), dtype=object)
        return self

    def transform(self, X, sites=None):
        """Adjust rows of sites seen in training; other rows pass unchanged.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        sites : array-like, shape (n_samples,), optional
            Site of each row, routed as metadata (None: every row passes unchanged).

        Returns
        -------
        ndarray, shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return combat_apply(X, sites, self.fit_)

    def fit_transform(self, X, y=None, sites=None):
        """Fit on the training rows and adjust them."""
        return self.fit(X, y, sites=sites).transform(X, sites=sites)
