"""Model-randomisation sanity check for attributions (Adebayo et al. 2018).

An attribution method that explains the *model* must give different maps for the trained
network and for the same architecture with re-initialised weights; maps that stay similar
reflect the input (or the architecture), not what was learnt. :func:`randomization_check`
re-initialises every parameterised layer of a fitted deep pipeline's network (seeded, global
torch RNG untouched), computes the same channel x time attribution maps for both networks and
reports their Spearman rank correlations (of the absolute maps, as Adebayo et al.).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator

from neurocompare._errors import input_error
from neurocompare.data.containers import SignalInfo
from neurocompare.explain._layout import split_pipeline, time_groups
from neurocompare.explain.model_specific import input_gradients

__all__ = ["RandomizationResult", "randomization_check", "reinitialized"]


@dataclass(frozen=True)
class RandomizationResult:
    """Similarity of trained and randomised attributions.

    Attributes
    ----------
    rank_correlation : float
        Spearman correlation of the channel x window maps (signed gradient x input, mean
        over trials, summed within windows) of the trained and the randomised network.
    channel_rank_correlation : float
        The same for the per-channel totals.
    abs_rank_correlation : float
        The same for the absolute maps (mean over trials of ``|x * G|``), for information.
    split_half : float
        Positive control: correlation of the trained network's maps on the even and the odd
        test trials (how reproducible the map is at all).
    threshold : float
        Largest absolute correlation with the randomised maps that still passes.
    passed : bool
        ``|rank_correlation| < threshold``: the maps depend on the learnt weights.
    method : str
    """

    rank_correlation: float
    channel_rank_correlation: float
    abs_rank_correlation: float
    split_half: float
    threshold: float
    passed: bool
    method: str


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = rankdata(np.ravel(a)), rankdata(np.ravel(b))
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _windowed(relevance: np.ndarray, windows: dict[str, np.ndarray]) -> np.ndarray:
    """(n_channels, n_times) -> (n_channels, n_windows) sums."""
    return np.stack([relevance[:, idx].sum(axis=-1) for idx in windows.values()], axis=1)


def reinitialized(module, seed: int = 0):
    """A copy of a torch module with every ``reset_parameters()`` layer re-drawn from ``seed``
    (the global torch RNG state is restored afterwards)."""
    import torch

    module = copy.deepcopy(module)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for layer in module.modules():
            reset = getattr(layer, "reset_parameters", None)
            if callable(reset):
                reset()
    return module


def randomization_check(estimator: BaseEstimator, X: np.ndarray, y: np.ndarray,
                        info: SignalInfo, method: str = "saliency", seed: int = 0,
                        threshold: float = 0.5, window: float = 0.5,
                        **kwargs) -> RandomizationResult:
    """Compare attributions of a fitted deep pipeline with those of its randomised network.

    Parameters
    ----------
    estimator : Pipeline or DeepClassifier
        Fitted deep pipeline.
    X : ndarray, shape (n_trials, n_channels, n_times)
        Test epochs.
    y : ndarray, shape (n_trials,)
    info : SignalInfo
        For the time windows.
    method : {"integrated-gradients", "saliency"}
    seed : int
        Seed of the re-initialisation.
    threshold : float
        The check passes when the absolute map rank correlation is below it.
    window : float
        Window length in seconds of the compared maps (the resolution of the importances).
    **kwargs
        Passed to :func:`~neurocompare.explain.model_specific.input_gradients`
        (``n_steps``, ``batch_size``).

    Returns
    -------
    RandomizationResult
    """
    net = split_pipeline(estimator)[1]
    if not hasattr(net, "module_"):
        raise input_error("estimator", "a fitted deep pipeline (final step with module_)",
                          type(net).__name__)
    windows = time_groups(info, np.shape(X)[-1], window)
    maps = {}
    for label, module in (("trained", None), ("random", reinitialized(net.module_, seed))):
        inputs, grads = input_gradients(estimator, X, y, method, module=module, **kwargs)
        product = inputs * grads
        maps[label] = (_windowed(product.mean(axis=0), windows),
                       _windowed(np.abs(product).mean(axis=0), windows))
        if label == "trained":
            halves = [_windowed(product[start::2].mean(axis=0), windows) for start in (0, 1)]
    (trained, trained_abs), (random, random_abs) = maps["trained"], maps["random"]
    rho = _spearman(trained, random)
    return RandomizationResult(rho, _spearman(trained.sum(axis=1), random.sum(axis=1)),
                               _spearman(trained_abs, random_abs), _spearman(*halves),
                               threshold, bool(np.isfinite(rho) and abs(rho) < threshold),
                               method)
