"""Side information of a fold, routed to the pipelines that request it.

Some steps need facts about each sample that are neither features nor labels: the subject
of each training trial under the calibration protocol (``domains``, for per-subject
alignment, target-only training and fine-tuning, :mod:`neurocompare.pipelines.transfer`)
and the acquisition site of each sample (``sites``, for ComBat,
:mod:`neurocompare.pipelines.sites`). They travel as scikit-learn metadata: those steps
request them by default, pipelines route them, and :func:`routed_metadata` reads from a
fold's metadata what a pipeline requests -- the training rows' values for ``fit``, the test
rows' for the predictions.

Routing is enabled locally (:func:`routing`, a ``sklearn.config_context``) around the fit
and predictions of a pipeline that receives metadata, not globally when the package is
imported: scikit-learn's configuration is thread-local and shared with the user's own code,
so a global switch at import would change how their pipelines treat keyword arguments and
would not even hold in other threads, and every pipeline without side information keeps
exactly the code path it always ran. To pass ``domains=``/``sites=`` to these pipelines
yourself, enable routing the same way.
"""

from __future__ import annotations

import functools
import inspect
import logging
from contextlib import AbstractContextManager, nullcontext

import numpy as np
from sklearn import config_context
from sklearn.base import BaseEstimator
from sklearn.utils.metadata_routing import get_routing_for_object

from neurocompare._errors import input_error
from neurocompare.data.containers import NeuralData
from neurocompare.pipelines.sites.pipeline import SITE_COLUMN
from neurocompare.protocols.splitters import Fold

__all__ = ["METADATA", "routed_metadata", "routing"]

logger = logging.getLogger(__name__)

#: Metadata a fold can give: the training trials' subjects, every sample's site.
METADATA = ("domains", "sites")
_METHODS = ("fit", "fit_transform", "transform", "predict", "predict_proba", "decision_function")


def routing(enabled: bool = True) -> AbstractContextManager:
    """A context with scikit-learn's metadata routing on (a no-op when not ``enabled``)."""
    return config_context(enable_metadata_routing=True) if enabled else nullcontext()


@functools.cache
def _takes_metadata(cls: type) -> bool:
    """Whether a method of ``cls`` has a ``domains`` or ``sites`` parameter."""
    for method in _METHODS:
        try:
            parameters = inspect.signature(getattr(cls, method)).parameters
        except (AttributeError, TypeError, ValueError):  # absent, or no Python signature
            continue
        if any(name in parameters for name in METADATA):
            return True
    return False


def _may_request(estimator: BaseEstimator) -> bool:
    # cheap: building the routing of a pipeline costs about ten get_params calls, and most
    # pipelines take no metadata at all
    parts = [estimator, *estimator.get_params(deep=True).values()]
    return any(_takes_metadata(type(part)) for part in parts if isinstance(part, BaseEstimator))


def routed_metadata(estimator: BaseEstimator, name: str, data: NeuralData, fold: Fold
                    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The metadata ``estimator`` requests on this fold, as (fit params, predict params).

    * ``domains`` (fit): the subject of each training trial, under a protocol with a target
      subject (``fold.extra["target"]``, the calibration protocol); the estimator's
      ``target_domain`` parameters (at any depth) are set to that subject.
    * ``sites`` (fit and/or predict): the :data:`SITE_COLUMN` of the training rows / of the
      test rows.

    Parameters
    ----------
    estimator : BaseEstimator
        Unfitted; only what it requests (its metadata routing) is passed.
    name : str
        Pipeline name (for error messages).
    data : NeuralData
    fold : Fold

    Returns
    -------
    tuple of dict
        Each maps a metadata name to an array, shape (n_train,) or (n_test,).
    """
    if not _may_request(estimator):
        return {}, {}
    try:
        routing = get_routing_for_object(estimator)
    except NotImplementedError as exc:  # a meta-estimator that cannot route: pass nothing
        logger.debug("%s: no metadata routed (%s)", name, exc)
        return {}, {}
    fit_params: dict[str, np.ndarray] = {}
    predict_params: dict[str, np.ndarray] = {}
    if "target" in fold.extra and routing.consumes("fit", ["domains"]):
        fit_params["domains"] = data.metadata["subject"].iloc[fold.train].astype(str).to_numpy()
        estimator.set_params(**{k: str(fold.extra["target"])
                                for k in estimator.get_params(deep=True)
                                if k.split("__")[-1] == "target_domain"})
    site_fit = bool(routing.consumes("fit", ["sites"]))
    site_predict = bool(routing.consumes("predict", ["sites"]))
    if site_fit or site_predict:
        if SITE_COLUMN not in data.metadata.columns:
            raise input_error(f"pipeline {name!r}", f"a dataset with a {SITE_COLUMN!r} "
                              "metadata column (it harmonises across sites)",
                              f"columns {list(data.metadata.columns)}")
        sites = data.metadata[SITE_COLUMN].astype(str).to_numpy()
        if site_fit:
            fit_params["sites"] = sites[fold.train]
        if site_predict:
            predict_params["sites"] = sites[fold.test]
    return fit_params, predict_params
