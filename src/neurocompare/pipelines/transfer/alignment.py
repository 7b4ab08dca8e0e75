"""Transfer across subjects: domain-aware steps for the calibration-budget protocol.

The calibration protocol trains on other subjects (source domains) plus ``k`` labelled trials
per class of the target subject. The steps here learn which training trial comes from which
domain through scikit-learn's metadata routing: each requests ``domains`` for ``fit`` by
default (a ``__metadata_request__fit`` class default, so no ``set_fit_request`` call is
needed), and :class:`DomainPipeline` -- a plain :class:`~sklearn.pipeline.Pipeline` --
routes ``fit(X, y, domains=...)`` to them. Labels stay plain labels. Routing must be on
where domains are passed: the evaluation turns it on around the folds that pass them
(:func:`neurocompare.evaluation.fold.fit_predict`); to pass them yourself use
``sklearn.config_context(enable_metadata_routing=True)`` (or ``sklearn.set_config``).
Without domains, every pipeline here behaves like its non-transfer counterpart.

Adaptation steps estimate one reference per domain from that domain's *training* trials only;
at prediction time the test trials (target domain) are mapped with the target's reference,
estimated from its calibration trials. With ``k = 0`` there is no target trial, no
per-domain mapping is learned, and the pipeline is the pooled cross-subject model -- the
target's test trials are never used, not even unlabelled.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pyriemann.geometry.base import invsqrtm
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error
from neurocompare.pipelines.common.riemann import karcher_mean

__all__ = [
    "DomainPipeline",
    "EuclideanAlign",
    "RiemannRecenter",
    "TargetOnly",
]

class DomainPipeline(Pipeline):
    """A scikit-learn Pipeline of domain-aware steps (see the module docstring).

    It adds nothing to :class:`~sklearn.pipeline.Pipeline`: ``fit(X, y, domains=...)``
    (with metadata routing enabled) routes ``domains``, shape (n_trials,), to the steps
    that request it -- ``fit_transform`` for transformers, so each training domain is
    mapped with its own reference -- and prediction is the usual Pipeline path. The class
    names the calibration pipelines in stored result keys.
    """


def _domain_references(values: np.ndarray, domains: np.ndarray | None, mean
                       ) -> tuple[dict, np.ndarray]:
    pooled = mean(values)
    if domains is None:
        return {}, pooled
    return {str(d): mean(values[domains == d]) for d in np.unique(domains)}, pooled


class _Aligner(TransformerMixin, BaseEstimator):
    """Shared logic: per-domain references from training trials, target's at test time."""

    #: ``domains`` is routed to ``fit`` (and ``fit_transform``) without a set_fit_request call
    __metadata_request__fit: ClassVar[dict] = {"domains": True}

    def __init__(self, target_domain: str | None = None):
        self.target_domain = target_domain

    def _mean(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _apply(self, values: np.ndarray, reference: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _stats(self, X: np.ndarray) -> np.ndarray:
        return X

    def fit(self, X, y=None, domains=None):
        """Estimate one reference per domain (only when the target domain is present).

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_channels or n_times)
        y : ignored
        domains : array-like, shape (n_trials,), optional
            Domain (subject) of each training trial, routed as metadata.
        """
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
        """Fit, then map each training domain with its own reference (see :meth:`fit`)."""
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
        return karcher_mean(values)

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

    #: ``domains`` is routed to ``fit`` without a set_fit_request call
    __metadata_request__fit: ClassVar[dict] = {"domains": True}

    def __init__(self, estimator: BaseEstimator, target_domain: str | None = None):
        self.estimator = estimator
        self.target_domain = target_domain

    def fit(self, X, y, domains=None):
        """Fit on the rows of ``target_domain`` (all rows when no domains are given).

        Parameters
        ----------
        X : array-like, shape (n_trials, ...)
        y : array-like, shape (n_trials,)
        domains : array-like, shape (n_trials,), optional
            Domain (subject) of each training trial, routed as metadata.
        """
        X, y = np.asarray(X), np.asarray(y)
        if domains is not None:
            if len(domains) != len(X):
                raise input_error("domains", f"{len(X)} domain labels", len(domains))
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
