"""The traditional (non-deep) pipelines of the comparison, as registry specs.

:data:`TRADITIONAL_SPECS` lists them; the registry imports it. Families of pipelines:

* spectral: log band power (delta, theta, alpha/mu, beta, gamma; Welch) per channel, then a
  classical classifier (``bandpower-*``) or a stacked ensemble (``ensemble-stack``);
* spatial filtering: CSP and filter-bank CSP (:mod:`neurocompare.pipelines.eeg.csp`);
* Riemannian geometry: covariance matrices in tangent space, MDM and FgMDM
  (:mod:`neurocompare.pipelines.eeg.riemann`);
* SSVEP: training-free CCA and MOABB's filter-bank Riemannian pipelines
  (:mod:`neurocompare.pipelines.eeg.ssvep`);
* time-domain MVPA (:mod:`neurocompare.pipelines.eeg.mvpa`);
* nested-CV tuned variants (``*-tuned``): the last step is a ``GridSearchCV`` over ``C`` with
  an inner stratified 3-fold split of the outer training fold.

Pipelines that start with the same steps (same classes and parameters) share them, so the
evaluation loop computes each shared prefix once per fold: all ``bandpower-*`` and
``ensemble-stack`` share ``picks -> bandpower`` (most also ``-> scaler``); ``csp-lda``,
``ts-*``, ``mdm`` and ``fgmdm`` share ``picks -> bandpass -> cov``; the ``ssvep-fb-*`` share
``picks -> cov``.

Every ``random_state`` parameter defaults to 0; the runner overwrites them with the run seed.
"""

from __future__ import annotations

from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from xgboost import XGBClassifier

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.tuning import C_SPACE
from neurocompare.pipelines.common.wrappers import EncodedLabelClassifier
from neurocompare.pipelines.eeg import csp, mvpa, riemann, ssvep
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.pipelines.spec import PipelineSpec, picked

__all__ = ["TRADITIONAL_SPECS"]


def _bandpower(info: SignalInfo, final: tuple[str, object], scale: bool = True) -> Pipeline:
    """``picks -> bandpower [-> scaler] -> final``."""
    head = [("bandpower", BandPower(sfreq=info.sfreq))]
    if scale:
        head.append(("scaler", StandardScaler()))
    return picked(info, *head, final)


def _bandpower_lda(info: SignalInfo) -> Pipeline:
    return _bandpower(info, ("lda", LinearDiscriminantAnalysis(solver="eigen",
                                                               shrinkage="auto")), scale=False)


def _bandpower_svm(info: SignalInfo) -> Pipeline:
    return _bandpower(info, ("svm", SVC(kernel="linear", C=1.0, random_state=0)))


def _bandpower_svm_tuned(info: SignalInfo) -> Pipeline:
    return _bandpower(info, ("svm", riemann.tuned(SVC(kernel="linear", random_state=0))))


def _bandpower_lr(info: SignalInfo) -> Pipeline:
    return _bandpower(info, ("lr", LogisticRegression(C=1.0, max_iter=1000, random_state=0)))


def _bandpower_enet(info: SignalInfo) -> Pipeline:
    # l1_ratio in (0, 1) is the elastic-net penalty (scikit-learn >= 1.8 spells it this way)
    return _bandpower(info, ("enet", LogisticRegression(solver="saga", l1_ratio=0.5, C=1.0,
                                                        max_iter=5000, random_state=0)))


def _bandpower_rf(info: SignalInfo) -> Pipeline:
    return _bandpower(info, ("rf", RandomForestClassifier(n_estimators=300, n_jobs=1,
                                                          random_state=0)), scale=False)


def _bandpower_xgb(info: SignalInfo) -> Pipeline:
    booster = XGBClassifier(n_estimators=200, max_depth=3, learning_rate=0.1,
                            tree_method="hist", n_jobs=1, random_state=0, verbosity=0)
    return _bandpower(info, ("xgb", EncodedLabelClassifier(booster)), scale=False)


def _bandpower_knn(info: SignalInfo) -> Pipeline:
    return _bandpower(info, ("knn", KNeighborsClassifier(n_neighbors=5)))


def _bandpower_adaboost(info: SignalInfo) -> Pipeline:
    return _bandpower(info, ("adaboost", AdaBoostClassifier(n_estimators=100,
                                                            random_state=0)), scale=False)


def _ensemble_stack(info: SignalInfo) -> Pipeline:
    stack = StackingClassifier(
        estimators=[
            ("knn", KNeighborsClassifier(n_neighbors=5)),
            ("svm", SVC(kernel="rbf", C=1.0, random_state=0)),
            # lbfgs: the better solver for small data sets (scikit-learn's advice)
            ("mlp", MLPClassifier(hidden_layer_sizes=(32,), solver="lbfgs", alpha=1e-2,
                                  max_iter=100, random_state=0)),
        ],
        final_estimator=LogisticRegression(C=1.0, max_iter=1000, random_state=0),
        cv=StratifiedKFold(3), n_jobs=1)
    return _bandpower(info, ("stack", stack))


