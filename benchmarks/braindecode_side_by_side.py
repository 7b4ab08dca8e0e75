"""Our ShallowFBCSPNet pipeline against braindecode's own training loop, on the same folds.

For every fold of the protocol (default: within-session 5-fold, seed 42, built exactly as the
runner builds it, subject by subject), three trainings of ShallowFBCSPNet:

* ``ours`` -- ``make_pipeline("shallow-convnet")`` at its defaults (braindecode's AdamW
  recipe: cosine schedule, batch 64, 100 epochs on the whole training fold, see
  :mod:`neurocompare.pipelines.deep.catalogue`);
* ``braindecode`` -- ``braindecode.EEGClassifier`` with the settings of braindecode's
  trialwise-decoding example (``plot_bcic_iv_2a_moabb_trial``): braindecode's
  ``ShallowFBCSPNet`` at its default kernel lengths, AdamW ``lr = 0.0625 * 0.01``, weight
  decay 0, batch 64, ``CosineAnnealingLR(T_max = epochs - 1)``, ``train_split=None``, a
  fixed number of epochs (``--epochs``; the example's 4 are a documentation-build setting,
  MOABB's braindecode pipeline is quoted at 30), input in microvolts as the example scales it,
  and ``iterator_train__drop_last=False``: braindecode's default drops the last incomplete
  batch, which on a training fold smaller than the batch (SSVEP: 58 trials) drops every
  batch and leaves the network untrained (braindecode warns about exactly this);
* both print accuracy per fold; the table gives the mean over subjects, the paired
  difference (ours - braindecode) with its 95 % t-interval over subjects, and the wall-time
  ratio measured in this run.

Single-channel data (Bonn): braindecode's ``ShallowFBCSPNet`` cannot be built for one channel
(its ``CombinedConv`` raises "self must be a matrix"; with ``split_first_layer=False`` the
model has no ``conv_time_spat``), so braindecode -- and only braindecode -- gets the channel
twice. Its spatial convolution over two identical rows equals one over the single row with the
two weight columns summed, so the function class is the same as a one-channel network; only the
parameterisation (and hence the initialisation and AdamW's weight-decay path) differs.

With one subject (Bonn) the interval of the paired difference is taken over folds instead of
subjects (a t-interval over the folds of one recording, optimistic since folds share training
data).

The example's exponential moving standardisation is a preprocessing of the continuous
recording, not available on epochs; braindecode gets the epochs in microvolts, ours z-scores
each channel with training-fold statistics.

Real datasets are read from the data root (``$NEUROCOMPARE_DATA_ROOT`` or ``../shared/data``).

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/braindecode_side_by_side.py
[--dataset simulated-mi:n_subjects=3,n_sessions=1] [--epochs 30 100]``
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import torch
from scipy import stats

from _common import md_table, write_report
from neurocompare.data.containers import NeuralData
from neurocompare.data.registry import make_dataset, parse_dataset_spec
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.registry import make_splitter

SEED = 42


def braindecode_fit_predict(X_train, y_train, X_test, sfreq: float, epochs: int) -> np.ndarray:
    """braindecode's example training (see the module docstring); predicted labels."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from braindecode import EEGClassifier
        from braindecode.models import ShallowFBCSPNet
        from skorch.callbacks import LRScheduler
    classes, codes = np.unique(y_train, return_inverse=True)
    torch.manual_seed(SEED)
    model = ShallowFBCSPNet(n_chans=max(X_train.shape[1], 2), n_outputs=len(classes),
                            n_times=X_train.shape[2], sfreq=sfreq)
    clf = EEGClassifier(
        model, optimizer=torch.optim.AdamW, optimizer__lr=0.0625 * 0.01,
        optimizer__weight_decay=0, batch_size=64, train_split=None, max_epochs=epochs,
        iterator_train__drop_last=False,
        callbacks=[("lr_scheduler", LRScheduler("CosineAnnealingLR", T_max=epochs - 1))],
        device="cpu", verbose=0)
    scale = 1e6  # volts -> microvolts, as the example's preprocessing
    if X_train.shape[1] == 1:  # the documented single-channel workaround (module docstring)
        X_train, X_test = np.repeat(X_train, 2, axis=1), np.repeat(X_test, 2, axis=1)
    with warnings.catch_warnings():  # skorch's scheduler-order notice, once per fit
        warnings.simplefilter("ignore", UserWarning)
        clf.fit((X_train * scale).astype(np.float32), codes)
    return classes[clf.predict((X_test * scale).astype(np.float32))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="simulated-mi:n_subjects=3,n_sessions=1")
    parser.add_argument("--protocol", default="within-session")
    parser.add_argument("--epochs", type=int, nargs="+", default=[30, 100])
    parser.add_argument("--pool-sessions", action="store_true",
                        help="Pool each subject's sessions into one (MOABB's layout of "
                             "ssvep-exoskeleton: 72 trials per subject instead of 32 per "
                             "session).")
    parser.add_argument("--max-folds", type=int, default=None,
                        help="Stop after this many folds per subject (quick checks).")
    args = parser.parse_args()
    started = datetime.now(UTC)
    torch.set_num_threads(1)
    name, params = parse_dataset_spec(args.dataset)
    dataset = make_dataset(name, **params)
    splitter = make_splitter(args.protocol, seed=SEED)
    rows, n_channels = [], 0
    for subject in dataset.subjects():
        data = dataset.load_subject(subject)
        n_channels = data.X.shape[1]
        if args.pool_sessions:
            data = NeuralData(data.X, data.y, data.metadata.assign(session="pooled"), data.info)
        for i, fold in enumerate(splitter.folds(data.metadata, data.y)):
            if args.max_folds is not None and i >= args.max_folds:
                break
            X_tr, y_tr = data.X[fold.train], data.y[fold.train]
            X_te, y_te = data.X[fold.test], data.y[fold.test]
            begin = time.perf_counter()
            ours = make_pipeline("shallow-convnet", data.info).set_params(
                net__random_state=SEED, net__n_threads=1, net__device="cpu")
            pred = ours.fit(X_tr, y_tr).predict(X_te)
            net = ours.named_steps["net"]
            rows.append({"subject": subject, "fold": fold.id, "tool": "ours",
                         "accuracy": float(np.mean(pred == y_te)),
                         "seconds": time.perf_counter() - begin, "epochs": net.n_epochs_})
            for epochs in args.epochs:
                begin = time.perf_counter()
                pred = braindecode_fit_predict(X_tr, y_tr, X_te, data.info.sfreq, epochs)
                rows.append({"subject": subject, "fold": fold.id,
                             "tool": f"braindecode ({epochs} epochs)",
                             "accuracy": float(np.mean(pred == y_te)),
                             "seconds": time.perf_counter() - begin, "epochs": epochs})
            last = rows[-1 - len(args.epochs):]
            print(subject, fold.id, [(r["tool"], round(r["accuracy"], 3),
                                      round(r["seconds"], 1)) for r in last], flush=True)
    frame = pd.DataFrame(rows)
    unit = "subject" if frame["subject"].nunique() > 1 else "fold"  # one subject: over folds
    per_subject = frame.groupby(["tool", unit])["accuracy"].mean().unstack("tool")
    seconds = frame.groupby("tool")["seconds"].sum()
    table = []
    for tool in per_subject.columns:
        diff = per_subject["ours"] - per_subject[tool]
        if tool == "ours":
            cell = "—"
        else:
            half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff)) \
                if len(diff) > 1 else float("nan")
            cell = f"{100 * diff.mean():+.1f} [{100 * (diff.mean() - half):+.1f}, " \
                   f"{100 * (diff.mean() + half):+.1f}]"
        epochs = frame.loc[frame["tool"] == tool, "epochs"]
        table.append([tool, f"{100 * per_subject[tool].mean():.1f}", cell,
                      f"{epochs.median():.0f}", f"{seconds[tool]:.0f}",
                      f"{seconds[tool] / seconds['ours']:.2f}"])
    single = "; braindecode gets the single channel twice (see the module docstring)" \
        if n_channels == 1 else ""
    body = "\n\n".join([
        f"Dataset `{args.dataset}`"
        f"{' (sessions pooled per subject)' if args.pool_sessions else ''}, "
        f"protocol `{args.protocol}`, seed {SEED}, "
        f"{frame['subject'].nunique()} subject(s), {frame['fold'].nunique()} fold ids, one "
        f"torch thread{single}; "
        f"load average at the end {', '.join(f'{v:.2f}' for v in os.getloadavg())}.",
        md_table(["training", "accuracy (%)", f"ours - it (points, 95 % CI over {unit}s)",
                  "epochs (median)", "wall (s)", "wall / ours"], table),
        "Per-fold rows:\n\n" + md_table(list(frame.columns), frame.round(3).values.tolist()),
    ])
    label = name.replace("-", "_") + ("_pooled" if args.pool_sessions else "")
    path = write_report(f"braindecode_side_by_side_{label}",
                        "ShallowFBCSPNet: our pipeline vs braindecode's EEGClassifier", body,
                        started)
    print(path)


if __name__ == "__main__":
    main()
