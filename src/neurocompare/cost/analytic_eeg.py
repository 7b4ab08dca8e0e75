"""Analytic operation counts of the EEG and transfer steps, registered on
:func:`~neurocompare.cost.analytic.count_step`.

Same conventions as :mod:`neurocompare.cost.analytic` (MACs, ACs, per trial); ``C``
channels, ``T`` samples:

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
``RiemannRecenter``          ``M^-1/2 C M^-1/2``: ``2 C^3`` MACs
``EuclideanAlign``           ``R^-1/2 X``: ``C^2 T`` MACs
``PairedTrialClassifier``    per training trial: ``|x - x_i|`` (``F`` ACs), the pair model
                             and 1 AC
target-only wrapper          the fitted estimator inside
decimation, vectorising      0 (indexing)
============================ ==============================================================
"""

from __future__ import annotations

import math

import numpy as np
from pyriemann.classification import MDM
from pyriemann.spatialfilters import CSP
from pyriemann.tangentspace import TangentSpace

from neurocompare.cost.analytic import Count, Recurse, count_step, no_arithmetic
from neurocompare.pipelines.eeg.covariance import FgMDMClassifier, ShrunkCovariances
from neurocompare.pipelines.eeg.csp import FilterBankCSP
from neurocompare.pipelines.eeg.filters import BandPass, Decimate
from neurocompare.pipelines.eeg.mvpa import Vectorize
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.pipelines.eeg.ssvep import CCAClassifier
from neurocompare.pipelines.transfer.alignment import EuclideanAlign, RiemannRecenter, TargetOnly
from neurocompare.pipelines.transfer.ptc import PairedTrialClassifier

__all__ = ["covariance", "csp", "iir_zero_phase", "riemann_distances", "tangent_space"]

count_step.register(Decimate, no_arithmetic)
count_step.register(Vectorize, no_arithmetic)


def _epoch(X) -> tuple[int, int]:
    X = np.asarray(X)
    return (1, X.shape[1]) if X.ndim == 2 else (X.shape[1], X.shape[2])


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


@count_step.register(BandPass)
def _bandpass(step: BandPass, X, recurse: Recurse) -> Count:
    return iir_zero_phase(step.sos_, *_epoch(X))


@count_step.register(BandPower)
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


@count_step.register(ShrunkCovariances)
def _covariance(step: ShrunkCovariances, X, recurse: Recurse) -> Count:
    return covariance(*_epoch(X))


@count_step.register(TangentSpace)
def _tangent(step: TangentSpace, X, recurse: Recurse) -> Count:
    return tangent_space(np.asarray(X).shape[-1])


@count_step.register(CSP)
def _csp(step: CSP, X, recurse: Recurse) -> Count:
    return csp(step.filters_.shape[0], np.asarray(X).shape[-1])


@count_step.register(MDM)
def _mdm(step: MDM, X, recurse: Recurse) -> Count:
    return riemann_distances(len(step.covmeans_), np.asarray(X).shape[-1])


@count_step.register(FgMDMClassifier)
def _fgmdm(step: FgMDMClassifier, X, recurse: Recurse) -> Count:
    c = np.asarray(X).shape[-1]
    n_ts = step.W_.shape[0]
    back = Count(macs=n_ts**2 + 7.5 * c**3 + n_ts, params=n_ts**2)
    return tangent_space(c) + back + riemann_distances(len(step.mdm_.covmeans_), c)


@count_step.register(CCAClassifier)
def _cca(step: CCAClassifier, X, recurse: Recurse) -> Count:
    c, t = _epoch(X)
    n_freqs = int(np.sum(~np.isnan(step.freqs_)))
    r = 2 * int(step.n_harmonics)
    return Count(macs=3 * t * c**2 + 5.5 * c**3 + n_freqs * (c * t * r + c * r**2 + r**3),
                 acs=c * t, params=n_freqs * r * t + 1)


@count_step.register(FilterBankCSP)
def _filterbank_csp(step: FilterBankCSP, X, recurse: Recurse) -> Count:
    c, t = _epoch(X)
    total = Count()
    for sos, band_csp in zip(step.sos_, step.csps_, strict=True):
        total = total + iir_zero_phase(sos, c, t) + covariance(c, t) \
            + csp(band_csp.filters_.shape[0], c)
    return total


@count_step.register(RiemannRecenter)
def _recenter(step: RiemannRecenter, X, recurse: Recurse) -> Count:
    c = np.asarray(X).shape[-1]  # M^-1/2 C M^-1/2: two (C, C) matrix products
    return Count(macs=2 * c**3, params=c**2)


@count_step.register(EuclideanAlign)
def _align(step: EuclideanAlign, X, recurse: Recurse) -> Count:
    c, t = _epoch(X)  # R^-1/2 X
    return Count(macs=c * c * t, params=c**2)


@count_step.register(TargetOnly)
def _target_only(step: TargetOnly, X, recurse: Recurse) -> Count:
    return recurse(step.estimator_, X)


@count_step.register(PairedTrialClassifier)
def _ptc(step: PairedTrialClassifier, X, recurse: Recurse) -> Count:
    n, f = step.train_X_.shape  # |x - x_i| for every training trial, then the pair model
    pair = recurse(step.pair_model_, np.zeros((1, f)))
    return Count(macs=n * pair.macs, acs=n * (f + pair.acs) + n,
                 params=n * f + pair.params)