_BP = "log band power (delta..gamma, Welch) per channel"

TRADITIONAL_SPECS: list[PipelineSpec] = [
    PipelineSpec("bandpower-lda", "traditional", f"{_BP} -> shrinkage LDA", _bandpower_lda,
                 search_space={"shrinkage": ("float", 0.0, 1.0)}),
    PipelineSpec("bandpower-svm", "traditional", f"{_BP} -> standardise -> linear SVM (C=1)",
                 _bandpower_svm, search_space=C_SPACE),
    PipelineSpec("bandpower-lr", "traditional", f"{_BP} -> standardise -> L2 logistic "
                 "regression", _bandpower_lr, search_space=C_SPACE),
    PipelineSpec("bandpower-enet", "traditional", f"{_BP} -> standardise -> elastic-net "
                 "logistic regression (saga, l1_ratio 0.5)", _bandpower_enet,
                 search_space=C_SPACE),
    PipelineSpec("bandpower-rf", "traditional", f"{_BP} -> random forest (300 trees)",
                 _bandpower_rf,
                 search_space={"n_estimators": ("int", 50, 400), "max_depth": ("int", 2, 16)}),
    PipelineSpec("bandpower-xgb", "traditional", f"{_BP} -> gradient boosting (xgboost hist, "
                 "200 depth-3 trees)", _bandpower_xgb),
    PipelineSpec("bandpower-knn", "traditional", f"{_BP} -> standardise -> 5-nearest "
                 "neighbours", _bandpower_knn, search_space={"n_neighbors": ("int", 1, 25)}),
    PipelineSpec("bandpower-adaboost", "traditional", f"{_BP} -> AdaBoost (100 stumps)",
                 _bandpower_adaboost,
                 search_space={"n_estimators": ("int", 25, 200),
                               "learning_rate": ("log", 0.01, 1.0)}),
    PipelineSpec("bandpower-svm-tuned", "traditional", f"{_BP} -> standardise -> linear SVM, "
                 "C by inner 3-fold grid search (nested CV)", _bandpower_svm_tuned),
    PipelineSpec("ensemble-stack", "traditional", f"{_BP} -> standardise -> stacking of kNN, "
                 "RBF SVM and a small MLP, logistic-regression combiner", _ensemble_stack),
    PipelineSpec("csp-lda", "traditional", "8-30 Hz band-pass -> OAS covariances -> CSP "
                 "(6 filters, log-variance) -> LDA", csp.csp_lda,
                 search_space={"csp__nfilter": ("int", 2, 8)}),
    PipelineSpec("fbcsp-lda", "traditional", "filter-bank CSP (9 bands 4-40 Hz) -> 10 best "
                 "features by mutual information -> shrinkage LDA", csp.fbcsp_lda),
    PipelineSpec("ts-lr", "traditional", "8-30 Hz band-pass -> OAS covariances -> tangent "
                 "space -> logistic regression", riemann.ts_lr,
                 search_space=C_SPACE),
    PipelineSpec("ts-svm", "traditional", "8-30 Hz band-pass -> OAS covariances -> tangent "
                 "space -> linear SVM", riemann.ts_svm,
                 search_space=C_SPACE),
    PipelineSpec("ts-lr-tuned", "traditional", "ts-lr with C chosen by an inner 3-fold grid "
                 "search (nested CV)", riemann.ts_lr_tuned),
    PipelineSpec("mdm", "traditional", "8-30 Hz band-pass -> OAS covariances -> minimum "
                 "distance to Riemannian class means", riemann.mdm),
    PipelineSpec("fgmdm", "traditional", "8-30 Hz band-pass -> OAS covariances -> "
                 "geodesic-filtered MDM", riemann.fgmdm),
    PipelineSpec("mvpa-lr", "traditional", "1-30 Hz band-pass -> decimate to ~64 Hz -> "
                 "vectorise -> standardise -> logistic regression", mvpa.mvpa_lr,
                 search_space=C_SPACE),
    PipelineSpec("ssvep-cca", "traditional", "CCA with sine/cosine references (2 harmonics) "
                 "per stimulation frequency; rest below a learned threshold", ssvep.ssvep_cca,
                 requires=("stim_freqs",)),
    PipelineSpec("ssvep-fb-ts-lr", "traditional", "MOABB TSLR-SSVEP: filter-bank extended "
                 "OAS covariances -> tangent space -> logistic regression",
                 ssvep.ssvep_fb_ts_lr, requires=("channel_groups",), search_space=C_SPACE),
    PipelineSpec("ssvep-fb-ts-svm", "traditional", "MOABB TSSVM-SSVEP: filter-bank extended "
                 "OAS covariances -> tangent space -> linear SVM", ssvep.ssvep_fb_ts_svm,
                 requires=("channel_groups",), search_space=C_SPACE),
    PipelineSpec("ssvep-fb-mdm", "traditional", "MOABB MDM-SSVEP: filter-bank extended OAS "
                 "covariances -> MDM", ssvep.ssvep_fb_mdm, requires=("channel_groups",)),
]
