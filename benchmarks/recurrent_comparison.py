"""RNN vs LSTM vs GRU vs a recurrent spiking network, on the same data and folds.

The four recurrent pipelines share their input (the epoch average-pooled to 64 Hz, channels
as features), hidden size (64), readout (mean over time -> linear), optimiser, batch size and
epoch cap; the spiking one replaces the cell by 64 recurrent LIF neurons (snnTorch
``RLeaky``) trained with surrogate gradients, fed by delta (level-crossing) events as
registered, and also with the analog signal (``direct``). Run through
:mod:`neurocompare.runner` (one thread, seed 42) on the simulated motor-imagery default
(``--subjects`` subjects, one session of 80 trials, within-session 4-fold); tabulates
parameters, training time per epoch (median epoch of 5 epochs on one training fold,
no early stopping), accuracy (mean over subjects, 95 % t-interval), the operation ledger of
one prediction and its **estimated** compute energy (45 nm FP32, Horowitz 2014; memory
traffic ignored).

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/recurrent_comparison.py``
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from datetime import UTC, datetime

import numpy as np
import torch

from _common import md_table, write_report
from _spiking import run, summarise
from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.splitters import WithinSession

SEED = 42
PIPELINES = [("rnn", "rnn"), ("lstm", "lstm"), ("gru", "gru"),
             ("snn-recurrent", "snn-recurrent (delta)"),
             ("snn-recurrent:net__encoding='direct'", "snn-recurrent (direct)")]
COLUMNS = ["pipeline", "accuracy", "params", "s/epoch", "MACs", "ACs", "dense ops",
           "act. sparsity", "energy (µJ, est.)", "fit (s/fold)", "latency (ms)"]


def _label(label: str, epochs: int) -> str:
    return f"{label}{',' if ':' in label else ':'}net__max_epochs={epochs}"


def epoch_seconds(labels: list[str], n_subjects: int) -> dict[str, float]:
    """Median seconds per training epoch on subject 1's first training fold (5 epochs)."""
    data = SimulatedMotorImagery(n_subjects=n_subjects, n_sessions=1).load_subject(1)
    fold = next(iter(WithinSession(n_splits=4, random_state=SEED).folds(data.metadata, data.y)))
    out = {}
    for label in labels:
        pipeline = make_pipeline(label, data.info).set_params(
            net__max_epochs=5, net__valid_size=0.0, net__n_threads=1, net__random_state=SEED)
        pipeline.fit(data.X[fold.train], data.y[fold.train])
        out[label] = float(np.median([h["seconds"] for h in pipeline.named_steps["net"].history_]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60, help="epoch cap of every network")
    parser.add_argument("--subjects", type=int, default=4)
    args = parser.parse_args()
    started = datetime.now(UTC)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(1)
    labels = [_label(label, args.epochs) for label, _ in PIPELINES]
    names = {_label(label, args.epochs): name for label, name in PIPELINES}
    with tempfile.TemporaryDirectory(prefix="nc-recurrent-") as tmp:
        rows, seconds = run([("simulated-mi", {"n_subjects": args.subjects, "n_sessions": 1})],
                            labels, "within-session", {"n_splits": 4}, tmp, SEED)
    per_epoch = epoch_seconds([label for label, _ in PIPELINES], args.subjects)
    table = summarise(rows, names)
    table["s/epoch"] = [f"{per_epoch[label]:.3f}" for label, _ in PIPELINES]
    body = "\n".join([
        f"## Simulated motor imagery (default generator), {args.subjects} subjects x 1 session "
        f"x 80 trials, within-session 4-fold, epoch cap {args.epochs} (early stopping as "
        "registered)\n",
        md_table(COLUMNS, table[COLUMNS].itertuples(index=False)),
        f"\n{len(rows)} results in {seconds / 60:.1f} min (runner, 1 thread). Estimated "
        "energy = effective MACs x 4.6 pJ + ACs x 0.9 pJ (45 nm FP32, Horowitz 2014): "
        "arithmetic only, memory traffic ignored. Recurrent-layer operations follow "
        "NeuroBench's rule (non-zero input x non-zero weight) extended to torch RNN/LSTM/GRU "
        "layers, which NeuroBench does not count: the hidden-state products are MACs (analog "
        "states), gate nonlinearities and element-wise gate products are not counted. In "
        "the spiking network the input layer sees binary events (delta) or the analog "
        "signal (direct), and the recurrent weights see the previous step's spikes (ACs)."])
    print(body)
    path = write_report("recurrent_comparison", "Recurrent networks: RNN, LSTM, GRU and a "
                        "recurrent SNN", body, started)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
