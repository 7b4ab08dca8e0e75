"""A Pipeline whose steps may use each sample's acquisition site (harmonisation).

Sites are metadata, not features: they travel next to ``X`` through scikit-learn's metadata
routing, never inside it. Site-aware steps request ``sites`` by default
(:class:`~neurocompare.pipelines.sites.combat.SiteHarmonizer` for ``fit`` and
``transform``), so with routing enabled ``SitePipeline.fit(X, y, sites=...)`` and
``predict(X, sites=...)`` (likewise ``predict_proba``, ``decision_function``, ``score``)
hand each step the sites of exactly the rows it sees. The evaluation passes the dataset's
``site`` column (:data:`SITE_COLUMN`) of the training rows at fit and of the test rows at
prediction, and enables routing around those calls
(:func:`neurocompare.evaluation.fold.fit_predict`); elsewhere use
``sklearn.config_context(enable_metadata_routing=True)``. Labels never reach the
harmoniser, and it still estimates site effects from the training rows only.

Rows predicted without sites pass the harmoniser unchanged, like samples of an unseen site.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline

__all__ = ["SITE_COLUMN", "SitePipeline"]

#: Metadata column holding the site of each sample.
SITE_COLUMN = "site"


class SitePipeline(Pipeline):
    """A scikit-learn Pipeline of site-aware steps (see the module docstring).

    Parameters are those of :class:`sklearn.pipeline.Pipeline`, and so is every method:
    the steps declare what they request, the Pipeline routes it. The class names the
    harmonising pipelines in stored result keys.
    """
