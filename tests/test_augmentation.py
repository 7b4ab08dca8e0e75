"""Training-batch augmentation (braindecode.augmentation) in the deep pipelines."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurocompare._errors import InputError
from neurocompare.pipelines.deep import augmentation as aug_module
from neurocompare.pipelines.deep.augmentation import (
    AUGMENTATIONS,
    augment,
    check_augmentation,
    make_augmentations,
)
from neurocompare.pipelines.deep.estimator import DeepClassifier


def fraction_changed(transforms, X: np.ndarray) -> float:
    """Share of trials of ``X`` (n_trials, n_chans, n_times) that ``transforms`` alter."""
    Xt = torch.as_tensor(X, dtype=torch.float32)
    out = augment(transforms, Xt, torch.zeros(len(X), dtype=torch.long))
    return float((~torch.isclose(out, Xt).flatten(1).all(1)).float().mean())


@pytest.fixture
def trials():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4, 64)).astype(np.float32)
    y = np.repeat([0, 1], 20)
    X[y == 1, 0] += 1.5  # learnable: a mean shift on channel 0
    return X, y


def test_names_are_checked_and_strings_split_on_plus():
    assert check_augmentation(None, 0.5) == ()
    assert check_augmentation("sign-flip+ft-surrogate", 0.5) == ("sign-flip", "ft-surrogate")
    with pytest.raises(InputError, match=r"augmentation.*'mixup'"):
        check_augmentation(("sign-flip", "mixup"), 0.5)
    with pytest.raises(InputError, match="distinct"):
        check_augmentation(("sign-flip", "sign-flip"), 0.5)
    with pytest.raises(InputError, match="augmentation_probability"):
        check_augmentation(("sign-flip",), 1.5)
    with pytest.raises(InputError, match="augmentation"):
        DeepClassifier(model="shallow", augmentation=("rotate",), max_epochs=1).fit(
            np.zeros((8, 2, 32), np.float32), np.repeat([0, 1], 4))


def test_each_transform_changes_trials_with_its_probability(trials):
    X, _ = trials
    for name in AUGMENTATIONS:
        always = make_augmentations((name,), 1.0, X.shape[2], 128.0, random_state=0)
        never = make_augmentations((name,), 0.0, X.shape[2], 128.0, random_state=0)
        # channels-dropout alters a trial unless none of its 4 channels drops (0.8 ** 4)
        expected = 1 - 0.8 ** 4 if name == "channels-dropout" else 1.0
        assert fraction_changed(always, X) == pytest.approx(expected, abs=0.2), name
        assert fraction_changed(never, X) == 0.0, name
    flip = make_augmentations(("sign-flip",), 1.0, X.shape[2], None, random_state=0)
    out = augment(flip, torch.as_tensor(X), torch.zeros(len(X), dtype=torch.long))
    np.testing.assert_allclose(out.numpy(), -X)
    half = make_augmentations(("sign-flip",), 0.5, X.shape[2], None, random_state=0)
    assert 0.2 < fraction_changed(half, np.repeat(X, 5, axis=0)) < 0.8


def test_ft_surrogate_keeps_the_amplitude_spectrum(trials):
    X, _ = trials
    surrogate = make_augmentations(("ft-surrogate",), 1.0, X.shape[2], 128.0, 0)
    out = augment(surrogate, torch.as_tensor(X), torch.zeros(len(X), dtype=torch.long))
    spectrum = np.abs(np.fft.rfft(X, axis=-1))
    np.testing.assert_allclose(np.abs(np.fft.rfft(out.numpy(), axis=-1))[..., 1:-1],
                               spectrum[..., 1:-1], rtol=1e-3, atol=1e-3)


def test_only_training_batches_are_augmented(trials, monkeypatch):
    X, y = trials
    seen = []
    real = aug_module.augment

    def spy(transforms, batch, labels):
        seen.append(len(batch))
        return real(transforms, batch, labels)

    monkeypatch.setattr("neurocompare.pipelines.deep.estimator.augment", spy)
    net = DeepClassifier(model="shallow", augmentation=("sign-flip",), max_epochs=3,
                         batch_size=8, valid_size=0.25, device="cpu").fit(X, y)
    assert sum(seen) == net.n_epochs_ * net.n_train_fit_  # every training trial, every epoch
    assert net.n_train_fit_ == 30  # the 10 validation trials were never augmented
    n_calls = len(seen)
    proba = net.predict_proba(X)
    assert len(seen) == n_calls  # prediction does not augment
    again = DeepClassifier(model="shallow", augmentation=("sign-flip",), max_epochs=3,
                           batch_size=8, valid_size=0.25, device="cpu").fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X), proba, atol=1e-10)  # seeded
    plain = DeepClassifier(model="shallow", max_epochs=3, batch_size=8, valid_size=0.25,
                           device="cpu").fit(X, y)
    assert not np.allclose(plain.predict_proba(X), proba)  # the augmentation was applied
