"""Analytic operation counts of the traditional pipeline steps, per prediction (one trial).

:data:`ANALYTIC` maps a step type to a function ``count(step, X, recurse) -> Count``, where
``X`` is the step's input for a few trials and ``recurse`` counts a nested estimator. Counts
are multiply-accumulates (MACs: a multiplication and an addition) and accumulates (ACs:
an addition, subtraction or comparison, no multiplication). Logarithms, exponentials,
square roots and divisions by a constant are not counted. ``C`` channels, ``T`` samples,
``F`` features, ``K`` classes (or decision rows):

============================ ==============================================================
step                         per-trial count
============================ ==============================================================
``BandPass`` (IIR SOS,       ``2 passes * 5 MACs * n_sections * (T + 2 padlen) * C`` (direct
zero phase)                  form II transposed: 5 taps per section and sample)
``BandPower`` (Welch)        per channel and ``N``-sample segment: window ``N`` MACs, FFT
                             ``5 N log2 N`` flops = ``2 N log2 N`` MACs + ``N log2 N`` ACs
                             (complex radix-2; a real FFT needs about half), mean removal
                             ``2 N`` ACs, power + scaling ``3`` MACs per bin, segment
                             average 1 AC per bin; band sums 1 AC per bin
``ShrunkCovariances``        ``C^2 T`` MACs + ``C^2`` (shrinkage) MACs, ``2 C T`` ACs (centring)
``TangentSpace``             whitening ``2 C^3`` + eigendecomposition ``4.5 C^3`` (``9 C^3``
(Riemannian)                 flops, Golub & Van Loan) + ``C^3 + C^2`` reconstruction
                             + ``C (C - 1) / 2`` MACs
``CSP`` (pyRiemann)          ``W S W^T``: ``F_csp C^2 + F_csp^2 C`` MACs
``MDM``                      per class ``4/3 C^3 + C`` MACs (generalised eigenvalues,
                             ``8/3 C^3`` flops)
``FgMDM``                    tangent space + ``n_ts^2`` (projection) + ``7.5 C^3 + n_ts``
                             (back to matrices) + MDM
``CCAClassifier``            thin SVD of the centred trial ``3 T C^2 + 5.5 C^3``, then per
                             frequency ``C T R + C R^2 + R^3`` MACs (``R`` = 2 x harmonics
                             references, precomputed); ``C T`` ACs
``FilterBankCSP``            per band: band-pass + covariance + CSP
linear models (LDA, LR,      ``K F`` MACs + ``K`` ACs (intercepts); a linear SVC counted in
linear SVC)                  its primal form (libsvm evaluates ``n_SV F`` kernel products)
``SVC`` (other kernels)      ``n_SV F`` MACs + ``n_SV F`` ACs + ``n_SV K`` MACs
``StandardScaler``           ``F`` MACs
trees, forests, AdaBoost     comparisons (ACs) on the trial's measured decision paths
                             (``dense``: the trees' depths), + ``n_trees K`` ACs of averaging
XGBoost (via the wrapper)    same, depths from the booster's tree table
``KNeighborsClassifier``     brute force: ``n_train F`` MACs + ``n_train (F + 1)`` ACs
``MLPClassifier``            ``sum in * out`` MACs + ``sum out`` ACs
stacking, grid search,       the fitted estimators inside (stacking: every base estimator
label wrapper                plus the combiner on their outputs)
picks, selection,            0 (indexing)
decimation, vectorising
============================ ==============================================================

A step type missing from :data:`ANALYTIC` gets NaN counts and a logged warning; no number is
made up. Parameters are the numbers a prediction reads (8 bytes each, float64).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from pyriemann.classification import MDM
from pyriemann.spatialfilters import CSP
from pyriemann.tangentspace import TangentSpace
from sklearn.base import BaseEstimator
from sklearn.ensemble import AdaBoostClassifier, StackingClassifier
from sklearn.ensemble._forest import BaseForest
from sklearn.feature_selection import SelectorMixin
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.model_selection._search import BaseSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm._base import BaseSVC
from sklearn.tree import BaseDecisionTree

from neurocompare.pipelines.common.steps import PickChannels
from neurocompare.pipelines.common.tuning import OptunaSearch
from neurocompare.pipelines.common.wrappers import EncodedLabelClassifier
from neurocompare.pipelines.eeg.covariance import FgMDMClassifier, ShrunkCovariances
from neurocompare.pipelines.eeg.csp import FilterBankCSP
from neurocompare.pipelines.eeg.filters import BandPass, Decimate
from neurocompare.pipelines.eeg.mvpa import Vectorize
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.pipelines.eeg.ssvep import CCAClassifier
from neurocompare.pipelines.transfer.alignment import EuclideanAlign, RiemannRecenter, TargetOnly
from neurocompare.pipelines.transfer.ptc import PairedTrialClassifier

__all__ = ["ANALYTIC", "Count", "analytic_handler"]

Recurse = Callable[[BaseEstimator, np.ndarray], "Count"]


@dataclass
class Count:
    """Per-trial operation counts of one step (NaN: unknown)."""

    macs: float = 0.0
    acs: float = 0.0
    dense: float = math.nan  # NaN: macs + acs
    params: float = 0.0
    param_bytes: float = math.nan  # NaN: 8 * params
    zero_weights: float = 0.0
    n_weights: float = 0.0
    zero_activations: float = 0.0
    n_activations: float = 0.0

    def __post_init__(self) -> None:
        if math.isnan(self.dense):
            self.dense = self.macs + self.acs
        if math.isnan(self.param_bytes):
            self.param_bytes = 8.0 * self.params

    def __add__(self, other: Count) -> Count:
        return Count(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                        for f in fields(self)})

    @classmethod
    def unknown(cls) -> Count:
        """All counts NaN."""
        return cls(**{f.name: math.nan for f in fields(cls)})


def _epoch(X) -> tuple[int, int]:
    X = np.asarray(X)
    return (1, X.shape[1]) if X.ndim == 2 else (X.shape[1], X.shape[2])


def _n_features(X) -> int:
    return int(np.prod(np.asarray(X).shape[1:]))


def iir_zero_phase(sos: np.ndarray, n_chans: int, n_times: int) -> Count:
    """Forward-backward SOS filtering of a (C, T) trial, padded as
    :func:`~neurocompare.pipelines.eeg.filters.zero_phase` pads."""
    sos = np.asarray(sos)
    sections = len(sos)
    zeros = min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    padlen = min(3 * (2 * sections + 1 - zeros), n_times - 1)
    return Count(macs=2 * 5 * sections * (n_times + 2 * padlen) * n_chans, params=5 * sections)


def covariance(n_chans: int, n_times: int) -> Count:
    """Shrunk sample covariance of a (C, T) trial."""
    return Count(macs=n_chans**2 * n_times + n_chans**2, acs=2 * n_chans * n_times)


def tangent_space(n_chans: int) -> Count:
    """Riemannian log map at a fixed reference, vectorised."""
    c = n_chans
    return Count(macs=7.5 * c**3 + c**2 + c * (c - 1) / 2, params=c**2)


def csp(n_filters: int, n_chans: int) -> Count:
    """Log-variance of ``n_filters`` CSP components from a covariance matrix."""
    return Count(macs=n_filters * n_chans**2 + n_filters**2 * n_chans,
                 params=n_filters * n_chans)


def riemann_distances(n_classes: int, n_chans: int) -> Count:
    """Riemannian distances of a matrix to ``n_classes`` means."""
    return Count(macs=n_classes * (4 / 3 * n_chans**3 + n_chans), params=n_classes * n_chans**2)


def linear(coef: np.ndarray, intercept: np.ndarray | float = 0.0) -> Count:
    """A linear decision function ``X @ coef.T + intercept``."""
    coef = np.atleast_2d(np.asarray(coef))
    rows, n_features = coef.shape
    n_intercept = np.size(intercept)
    return Count(macs=rows * n_features, acs=rows, params=coef.size + n_intercept,
                 zero_weights=float((coef == 0).sum()), n_weights=float(coef.size))


def _bandpass(step: BandPass, X, recurse: Recurse) -> Count:
    return iir_zero_phase(step.sos_, *_epoch(X))


def _bandpower(step: BandPower, X, recurse: Recurse) -> Count:
    n_chans, n_times = _epoch(X)
    n = max(1, min(round(step.window * step.sfreq), n_times))
    n_seg = (n_times - n) // (n - n // 2) + 1
    bins = n // 2 + 1
    log_n = math.log2(n) if n > 1 else 0.0
    per_segment_macs = n + 2 * n * log_n + 3 * bins
    per_segment_acs = n * log_n + 2 * n + bins
    return Count(macs=n_chans * n_seg * per_segment_macs,
                 acs=n_chans * (n_seg * per_segment_acs + bins))


def _covariance(step: ShrunkCovariances, X, recurse: Recurse) -> Count:
    return covariance(*_epoch(X))


def _tangent(step: TangentSpace, X, recurse: Recurse) -> Count:
    return tangent_space(np.asarray(X).shape[-1])


def _csp(step: CSP, X, recurse: Recurse) -> Count:
    return csp(step.filters_.shape[0], np.asarray(X).shape[-1])


def _mdm(step: MDM, X, recurse: Recurse) -> Count:
    return riemann_distances(len(step.covmeans_), np.asarray(X).shape[-1])


def _fgmdm(step: FgMDMClassifier, X, recurse: Recurse) -> Count:
    c = np.asarray(X).shape[-1]
    n_ts = step.W_.shape[0]
    back = Count(macs=n_ts**2 + 7.5 * c**3 + n_ts, params=n_ts**2)
    return tangent_space(c) + back + riemann_distances(len(step.mdm_.covmeans_), c)


def _cca(step: CCAClassifier, X, recurse: Recurse) -> Count:
    c, t = _epoch(X)
    n_freqs = int(np.sum(~np.isnan(step.freqs_)))
    r = 2 * int(step.n_harmonics)
    return Count(macs=3 * t * c**2 + 5.5 * c**3 + n_freqs * (c * t * r + c * r**2 + r**3),
                 acs=c * t, params=n_freqs * r * t + 1)


def _filterbank_csp(step: FilterBankCSP, X, recurse: Recurse) -> Count:
    c, t = _epoch(X)
    total = Count()
    for sos, band_csp in zip(step.sos_, step.csps_, strict=True):
        total = total + iir_zero_phase(sos, c, t) + covariance(c, t) \
            + csp(band_csp.filters_.shape[0], c)
    return total


def _linear_model(step, X, recurse: Recurse) -> Count:
    return linear(step.coef_, getattr(step, "intercept_", 0.0))


def _svc(step, X, recurse: Recurse) -> Count:
    if step.kernel == "linear":
        return linear(step.coef_, step.intercept_)
    n_sv, n_features = step.support_vectors_.shape
    rows = step.dual_coef_.shape[0]
    return Count(macs=n_sv * n_features + n_sv * rows, acs=n_sv * n_features,
                 params=step.support_vectors_.size + step.dual_coef_.size + step.intercept_.size)


def _scaler(step: StandardScaler, X, recurse: Recurse) -> Count:
    n = _n_features(X)
    return Count(macs=n, params=2 * n)


def _zero(step, X, recurse: Recurse) -> Count:
    return Count()


def _selector(step: SelectorMixin, X, recurse: Recurse) -> Count:
    return Count(params=int(step.get_support().sum()))


def _tree_params(tree) -> float:
    leaves = tree.n_leaves
    return 2 * (tree.node_count - leaves) + leaves * tree.value.shape[-1]


def _trees(trees: list, X) -> Count:
    X = np.ascontiguousarray(X, dtype=np.float32).reshape(len(X), -1)
    acs = dense = params = 0.0
    for tree in trees:  # the low-level tree skips per-call validation (fast for 300 trees)
        acs += float(tree.tree_.decision_path(X).sum(axis=1).mean()) - 1
        dense += tree.tree_.max_depth
        params += _tree_params(tree.tree_)
    return Count(acs=acs, dense=dense, params=params)


def _tree(step, X, recurse: Recurse) -> Count:
    return _trees([step], X)


def _forest(step: BaseForest, X, recurse: Recurse) -> Count:
    voting = Count(acs=len(step.estimators_) * len(step.classes_))
    return _trees(step.estimators_, X) + voting


def _adaboost(step: AdaBoostClassifier, X, recurse: Recurse) -> Count:
    return _trees(list(step.estimators_), X) + Count(acs=len(step.estimators_),
                                                    params=len(step.estimators_))


def _xgboost(booster, X) -> Count:
    table = booster.get_booster().trees_to_dataframe()
    depth, internal = {}, 0
    rows = zip(table["ID"], table["Feature"], table["Yes"], table["No"], strict=True)
    for node, feature, yes, no in rows:  # parents come before their children
        depth.setdefault(node, 0)
        if feature != "Leaf":
            internal += 1
            depth[yes] = depth[no] = depth[node] + 1
    leaves_depth = table[table["Feature"] == "Leaf"]["ID"].map(depth)
    n_trees = table["Tree"].nunique()
    dense = float(table[table["Feature"] == "Leaf"].assign(d=leaves_depth)
                  .groupby("Tree")["d"].max().sum())
    leaf_ids = booster.get_booster().predict(_dmatrix(X), pred_leaf=True)
    leaf_ids = np.atleast_2d(leaf_ids).reshape(len(X), -1)
    paths = [[depth[f"{tree}-{int(leaf)}"] for tree, leaf in enumerate(row)] for row in leaf_ids]
    comparisons = float(np.mean([sum(p) for p in paths]))
    return Count(acs=comparisons + n_trees, dense=dense + n_trees,
                 params=2 * internal + (len(table) - internal))


def _dmatrix(X):
    import xgboost

    return xgboost.DMatrix(np.asarray(X, dtype=np.float32))


def _encoded(step: EncodedLabelClassifier, X, recurse: Recurse) -> Count:
    inner = step.estimator_
    if type(inner).__name__ in ("XGBClassifier", "XGBRFClassifier"):
        return _xgboost(inner, X)
    return recurse(inner, X)


def _knn(step: KNeighborsClassifier, X, recurse: Recurse) -> Count:
    n_fit, n_features = step.n_samples_fit_, step.n_features_in_
    return Count(macs=n_fit * n_features, acs=n_fit * (n_features + 1),
                 params=n_fit * (n_features + 1))


def _mlp(step: MLPClassifier, X, recurse: Recurse) -> Count:
    total = Count()
    for coef, intercept in zip(step.coefs_, step.intercepts_, strict=True):
        total = total + linear(coef.T, intercept)
    return total


def _stacking(step: StackingClassifier, X, recurse: Recurse) -> Count:
    total = Count()
    for estimator in step.estimators_:
        if estimator != "drop":
            total = total + recurse(estimator, X)
    return total + recurse(step.final_estimator_, step.transform(X))


def _search(step: BaseSearchCV, X, recurse: Recurse) -> Count:
    return recurse(step.best_estimator_, X)


def _recenter(step: RiemannRecenter, X, recurse: Recurse) -> Count:
    c = np.asarray(X).shape[-1]  # M^-1/2 C M^-1/2: two (C, C) matrix products
    return Count(macs=2 * c**3, params=c**2)


def _align(step: EuclideanAlign, X, recurse: Recurse) -> Count:
    c, t = _epoch(X)  # R^-1/2 X
    return Count(macs=c * c * t, params=c**2)


def _target_only(step: TargetOnly, X, recurse: Recurse) -> Count:
    return recurse(step.estimator_, X)


def _ptc(step: PairedTrialClassifier, X, recurse: Recurse) -> Count:
    n, f = step.train_X_.shape  # |x - x_i| for every training trial, then the pair model
    pair = recurse(step.pair_model_, np.zeros((1, f)))
    return Count(macs=n * pair.macs, acs=n * (f + pair.acs) + n,
                 params=n * f + pair.params)


def _optuna(step: OptunaSearch, X, recurse: Recurse) -> Count:
    return recurse(step.best_estimator_, X)


#: Step type -> counting function (looked up along the step's class hierarchy).
ANALYTIC: dict[type, Callable[..., Count]] = {
    PickChannels: _zero,
    Decimate: _zero,
    Vectorize: _zero,
    BandPass: _bandpass,
    BandPower: _bandpower,
    ShrunkCovariances: _covariance,
    TangentSpace: _tangent,
    CSP: _csp,
    MDM: _mdm,
    FgMDMClassifier: _fgmdm,
    CCAClassifier: _cca,
    FilterBankCSP: _filterbank_csp,
    SelectorMixin: _selector,
    StandardScaler: _scaler,
    LinearClassifierMixin: _linear_model,
    BaseSVC: _svc,
    BaseDecisionTree: _tree,
    BaseForest: _forest,
    AdaBoostClassifier: _adaboost,
    KNeighborsClassifier: _knn,
    MLPClassifier: _mlp,
    StackingClassifier: _stacking,
    BaseSearchCV: _search,
    EncodedLabelClassifier: _encoded,
    RiemannRecenter: _recenter,
    EuclideanAlign: _align,
    TargetOnly: _target_only,
    PairedTrialClassifier: _ptc,
    OptunaSearch: _optuna,
}


def analytic_handler(step: BaseEstimator) -> Callable[..., Count] | None:
    """The counting function of ``step``'s type or of its nearest registered base class."""
    for kind in type(step).__mro__:
        if kind in ANALYTIC:
            return ANALYTIC[kind]
    return None
