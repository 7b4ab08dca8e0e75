"""Model-specific explanations, aggregated to channel x band (x time) like the grouped ones.

* :func:`shap_bandpower` -- SHAP values (``shap.TreeExplainer`` for forests and boosted
  trees, ``shap.LinearExplainer`` with the training features as background for linear
  models) of a band-power pipeline, mean ``|SHAP|`` over test trials (and classes), reshaped
  to channel x band (band-power features are channel-major).
* :func:`haufe_patterns` and :func:`linear_patterns` -- activation patterns of a linear model
  (Haufe et al. 2014): ``A = Cov(X) W Cov(s)^-1`` with ``s = X W``; the weights ``W`` of a
  backward model are not interpretable as "where the signal is", the patterns are.
* :func:`csp_channel_importance` -- the fitted CSP's spatial patterns (columns of the
  inverse of the filter matrix), each normalised to unit norm and weighted by the Haufe
  activation of its log-variance feature in the final linear classifier.
* :func:`gradient_attributions` -- Captum ``IntegratedGradients`` and ``Saliency`` for deep
  models, on the network's standardised input (float64 copy of the trained network), for
  the true class of each test trial. **Band choice: band-decomposed gradient x input.** The
  input ``x`` is split into zero-phase band-passed components ``x_b`` (the bands tile the
  spectrum) and the attribution of band ``b`` is ``x_b * G``, with ``G`` the integrated
  (path-averaged, zero baseline) gradient for IG and the plain gradient at ``x`` for
  saliency (so "saliency" here is gradient x input, signed, not ``|grad|``). For IG this
  splits the usual attribution ``x * G`` exactly across bands (up to the part of ``x`` outside
  every band), and its total is the trial's true-class logit minus the logit at the zero
  baseline. The importance of a (channel, band, window) cell is the **signed mean over test
  trials**: the average evidence it adds for the correct class. Absolute maps
  (``|x * G|``) were rejected: they are dominated by the input's own amplitude and stay
  similar when the network is re-initialised (they fail the randomisation check of
  :mod:`neurocompare.explain.sanity`), whereas the signed class evidence does not.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator

from neurocompare._errors import check_option, input_error
from neurocompare.data.containers import SignalInfo
from neurocompare.explain._layout import (
    band_groups,
    final_estimator,
    picked_channel_names,
    split_pipeline,
    time_groups,
    transform_prefix,
    truth_band_names,
)
from neurocompare.explain.grouped import band_component
from neurocompare.pipelines.eeg.spectral import BandPower

__all__ = [
    "GRADIENT_METHODS",
    "band_time_attribution",
    "csp_channel_importance",
    "gradient_attributions",
    "haufe_patterns",
    "input_gradients",
    "linear_patterns",
    "linear_weights",
    "shap_bandpower",
]

logger = logging.getLogger(__name__)

GRADIENT_METHODS = ("integrated-gradients", "saliency")
_TREES = ("RandomForestClassifier", "ExtraTreesClassifier", "GradientBoostingClassifier",
          "XGBClassifier", "DecisionTreeClassifier", "LGBMClassifier")


def haufe_patterns(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Activation patterns of a linear backward model (Haufe et al. 2014, eq. 6).

    Parameters
    ----------
    X : ndarray, shape (n_samples, n_features)
        The data the model reads (its training features).
    W : ndarray, shape (n_features, n_components)
        Weights (filters): the model's latent ``s = X W``.

    Returns
    -------
    ndarray, shape (n_features, n_components)
        ``A = Cov(X) W Cov(s)^-1`` (pseudo-inverse when ``Cov(s)`` is singular).
    """
    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    if W.ndim == 1:
        W = W[:, None]
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[0]:
        raise input_error("X, W", "(n_samples, n_features) and (n_features, n_components)",
                          (X.shape, W.shape))
    Xc = X - X.mean(axis=0)
    cov_x = Xc.T @ Xc / max(len(X) - 1, 1)
    s = Xc @ W
    cov_s = s.T @ s / max(len(X) - 1, 1)
    return cov_x @ W @ np.linalg.pinv(cov_s)


def linear_weights(model: BaseEstimator) -> np.ndarray:
    """Weights of a fitted linear classifier, shape (n_features, n_components)."""
    model = final_estimator(model)
    coef = getattr(model, "coef_", None)
    if coef is None:
        raise input_error("estimator", "a linear classifier with coef_ (LDA, logistic "
                          "regression, linear SVM)", type(model).__name__)
    return np.atleast_2d(np.asarray(coef, dtype=float)).T


