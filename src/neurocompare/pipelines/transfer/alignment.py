"""Transfer across subjects: domain-aware pipelines for the calibration-budget protocol.

The calibration protocol trains on other subjects (source domains) plus ``k`` labelled trials
per class of the target subject. Pipelines learn which training trial comes from which domain
through domain-encoded labels, ``"<domain>::<label>"`` (the trick pyRiemann's transfer tools
use), so they stay plain scikit-learn estimators: :class:`DomainPipeline` decodes them and
hands ``domains`` to the steps that use it. Given plain labels, every pipeline here behaves
like its non-transfer counterpart.

Adaptation steps estimate one reference per domain from that domain's *training* trials only;
at prediction time the test trials (target domain) are mapped with the target's reference,
estimated from its calibration trials. With ``k = 0`` there is no target trial, no
per-domain mapping is learned, and the pipeline is the pooled cross-subject model -- the
target's test trials are never used, not even unlabelled.
"""

from __future__ import annotations

import inspect

import numpy as np
from pyriemann.geometry.base import invsqrtm
from pyriemann.geometry.mean import mean_riemann
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error

__all__ = [
    "SEPARATOR",
    "DomainPipeline",
    "EuclideanAlign",
    "RiemannRecenter",
    "TargetOnly",
    "decode_domains",
    "encode_domains",
    "is_encoded",
]

SEPARATOR = "::"


