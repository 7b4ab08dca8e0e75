"""Cropped decoding: dense predictions are the trialwise network on every crop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurocompare.pipelines.deep.modules import MeanOverTime, deep4, shallow


@pytest.mark.parametrize("builder, n_chans", [(shallow, 24), (shallow, 1), (deep4, 8)])
def test_dense_crops_equal_the_trialwise_network_on_each_window(builder, n_chans):
    torch.manual_seed(0)
    n_times, sfreq = 384, 128.0
    dense = builder(n_chans, n_times, 2, sfreq, cropped=True).eval()
    assert isinstance(dense[-1], MeanOverTime)
    inner = torch.nn.Sequential(*list(dense)[:-1])
    x = torch.randn(3, n_chans, n_times)
    with torch.no_grad():
        crops = inner(x).reshape(3, 2, -1)
    n_preds = crops.shape[-1]
    assert n_preds > 10  # many crops per trial, not one trialwise prediction
    window = n_times - n_preds + 1
    def braindecode_model(net):
        return next(m for m in net.modules() if hasattr(m, "final_conv_length"))

    final = braindecode_model(dense).final_conv_length
    # the same weights as a trialwise network on a window of the receptive field
    plain = builder(n_chans, window, 2, sfreq, final_conv_length=final).eval()
    braindecode_model(plain).load_state_dict(braindecode_model(dense).state_dict())
    with torch.no_grad():
        for start in (0, 7, n_preds - 1):
            np.testing.assert_allclose(plain(x[..., start:start + window]).reshape(3, 2),
                                       crops[..., start], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(dense(x), crops.mean(dim=2), rtol=1e-6)