def _bandpower_layout(estimator: BaseEstimator, info: SignalInfo
                      ) -> tuple[list[str], list[str], int]:
    """Channel names, band names and the index of the step after BandPower."""
    steps, _ = split_pipeline(estimator)
    for k, (_, step) in enumerate(steps):
        if isinstance(step, BandPower):
            bands = list(truth_band_names(step.bands_, info))
            return picked_channel_names(estimator, info), bands, k
    raise input_error("estimator", "a band-power pipeline (a BandPower step)",
                      [name for name, _ in steps])


def _features(estimator: BaseEstimator, X: np.ndarray) -> np.ndarray:
    steps, _ = split_pipeline(estimator)
    return np.asarray(transform_prefix(steps, X), dtype=float)


def shap_bandpower(estimator: BaseEstimator, X_train: np.ndarray, X_test: np.ndarray,
                   info: SignalInfo) -> tuple[np.ndarray, list[str], list[str]]:
    """Mean absolute SHAP value per channel and band of a band-power pipeline.

    Parameters
    ----------
    estimator : Pipeline
        Fitted ``picks -> bandpower [-> scaler] -> model``, model a tree ensemble or linear.
    X_train : ndarray, shape (n_train, n_channels, n_times)
        Training epochs (background distribution of the linear explainer).
    X_test : ndarray, shape (n_test, n_channels, n_times)
        Trials explained.
    info : SignalInfo

    Returns
    -------
    importance : ndarray, shape (n_picked_channels, n_bands)
    channels, bands : list of str
    """
    with warnings.catch_warnings():  # shap's colour maps use matplotlib's deprecated setters
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap

    channels, bands, _ = _bandpower_layout(estimator, info)
    model = final_estimator(split_pipeline(estimator)[1])
    F_test = _features(estimator, X_test)
    if type(model).__name__ in _TREES:
        values = shap.TreeExplainer(model).shap_values(F_test)
    elif hasattr(model, "coef_"):
        values = shap.LinearExplainer(model, _features(estimator, X_train)).shap_values(F_test)
    else:
        raise input_error("estimator", f"a tree ensemble ({', '.join(_TREES)}) or a linear "
                          "model for SHAP", type(model).__name__)
    if isinstance(values, list):  # one (n, p) array per class
        values = np.stack(values, axis=-1)
    values = np.abs(np.asarray(values, dtype=float))
    per_feature = values.reshape(len(F_test), F_test.shape[1], -1).mean(axis=(0, 2))
    return per_feature.reshape(len(channels), len(bands)), channels, bands


def linear_patterns(estimator: BaseEstimator, X_train: np.ndarray, info: SignalInfo
                    ) -> tuple[np.ndarray, list[str], list[str]]:
    """Haufe activation-pattern magnitude per channel and band of a linear band-power model.

    The patterns are computed in the space the linear model reads (after any scaler), from
    the training features, and their norm over components (classes) is returned.

    Returns
    -------
    importance : ndarray, shape (n_picked_channels, n_bands)
    channels, bands : list of str
    """
    channels, bands, _ = _bandpower_layout(estimator, info)
    model = split_pipeline(estimator)[1]
    A = haufe_patterns(_features(estimator, X_train), linear_weights(model))
    return np.linalg.norm(A, axis=1).reshape(len(channels), len(bands)), channels, bands


def csp_channel_importance(estimator: BaseEstimator, X_train: np.ndarray, info: SignalInfo
                           ) -> tuple[np.ndarray, list[str]]:
    """Channel importance of a CSP pipeline from its spatial patterns.

    ``importance_c = sum_k |a_k| * |P_kc| / ||P_k||`` with ``P_k`` the k-th CSP pattern and
    ``a_k`` the Haufe activation of the k-th log-variance feature in the final linear model
    (norm over classes).

    Returns
    -------
    importance : ndarray, shape (n_picked_channels,)
    channels : list of str
    """
    steps, model = split_pipeline(estimator)
    k = next((i for i, (_, s) in enumerate(steps) if hasattr(s, "patterns_")), None)
    if k is None:
        raise input_error("estimator", "a pipeline with a fitted CSP step (patterns_)",
                          [name for name, _ in steps])
    patterns = np.asarray(steps[k][1].patterns_, dtype=float)  # (n_filters, n_channels)
    features = transform_prefix(steps, X_train)
    activation = np.linalg.norm(haufe_patterns(features, linear_weights(model)), axis=1)
    unit = np.abs(patterns) / np.linalg.norm(patterns, axis=1, keepdims=True)
    return activation @ unit, picked_channel_names(estimator, info)


def _target_codes(net: BaseEstimator, y: np.ndarray) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(net.classes_.tolist())}
    return np.array([lookup.get(v, 0) for v in np.asarray(y).tolist()], dtype=np.int64)


