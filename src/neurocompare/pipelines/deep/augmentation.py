"""Data augmentation of training batches with :mod:`braindecode.augmentation`.

A :class:`~neurocompare.pipelines.deep.estimator.DeepClassifier` given
``augmentation=("ft-surrogate", ...)`` passes every *training* mini-batch through these
transforms, each applied to a trial with probability ``augmentation_probability``
(braindecode's per-sample mask). Validation batches, the final training-accuracy check and
every prediction see the data unchanged, so the test fold is never augmented.

Lengths are set in seconds and converted with the data's sampling rate, after braindecode's
examples (``plot_data_augmentation``, ``plot_data_augmentation_search``; Rommel et al. 2022,
"Data augmentation for learning predictive models on EEG: a systematic comparison"):

==================== ======================================== ============================
name                 braindecode transform                    setting
==================== ======================================== ============================
``ft-surrogate``     :class:`~braindecode.augmentation.FTSurrogate` phase noise magnitude 0.9
``smooth-time-mask`` :class:`~braindecode.augmentation.SmoothTimeMask` 0.2 s mask (<= half epoch)
``channels-dropout`` :class:`~braindecode.augmentation.ChannelsDropout` drop 20 % of channels
``sign-flip``        :class:`~braindecode.augmentation.SignFlip`  (no parameter)
==================== ======================================== ============================
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch

from neurocompare._errors import input_error

__all__ = ["AUGMENTATIONS", "augment", "check_augmentation", "make_augmentations"]

#: Augmentation names a DeepClassifier accepts.
AUGMENTATIONS = ("ft-surrogate", "smooth-time-mask", "channels-dropout", "sign-flip")
#: Mask length of ``smooth-time-mask`` (s) when the sampling rate is known.
MASK_SECONDS = 0.2


def check_augmentation(names: Sequence[str] | None, probability: float) -> tuple[str, ...]:
    """Validated augmentation names (a tuple, empty for None).

    A string names one transform or several joined by ``+`` (``"sign-flip+ft-surrogate"``),
    the form the command line can carry (``-p "eegnet:net__augmentation=sign-flip"``).

    Raises
    ------
    InputError
        An unknown or repeated name, or a probability outside [0, 1].
    """
    if names is None:
        return ()
    names = tuple(names.split("+")) if isinstance(names, str) else tuple(names)
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown or len(set(names)) != len(names):
        raise input_error("augmentation", f"distinct names from {list(AUGMENTATIONS)}",
                          list(names))
    if not 0 <= probability <= 1:
        raise input_error("augmentation_probability", "a probability in [0, 1]", probability)
    return names


def make_augmentations(names: Sequence[str], probability: float, n_times: int,
                       sfreq: float | None, random_state: int) -> list[torch.nn.Module]:
    """The braindecode transforms for ``names``, seeded (one derived seed per transform).

    Parameters
    ----------
    names : sequence of str
        From :data:`AUGMENTATIONS` (validated by :func:`check_augmentation`).
    probability : float
        Per-trial probability of applying each transform.
    n_times : int
        Samples per trial (bounds the time mask).
    sfreq : float, optional
        Sampling rate in Hz (the time mask is 25 samples when unknown).
    random_state : int
        Seed; transform ``i`` draws from ``random_state + i``.
    """
    if not names:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        from braindecode import augmentation as aug
    mask = round(MASK_SECONDS * sfreq) if sfreq else 25
    mask = int(max(1, min(mask, n_times // 2)))
    out = []
    for i, name in enumerate(names):
        seed = int(random_state) + i
        if name == "ft-surrogate":
            out.append(aug.FTSurrogate(probability, phase_noise_magnitude=0.9,
                                       random_state=seed))
        elif name == "smooth-time-mask":
            out.append(aug.SmoothTimeMask(probability, mask_len_samples=mask,
                                          random_state=seed))
        elif name == "channels-dropout":
            out.append(aug.ChannelsDropout(probability, p_drop=0.2, random_state=seed))
        else:
            out.append(aug.SignFlip(probability, random_state=seed))
    return out


def augment(transforms: Sequence[torch.nn.Module], X: torch.Tensor,
            y: torch.Tensor) -> torch.Tensor:
    """Apply ``transforms`` in turn to a training batch ``X``, shape (batch, chans, times).

    Labels are unchanged by these transforms (none of them mixes trials), so only ``X`` is
    returned, in the batch's dtype and device.
    """
    out = X
    for transform in transforms:
        out, _ = transform(out, y)
    return out.to(dtype=X.dtype, device=X.device)

