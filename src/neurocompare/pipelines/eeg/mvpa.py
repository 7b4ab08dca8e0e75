"""Time-domain multivariate pattern analysis (MVPA): the filtered, downsampled signal itself
is the feature vector.

``mvpa-lr`` band-passes 1-30 Hz, keeps every ``q``-th sample (about 64 Hz), flattens
channels x times, standardises each feature on the training fold and fits an L2 logistic
regression. It reads evoked (phase-locked) differences; induced power changes such as ERD
are largely invisible to it, which is the point of having it in the comparison.
"""

from __future__ import annotations

from mne.decoding import Vectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.eeg.filters import BandPass, Decimate
from neurocompare.pipelines.spec import picked

__all__ = ["MVPA_BAND", "Vectorize", "mvpa_lr"]

#: Band-pass of the MVPA pipeline in Hz.
MVPA_BAND = (1.0, 30.0)


class Vectorize(Vectorizer):
    """Flatten (n_trials, n_channels, n_times) epochs to (n_trials, n_channels * n_times),
    channel-major.

    MNE's :class:`mne.decoding.Vectorizer` under the name (and hence the class path) that
    the stored result keys of ``mvpa-lr`` have always used.

    Attributes
    ----------
    n_features_in_ : int
        Channels seen in ``fit`` (samples for 2-D input).
    features_shape_ : tuple of int
        Shape of one trial seen in ``fit``, ``(n_channels, n_times)``.
    """


def mvpa_lr(info: SignalInfo) -> Pipeline:
    """1-30 Hz band-pass -> decimate to ~64 Hz -> vectorise -> standardise -> L2 LR."""
    return picked(info, ("bandpass", BandPass(*MVPA_BAND, sfreq=info.sfreq)),
                  ("decimate", Decimate(sfreq=info.sfreq, target_sfreq=64.0)),
                  ("vectorize", Vectorize()), ("scaler", StandardScaler()),
                  ("lr", LogisticRegression(C=1.0, max_iter=1000, random_state=0)))