def _gradients(module, inputs: np.ndarray, targets: np.ndarray, method: str,
               n_steps: int, batch_size: int) -> np.ndarray:
    """Path-averaged (IG, zero baseline) or plain (saliency) gradients, same shape as
    ``inputs``."""
    import torch
    from captum.attr import IntegratedGradients, Saliency

    out = np.empty_like(inputs)
    for start in range(0, len(inputs), batch_size):
        x = torch.as_tensor(inputs[start:start + batch_size], dtype=torch.float64)
        x.requires_grad_()
        t = torch.as_tensor(targets[start:start + batch_size])
        if method == "integrated-gradients":
            grads = IntegratedGradients(module, multiply_by_inputs=False).attribute(
                x, baselines=torch.zeros_like(x), target=t, n_steps=n_steps,
                internal_batch_size=max(batch_size, 1) * 4)
        else:
            grads = Saliency(module).attribute(x, target=t, abs=False)
        out[start:start + batch_size] = grads.detach().numpy()
    return out


def input_gradients(estimator: BaseEstimator, X: np.ndarray, y: np.ndarray,
                    method: str = "integrated-gradients", *, n_steps: int = 32,
                    batch_size: int = 32, module=None) -> tuple[np.ndarray, np.ndarray]:
    """The deep network's standardised inputs and their (IG or plain) gradients.

    Parameters
    ----------
    estimator : Pipeline or DeepClassifier
        Fitted; the last step holds ``module_``, ``mean_``, ``scale_`` and ``classes_``.
    X : ndarray, shape (n_trials, n_channels, n_times)
        Test epochs.
    y : ndarray, shape (n_trials,)
        True labels (the attribution target).
    method : {"integrated-gradients", "saliency"}
    n_steps : int
        Riemann steps of the IG path integral.
    batch_size : int
        Trials per attribution call.
    module : torch.nn.Module, optional
        Network to explain instead of the estimator's (the randomisation check passes a
        re-initialised copy).

    Returns
    -------
    inputs, gradients : ndarray, shape (n_trials, n_picked_channels, n_times)
    """
    check_option("method", method, GRADIENT_METHODS)
    steps, net = split_pipeline(estimator)
    if not hasattr(net, "module_"):
        raise input_error("estimator", "a fitted deep pipeline (final step with module_)",
                          type(net).__name__)
    inputs = np.asarray(transform_prefix(steps, np.asarray(X, dtype=float)), dtype=np.float64)
    inputs = (inputs - net.mean_) / net.scale_
    module = copy.deepcopy(net.module_ if module is None else module).double().eval()
    return inputs, _gradients(module, inputs, _target_codes(net, y), method, n_steps,
                              batch_size)


def band_time_attribution(inputs: np.ndarray, gradients: np.ndarray, sfreq: float,
                          bands: Mapping[str, tuple[float, float]],
                          windows: Mapping[str, np.ndarray]) -> np.ndarray:
    """Signed band-decomposed gradient x input, mean over trials, summed per window.

    Parameters
    ----------
    inputs, gradients : ndarray, shape (n_trials, n_channels, n_times)
    sfreq : float
    bands : mapping of str to (float, float)
    windows : mapping of str to ndarray of int
        Sample indices of each window.

    Returns
    -------
    ndarray, shape (n_channels, n_bands, n_windows)
    """
    out = np.empty((inputs.shape[1], len(bands), len(windows)))
    for b, edges in enumerate(bands.values()):
        relevance = (band_component(inputs, sfreq, edges) * gradients).mean(axis=0)
        for w, idx in enumerate(windows.values()):
            out[:, b, w] = relevance[:, idx].sum(axis=-1)
    return out


def gradient_attributions(estimator: BaseEstimator, X: np.ndarray, y: np.ndarray,
                          info: SignalInfo, method: str = "integrated-gradients", *,
                          bands: Mapping[str, tuple[float, float]] | None = None,
                          window: float = 0.5, n_steps: int = 32, batch_size: int = 32,
                          module=None) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Band-decomposed gradient x input attributions of a deep pipeline.

    Parameters
    ----------
    estimator, X, y, method, n_steps, batch_size, module
        See :func:`input_gradients`.
    info : SignalInfo
    bands, window
        Band and time groups (:mod:`neurocompare.explain._layout`).

    Returns
    -------
    attribution : ndarray, shape (n_picked_channels, n_bands, n_windows)
        Mean over trials of the signed ``x_b * G`` (true-class evidence), summed within each
        time window.
    channels, band_names, windows : list of str
    """
    inputs, grads = input_gradients(estimator, X, y, method, n_steps=n_steps,
                                    batch_size=batch_size, module=module)
    band_map = band_groups(info, bands)
    windows = time_groups(info, inputs.shape[-1], window)
    out = band_time_attribution(inputs, grads, info.sfreq, band_map, windows)
    return out, picked_channel_names(estimator, info), list(band_map), list(windows)
