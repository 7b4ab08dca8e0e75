"""Small generic transformers used to assemble pipelines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error
from neurocompare.pipelines.common.checks import as_epochs

__all__ = ["PickChannels", "switched_off"]


def switched_off(step: object) -> bool:
    """Whether a pipeline step is switched off the scikit-learn way (``None`` or
    ``"passthrough"``): its input goes on unchanged."""
    return step is None or (isinstance(step, str) and step == "passthrough")


class PickChannels(TransformerMixin, BaseEstimator):
    """Keep a subset of channels of (n_trials, n_channels, n_times) epochs.

    Parameters
    ----------
    picks : sequence of int, optional
        Channel indices to keep; ``None`` keeps all.
    """

    def __init__(self, picks: Sequence[int] | None = None):
        self.picks = picks

    def fit(self, X, y=None):
        """Check the picks against the number of channels."""
        X = as_epochs(self, X, reset=True)
        if self.picks is not None:
            picks = np.asarray(self.picks)
            if picks.ndim != 1 or picks.size == 0 or picks.min() < 0 \
                    or picks.max() >= X.shape[1]:
                raise input_error("picks", f"channel indices in 0..{X.shape[1] - 1}",
                                  self.picks)
        return self

    def transform(self, X):
        """Return the picked channels, shape (n_trials, n_picks, n_times)."""
        check_is_fitted(self)
        X = as_epochs(self, X, reset=False)
        return X if self.picks is None else X[:, np.asarray(self.picks)]
