"""Pipelines for transfer across subjects and scarce data (issue: data efficiency).

* ``ts-lr-rct`` -- covariances re-centred per subject (Riemannian Procrustes' first step)
  -> tangent space -> logistic regression;
* ``ts-lr-ea`` / ``csp-lda-ea`` -- Euclidean alignment of each subject's epochs first;
* ``ts-lr-target`` -- the subject-specific baseline: TS+LR trained on the target's
  calibration trials only;
* ``shallow-convnet-ft`` -- ShallowConvNet pre-trained on the other subjects, fine-tuned on
  the target's calibration trials;
* ``ptc-bandpower`` -- Paired Trial Classification on band-power features.

Under any protocol other than ``calibration`` the domain-aware ones reduce to their plain
counterparts (see :mod:`neurocompare.pipelines.transfer.alignment`).
"""

from __future__ import annotations

from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.steps import PickChannels
from neurocompare.pipelines.common.tuning import C_SPACE
from neurocompare.pipelines.deep.catalogue import TRAINING
from neurocompare.pipelines.eeg.covariance import CSPLogVariance, ShrunkCovariances
from neurocompare.pipelines.eeg.filters import BandPass
from neurocompare.pipelines.eeg.karcher import RiemannTangentSpace
from neurocompare.pipelines.eeg.riemann import MI_BAND
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.pipelines.eeg.ssvep import filterbank_picks
from neurocompare.pipelines.spec import PipelineSpec, picked, signal_picks
from neurocompare.pipelines.transfer.alignment import (
    DomainPipeline,
    EuclideanAlign,
    RiemannRecenter,
    TargetOnly,
)
from neurocompare.pipelines.transfer.finetune import FineTunedClassifier
from neurocompare.pipelines.transfer.ptc import PairedTrialClassifier

__all__ = ["TRANSFER_SPECS"]


def _domain(info: SignalInfo, *steps) -> DomainPipeline:
    return DomainPipeline([("picks", PickChannels(signal_picks(info))), *steps])


def _bandpass(info: SignalInfo) -> tuple[str, BandPass]:
    return ("bandpass", BandPass(*MI_BAND, sfreq=info.sfreq))


def _lr() -> LogisticRegression:
    return LogisticRegression(C=1.0, random_state=0)


def ts_lr_rct(info: SignalInfo) -> DomainPipeline:
    """8-30 Hz -> OAS covariances -> per-subject re-centring -> tangent space -> LR."""
    return _domain(info, _bandpass(info), ("cov", ShrunkCovariances(estimator="oas")),
                   ("recenter", RiemannRecenter()), ("ts", RiemannTangentSpace(metric="riemann")),
                   ("lr", _lr()))


def ts_lr_ea(info: SignalInfo) -> DomainPipeline:
    """8-30 Hz -> Euclidean alignment per subject -> covariances -> tangent space -> LR."""
    return _domain(info, _bandpass(info), ("align", EuclideanAlign()),
                   ("cov", ShrunkCovariances(estimator="oas")),
                   ("ts", RiemannTangentSpace(metric="riemann")), ("lr", _lr()))


def csp_lda_ea(info: SignalInfo) -> DomainPipeline:
    """8-30 Hz -> Euclidean alignment -> covariances -> CSP log-variance -> LDA."""
    return _domain(info, _bandpass(info), ("align", EuclideanAlign()),
                   ("cov", ShrunkCovariances(estimator="oas")),
                   ("csp", CSPLogVariance(nfilter=6, metric="euclid", log=True)),
                   ("lda", LinearDiscriminantAnalysis(solver="svd")))


def ts_lr_target(info: SignalInfo) -> DomainPipeline:
    """TS+LR trained on the target subject's calibration trials only."""
    return _domain(info, _bandpass(info), ("cov", ShrunkCovariances(estimator="oas")),
                   ("target", TargetOnly(Pipeline([("ts", RiemannTangentSpace(metric="riemann")),
                                                   ("lr", _lr())]))))


def ssvep_fb_ts_lr_rct(info: SignalInfo) -> DomainPipeline:
    """SSVEP filter-bank covariances re-centred per subject -> tangent space -> LR."""
    return DomainPipeline([("picks", PickChannels(filterbank_picks(info))),
                           ("cov", ShrunkCovariances(estimator="oas")),
                           ("recenter", RiemannRecenter()),
                           ("ts", RiemannTangentSpace(metric="riemann")), ("lr", _lr())])


def shallow_ft(info: SignalInfo) -> DomainPipeline:
    """ShallowConvNet pre-trained on the other subjects, fine-tuned on the target."""
    return _domain(info, ("net", FineTunedClassifier(model="shallow", sfreq=info.sfreq,
                                                     **TRAINING["shallow"])))


def ptc_bandpower(info: SignalInfo) -> Pipeline:
    """Log band power -> standardise -> Paired Trial Classification (LR on |f_i - f_j|)."""
    return picked(info, ("bandpower", BandPower(sfreq=info.sfreq)),
                  ("scaler", StandardScaler()), ("ptc", PairedTrialClassifier()))


TRANSFER_SPECS = [
    PipelineSpec("ts-lr-rct", "traditional",
                 "TS+LR with per-subject Riemannian re-centring (transfer across subjects)",
                 ts_lr_rct, search_space=C_SPACE),
    PipelineSpec("ts-lr-ea", "traditional",
                 "TS+LR after per-subject Euclidean alignment (transfer across subjects)",
                 ts_lr_ea, search_space=C_SPACE),
    PipelineSpec("csp-lda-ea", "traditional",
                 "CSP+LDA after per-subject Euclidean alignment (transfer across subjects)",
                 csp_lda_ea),
    PipelineSpec("ssvep-fb-ts-lr-rct", "traditional",
                 "SSVEP filter-bank TS+LR with per-subject Riemannian re-centring",
                 ssvep_fb_ts_lr_rct, requires=("channel_groups",)),
    PipelineSpec("ts-lr-target", "traditional",
                 "TS+LR trained on the target subject's calibration trials only", ts_lr_target),
    PipelineSpec("shallow-convnet-ft", "deep",
                 "ShallowConvNet pre-trained on other subjects, fine-tuned on the target's "
                 "calibration trials", shallow_ft),
    PipelineSpec("ptc-bandpower", "traditional",
                 "Paired Trial Classification (same-class model on trial pairs) on band power",
                 ptc_bandpower),
]
