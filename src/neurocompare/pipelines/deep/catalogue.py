"""The deep-learning pipelines: one :class:`PipelineSpec` per network, in :data:`DEEP_SPECS`.

Every pipeline is ``picked(info, ("net", DeepClassifier(...)))``: channel picking, then a
:class:`~neurocompare.pipelines.deep.estimator.DeepClassifier` that z-scores each channel
with training-fold statistics, trains with AdamW and a cosine learning-rate schedule, and
early-stops on a stratified 20 % split of the training fold (best weights restored).

Training defaults (all overridable with ``set_params(net__...)``):

====================== ========== ===== ========= ======== ======== =====================
pipeline               max_epochs batch lr        w. decay patience source of the lr
====================== ========== ===== ========= ======== ======== =====================
``eegnet``             150        64    1e-3      0        20       Lawhern et al. (Adam)
``shallow-convnet``    150        64    6.25e-4   0        20       braindecode (AdamW)
``deep4``              150        64    1e-2      5e-4     20       braindecode (AdamW)
``rnn`` ``lstm``       150        64    1e-3      0        20       matched recurrent set
``gru`` ``bilstm``
``cnn-lstm-attention`` 150        64    1e-3      0        20       as the recurrent set
====================== ========== ===== ========= ======== ======== =====================

The ShallowFBCSPNet and Deep4Net rows are braindecode's suggested AdamW settings (Deep4 at
lr 1e-3 or 6.25e-4 stays near chance on 120 simulated trials; at 1e-2 it learns). The
EEGNet, recurrent and hybrid rows use Adam's usual 1e-3. The four recurrent cells
share every setting (hidden size 64 per direction, one layer, average pooling to 64 Hz,
mean of hidden states over time, dropout 0.25, and the optimiser row above), so they
differ only in the cell.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.base import BaseEstimator

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.tuning import DEEP_SPACE
from neurocompare.pipelines.deep.estimator import DeepClassifier
from neurocompare.pipelines.spec import PipelineSpec, picked

__all__ = ["DEEP_SPECS", "RECURRENT_PARAMS", "TRAINING"]

#: Training settings per network (``DeepClassifier`` keyword arguments).
TRAINING: dict[str, dict[str, Any]] = {
    "eegnet": {"max_epochs": 150, "batch_size": 64, "lr": 1e-3, "patience": 20},
    "shallow": {"max_epochs": 150, "batch_size": 64, "lr": 6.25e-4, "patience": 20},
    "deep4": {"max_epochs": 150, "batch_size": 64, "lr": 1e-2, "weight_decay": 5e-4,
              "patience": 20},
    "recurrent": {"max_epochs": 150, "batch_size": 64, "lr": 1e-3, "patience": 20},
}
#: Architecture settings shared by the four recurrent cells.
RECURRENT_PARAMS: dict[str, Any] = {"hidden_size": 64, "num_layers": 1, "target_hz": 64.0,
                                    "readout": "mean", "dropout": 0.25}


def _builder(model: str, training: str,
             model_params: dict[str, Any] | None = None) -> Callable[[SignalInfo], BaseEstimator]:
    def build(info: SignalInfo) -> BaseEstimator:
        net = DeepClassifier(model=model, sfreq=info.sfreq,
                             model_params=dict(model_params) if model_params else None,
                             **TRAINING[training])
        return picked(info, ("net", net))
    build.__name__ = f"build_{model}"
    return build


def _recurrent(cell: str, label: str) -> PipelineSpec:
    return PipelineSpec(
        cell, "deep",
        f"{label} over time (channels as features, average-pooled to 64 Hz, 64 hidden units"
        f"{' per direction' if cell == 'bilstm' else ''}, mean over time -> linear); "
        "settings matched across rnn/lstm/gru/bilstm",
        _builder(cell, "recurrent", RECURRENT_PARAMS), search_space=DEEP_SPACE)


DEEP_SPECS: list[PipelineSpec] = [
    PipelineSpec("eegnet", "deep",
                 "braindecode EEGNet (kernels rescaled from 128 Hz), early stopping on a "
                 "split of the training fold", _builder("eegnet", "eegnet"),
                 search_space=DEEP_SPACE),
    PipelineSpec("shallow-convnet", "deep",
                 "braindecode ShallowFBCSPNet, early stopping on a split of the training fold",
                 _builder("shallow", "shallow"), search_space=DEEP_SPACE),
    PipelineSpec("deep4", "deep",
                 "braindecode Deep4Net (kernels rescaled from 250 Hz; needs >= 1.9 s at "
                 "128 Hz for its full receptive field), early stopping on a split of the "
                 "training fold", _builder("deep4", "deep4"), search_space=DEEP_SPACE),
    _recurrent("rnn", "vanilla RNN"),
    _recurrent("lstm", "LSTM"),
    _recurrent("gru", "GRU"),
    _recurrent("bilstm", "bidirectional LSTM"),
    PipelineSpec("cnn-lstm-attention", "deep",
                 "temporal conv + spatial conv + pooling to 32 Hz -> LSTM (64) -> additive "
                 "attention over time -> linear", _builder("cnn_lstm_attention", "recurrent"),
                 search_space=DEEP_SPACE),
]
