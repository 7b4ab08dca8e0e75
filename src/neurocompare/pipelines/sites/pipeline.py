"""A Pipeline whose steps may use each sample's acquisition site (harmonisation).

Sites are metadata, not features, and scikit-learn's ``predict(X)`` carries no metadata.
:class:`SitePipeline` therefore keeps a table from each sample's content digest (a hash of
its bytes, :func:`row_digests`) to its site, filled by the evaluation from the dataset's
``site`` column before the fold is fitted (:meth:`SitePipeline.set_sites`); ``fit`` and
every prediction method look the rows up and pass ``sites=`` to the steps whose ``fit``/
``transform`` accept it (:class:`~neurocompare.pipelines.sites.combat.SiteHarmonizer`).
Labels never enter the table, and each harmoniser still estimates site effects from the
training rows only. Sites can also be given explicitly: ``fit(X, y, sites=...)``,
``predict(X, sites=...)``.

A row whose digest is not in the table (a modified copy, e.g. a permuted channel) has no
site and passes the harmoniser unchanged, like a sample from an unseen site.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Sequence

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils._available_if import available_if

from neurocompare._errors import input_error

__all__ = ["SITE_COLUMN", "SitePipeline", "row_digests"]

#: Metadata column holding the site of each sample.
SITE_COLUMN = "site"


def row_digests(X) -> list[str]:
    """A content digest per sample (first axis) of an array, object array or list."""
    out = []
    for row in X:
        arr = np.ascontiguousarray(np.asarray(row))
        digest = hashlib.blake2b(arr.tobytes(), digest_size=16)
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        out.append(digest.hexdigest())
    return out


#: The last array whose digests were taken, and them: the evaluation hands every fold of a
#: unit the same dataset array, so its rows are hashed once, not once per fold and pipeline.
_LAST_DIGESTS: list = [None, None]


def _dataset_digests(X) -> list[str]:
    """:func:`row_digests` of ``X``, memoised for the same array object (held, so its id
    cannot be reused while memoised)."""
    if _LAST_DIGESTS[0] is not X:
        _LAST_DIGESTS[:] = [X, row_digests(X)]
    return _LAST_DIGESTS[1]


def _accepts_sites(method) -> bool:
    return "sites" in inspect.signature(method).parameters


def _final_has(name: str):
    return lambda self: hasattr(self._final_estimator, name)


class SitePipeline(Pipeline):
    """A scikit-learn Pipeline that hands each sample's site to site-aware steps.

    Parameters are those of :class:`sklearn.pipeline.Pipeline`. See the module docstring
    for where the sites come from.
    """

    site_aware = True

    def set_sites(self, X, sites: Sequence) -> SitePipeline:
        """Remember the site of every sample of ``X`` (all rows of the dataset, typically).

        Parameters
        ----------
        X : array-like, shape (n_samples, ...)
        sites : sequence, shape (n_samples,)
        """
        if len(sites) != len(X):
            raise input_error("sites", f"{len(X)} site labels (one per sample)", len(sites))
        self._site_table = dict(zip(_dataset_digests(X), (str(s) for s in sites), strict=True))
        return self

    def _sites(self, X, sites) -> np.ndarray | None:
        if sites is not None:
            return np.asarray(sites).astype(str)
        table = getattr(self, "_site_table", None)
        if not table:
            return None
        return np.array([table.get(d, "") for d in row_digests(X)], dtype=object)

    def _run_transforms(self, X, sites):
        Xt = X
        for _, step in self.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            Xt = step.transform(Xt, sites=sites) if sites is not None and \
                _accepts_sites(step.transform) else step.transform(Xt)
        return Xt

    def fit(self, X, y=None, sites=None, **params):
        """Fit every step, passing ``sites=`` to the steps that take it."""
        if params:
            raise TypeError(f"SitePipeline.fit takes no fit parameters besides sites, got "
                            f"{', '.join(sorted(params))}")
        self._validate_steps()
        sites = self._sites(X, sites)
        Xt = X
        for _, step in self.steps[:-1]:
            if step is None or step == "passthrough":
                continue
            if sites is not None and _accepts_sites(step.fit):
                Xt = step.fit_transform(Xt, y, sites=sites)
            else:
                Xt = step.fit_transform(Xt, y)
        final = self._final_estimator
        if final is not None and final != "passthrough":
            if sites is not None and _accepts_sites(final.fit):
                final.fit(Xt, y, sites=sites)
            else:
                final.fit(Xt, y)
        return self

    def predict(self, X, sites=None):
        """Predict with site-aware transforms."""
        return self._final_estimator.predict(self._run_transforms(X, self._sites(X, sites)))

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X, sites=None):
        """Class probabilities with site-aware transforms."""
        Xt = self._run_transforms(X, self._sites(X, sites))
        return self._final_estimator.predict_proba(Xt)

    @available_if(_final_has("predict_log_proba"))
    def predict_log_proba(self, X, sites=None):
        """Log class probabilities with site-aware transforms."""
        Xt = self._run_transforms(X, self._sites(X, sites))
        return self._final_estimator.predict_log_proba(Xt)

    @available_if(_final_has("decision_function"))
    def decision_function(self, X, sites=None):
        """Decision values with site-aware transforms."""
        Xt = self._run_transforms(X, self._sites(X, sites))
        return self._final_estimator.decision_function(Xt)

    @available_if(_final_has("score"))
    def score(self, X, y=None, sample_weight=None, sites=None):
        """The final step's score on site-aware transformed ``X``."""
        Xt = self._run_transforms(X, self._sites(X, sites))
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self._final_estimator.score(Xt, y, **kwargs)
