"""Riemannian-geometry pipelines: spatial covariance matrices, then tangent space or MDM.

The pipelines follow MOABB's published motor-imagery pipelines (``TSLR.yml``, ``TSSVM.yml``,
``MDM.yml``, ``FgMDM.yml``: ``Covariances(estimator="oas")`` then ``TangentSpace(metric=
"riemann")`` + ``LogisticRegression(C=1.0)`` / ``SVC(kernel="linear")``, ``MDM(metric=
"riemann")`` or ``FgMDM(metric="riemann")``), preceded, like MOABB's motor-imagery paradigm
(which filters 8-32 Hz before any pipeline), by an in-pipeline 8-30 Hz band-pass. The
covariance and classifier steps are the equivalents in :mod:`neurocompare.pipelines.eeg.covariance`
(same results as pyRiemann's, plus scikit-learn input validation; the covariances are
vectorised).

Every builder here starts with the *same* steps (``picks`` -> ``bandpass`` -> ``cov``, same
classes and parameters, shared with ``csp-lda``), so the evaluation loop fits that prefix once
per fold for all of them (see :mod:`neurocompare.evaluation.fold`).
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils.multiclass import check_classification_targets

from neurocompare._errors import check_option
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.eeg.covariance import (
    COV_ESTIMATORS,
    FgMDMClassifier,
    MDMClassifier,
    ShrunkCovariances,
)
from neurocompare.pipelines.eeg.filters import BandPass
from neurocompare.pipelines.eeg.karcher import RiemannTangentSpace
from neurocompare.pipelines.spec import picked

__all__ = [
    "MI_BAND",
    "TUNING_GRID_C",
    "ClassifierSearchCV",
    "covariance_pipeline",
    "fgmdm",
    "mdm",
    "ts_lr",
    "ts_lr_tuned",
    "ts_svm",
    "tuned",
]

#: Band-pass applied before the covariances (Hz): mu and beta.
MI_BAND = (8.0, 30.0)
#: Inverse regularisation strengths searched by the ``*-tuned`` pipelines.
TUNING_GRID_C = (0.01, 0.1, 1.0, 10.0)


class ClassifierSearchCV(GridSearchCV):
    """``GridSearchCV`` for classifiers that checks the labels before the inner split.

    Identical to scikit-learn's, except that labels of an unknown type (e.g. objects that are
    not strings) raise scikit-learn's "Unknown label type" error instead of a failure deep
    inside the inner cross-validation.
    """

    def fit(self, X, y=None, **params):
        """Check ``y`` as classification targets, then run the grid search."""
        check_classification_targets(y)
        return super().fit(X, y, **params)


def tuned(estimator, grid_c=TUNING_GRID_C) -> ClassifierSearchCV:
    """Grid search over ``C`` with an inner ``StratifiedKFold(3)``, refit on the whole fold.

    Used as the last step of a pipeline it only sees the outer training fold, so the outer
    score is a nested-CV estimate. The inner split does not shuffle (deterministic).
    Unsupervised steps before it (e.g. the tangent-space reference point) are fitted on the
    whole outer training fold, inner validation folds included; labels never leak.
    """
    return ClassifierSearchCV(estimator, {"C": list(grid_c)}, cv=StratifiedKFold(3),
                              scoring="accuracy", n_jobs=1)


def covariance_pipeline(info: SignalInfo, *steps, estimator: str = "oas",
                        band: tuple[float, float] | None = MI_BAND) -> Pipeline:
    """Shared prefix ``picks -> bandpass -> cov`` followed by ``steps``.

    Parameters
    ----------
    info : SignalInfo
        Data description; ``sfreq`` sets the filter and ``channel_groups`` the picks.
    *steps : (str, estimator)
        Steps after the covariance step.
    estimator : {"oas", "lwf", "scm"}
        Covariance estimator (:class:`ShrunkCovariances`).
    band : (float, float) or None
        Band-pass edges in Hz, or None for no filter step.
    """
    check_option("estimator", estimator, COV_ESTIMATORS)
    head = [] if band is None else [("bandpass", BandPass(*band, sfreq=info.sfreq))]
    return picked(info, *head, ("cov", ShrunkCovariances(estimator=estimator)), *steps)


def ts_lr(info: SignalInfo, estimator: str = "oas") -> Pipeline:
    """Covariances -> tangent space (Riemannian mean) -> L2 logistic regression (C=1)."""
    return covariance_pipeline(info, ("ts", RiemannTangentSpace(metric="riemann")),
                               ("lr", LogisticRegression(C=1.0, random_state=0)),
                               estimator=estimator)


def ts_svm(info: SignalInfo, estimator: str = "oas") -> Pipeline:
    """Covariances -> tangent space -> linear SVM (C=1)."""
    return covariance_pipeline(info, ("ts", RiemannTangentSpace(metric="riemann")),
                               ("svm", SVC(kernel="linear", C=1.0, random_state=0)),
                               estimator=estimator)


def ts_lr_tuned(info: SignalInfo, estimator: str = "oas") -> Pipeline:
    """:func:`ts_lr` whose C is chosen by an inner 3-fold grid search (nested CV)."""
    return covariance_pipeline(
        info, ("ts", RiemannTangentSpace(metric="riemann")),
        ("lr", tuned(LogisticRegression(random_state=0, max_iter=1000))),
        estimator=estimator)


def mdm(info: SignalInfo, estimator: str = "oas") -> Pipeline:
    """Covariances -> minimum distance to the Riemannian class means."""
    return covariance_pipeline(info, ("mdm", MDMClassifier(metric="riemann")), estimator=estimator)


def fgmdm(info: SignalInfo, estimator: str = "oas") -> Pipeline:
    """Covariances -> geodesic filtering (FGDA in tangent space) + MDM."""
    return covariance_pipeline(info, ("fgmdm", FgMDMClassifier(metric="riemann")),
                               estimator=estimator)