def encode_domains(y: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Labels ``"<domain>::<label>"`` (object array, shape (n_trials,))."""
    return np.array([f"{d}{SEPARATOR}{label}" for d, label in zip(domains, y, strict=True)],
                    dtype=object)


def is_encoded(y) -> bool:
    """Whether ``y`` carries domain-encoded labels."""
    y = np.asarray(y)
    return y.dtype.kind in "OU" and len(y) > 0 and all(SEPARATOR in str(v) for v in y)


def decode_domains(y_enc) -> tuple[np.ndarray, np.ndarray]:
    """Split encoded labels into (labels, domains); integer-looking labels become ints."""
    pairs = [str(v).rsplit(SEPARATOR, 1) for v in np.asarray(y_enc)]
    domains = np.array([p[0] for p in pairs], dtype=object)
    labels = [p[1] for p in pairs]
    try:
        return np.array([int(v) for v in labels]), domains
    except ValueError:
        return np.array(labels, dtype=object), domains


def _accepts_domains(step) -> bool:
    return "domains" in inspect.signature(step.fit).parameters


class DomainPipeline(Pipeline):
    """A scikit-learn Pipeline that understands domain-encoded labels.

    ``fit(X, y)`` with encoded ``y`` decodes it, passes ``domains=`` to every step whose
    ``fit`` accepts it, and plain labels to all steps. Prediction is the usual Pipeline path.
    Because it re-implements ``fit`` step by step, it does not use ``memory`` caching.
    """

    domain_aware = True

    def fit(self, X, y=None, **params):
        """Fit every step; see the class docstring."""
        if params:
            raise TypeError(f"DomainPipeline.fit takes no fit parameters, got "
                            f"{', '.join(sorted(params))}")
        domains = None
        if y is not None and is_encoded(y):
            y, domains = decode_domains(y)
        Xt = X
        for _, step in self.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            if domains is not None and _accepts_domains(step):
                # fit_transform maps each training domain with its own reference (transform
                # alone would map every training trial with the target's)
                Xt = step.fit_transform(Xt, y, domains=domains)
            else:
                Xt = step.fit_transform(Xt, y)
        final = self.steps[-1][1]
        if domains is not None and _accepts_domains(final):
            final.fit(Xt, y, domains=domains)
        else:
            final.fit(Xt, y)
        return self


def _domain_references(values: np.ndarray, domains: np.ndarray | None, mean
                       ) -> tuple[dict, np.ndarray]:
    pooled = mean(values)
    if domains is None:
        return {}, pooled
    return {str(d): mean(values[domains == d]) for d in np.unique(domains)}, pooled


class _Aligner(TransformerMixin, BaseEstimator):
    """Shared logic: per-domain references from training trials, target's at test time."""

    def __init__(self, target_domain: str | None = None):
        self.target_domain = target_domain

    def _mean(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _apply(self, values: np.ndarray, reference: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _stats(self, X: np.ndarray) -> np.ndarray:
        return X

    def fit(self, X, y=None, domains=None):
        """Estimate one reference per domain (only when the target domain is present)."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 3:
            raise input_error("X", "a 3-D array", X.shape)
        if domains is not None and len(domains) != len(X):
            raise input_error("domains", f"{len(X)} domain labels", len(domains))
        target_seen = domains is not None and self.target_domain is not None and \
            str(self.target_domain) in {str(d) for d in domains}
        refs, pooled = _domain_references(self._stats(X), np.asarray(domains, dtype=str)
                                          if target_seen else None, self._mean)
        self.references_ = {d: invsqrtm(r) for d, r in refs.items()}
        self.pooled_ = invsqrtm(pooled)
        self.train_domains_ = np.asarray(domains, dtype=str) if target_seen else None
        return self

    def transform(self, X):
        """Map test trials with the target's reference (the pooled one if unseen)."""
        check_is_fitted(self)
        X = np.asarray(X, dtype=float)
        return self._apply(X, self.references_.get(str(self.target_domain), self.pooled_))

    def fit_transform(self, X, y=None, domains=None):
        """Fit, then map each training domain with its own reference."""
        self.fit(X, y, domains)
        X = np.asarray(X, dtype=float)
        if self.train_domains_ is None:
            return self._apply(X, self.pooled_)
        out = np.empty_like(X)
        for d, ref in self.references_.items():
            mask = self.train_domains_ == d
            out[mask] = self._apply(X[mask], ref)
        return out


class RiemannRecenter(_Aligner):
    """Re-centre covariance matrices of each domain at the identity (Zanini et al. 2018).

    Input and output: SPD matrices, shape (n_trials, n_channels, n_channels). The reference
    of a domain is the Riemannian mean of its training matrices; trials become
    ``M^-1/2 C M^-1/2``.

    Parameters
    ----------
    target_domain : str, optional
        Domain of the test trials (set by the runner for each calibration fold).
    """

    def _mean(self, values):
        return mean_riemann(values)

    def _apply(self, values, reference):
        return reference @ values @ reference


class EuclideanAlign(_Aligner):
    """Euclidean alignment of raw epochs (He & Wu 2020): whiten each domain by the inverse
    square root of its mean spatial covariance.

    Input and output: epochs, shape (n_trials, n_channels, n_times).

    Parameters
    ----------
    target_domain : str, optional
        Domain of the test trials.
    """

    def _stats(self, X):
        return np.einsum("nct,ndt->ncd", X, X) / X.shape[-1]

    def _mean(self, values):
        return values.mean(axis=0)

    def _apply(self, values, reference):
        return np.einsum("cd,ndt->nct", reference, values)


class TargetOnly(BaseEstimator):
    """Train ``estimator`` on the target domain's calibration trials only (the
    subject-specific baseline of the calibration protocol).

    Parameters
    ----------
    estimator : BaseEstimator
        Classifier trained on the target's trials.
    target_domain : str, optional
        Target domain (set by the runner).
    """

    def __init__(self, estimator: BaseEstimator, target_domain: str | None = None):
        self.estimator = estimator
        self.target_domain = target_domain

    def fit(self, X, y, domains=None):
        """Fit on the rows of ``target_domain`` (all rows when no domains are given)."""
        X, y = np.asarray(X), np.asarray(y)
        if domains is not None:
            mask = np.asarray(domains, dtype=str) == str(self.target_domain)
            X, y = X[mask], y[mask]
        counts = np.unique(y, return_counts=True)[1] if len(y) else np.array([0])
        if len(counts) < 2 or counts.min() < 2:
            raise input_error("target calibration trials",
                              "at least 2 trials of each of 2 classes",
                              f"class counts {counts.tolist()} (n_samples={len(y)})")
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict(self, X):
        """Predictions of the target-only model."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities of the target-only model."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)
