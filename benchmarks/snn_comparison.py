"""Spiking networks next to ShallowConvNet, EEGNet and the best traditional pipeline.

Runs through :mod:`neurocompare.runner` (one thread, seed 42, within-session folds, the same
folds for every pipeline) on

* the simulated motor-imagery default (a subset: ``--sim-subjects`` subjects, one session of
  80 trials, 3 folds), traditional reference ``ts-lr``;
* the SSVEP exoskeleton data (a subset: ``--ssvep-subjects``, all their recordings, 4 folds
  per 32-trial recording), traditional reference ``ssvep-fb-ts-lr``;

and tabulates accuracy (mean over subjects with a 95 % t-interval), the operation ledger of
one prediction (parameters, effective MACs and ACs, dense operations, activation sparsity),
the **estimated** compute energy (45 nm FP32, Horowitz 2014; memory traffic ignored), fit
time per fold and single-trial latency. Every network gets the same epoch cap (``--epochs``,
early stopping as registered). A second table gives the ANN-to-SNN conversion's accuracy
against the number of simulation steps on one simulated fold.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/snn_comparison.py``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from _common import md_table, write_report
from _spiking import run, summarise
from neurocompare.config import dataset_path
from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.pipelines.spiking.conversion import accuracy_vs_time_steps
from neurocompare.protocols.splitters import WithinSession

SEED = 42
NETWORKS = [("snn-conv", "snn-conv (direct)"),
            ("snn-conv:net__encoding='rate'", "snn-conv (rate)"),
            ("snn-conv:net__encoding='delta'", "snn-conv (delta)"),
            ("snn-recurrent", "snn-recurrent (delta)"),
            ("ann2snn", "ann2snn (T=64)"),
            ("shallow-convnet", "shallow-convnet"),
            ("eegnet", "eegnet")]
COLUMNS = ["pipeline", "accuracy", "params", "MACs", "ACs", "dense ops", "act. sparsity",
           "energy (µJ, est.)", "fit (s/fold)", "latency (ms)", "ledger share"]


def _labels(epochs: int, traditional: str) -> tuple[list[str], dict[str, str]]:
    labels, names = [], {}
    for label, name in NETWORKS:
        full = f"{label}{',' if ':' in label else ':'}net__max_epochs={epochs}"
        labels.append(full)
        names[full] = name
    return [*labels, traditional], names | {traditional: traditional}


def _ssvep_subset(subjects: list[int], folder: Path) -> Path:
    source = dataset_path("ssvep_exoskeleton")
    folder.mkdir()
    for subject in subjects:
        (folder / f"subject{subject:02d}").symlink_to(source / f"subject{subject:02d}")
    return folder


def conversion_table(epochs: int) -> tuple[str, float]:
    """Accuracy vs simulation steps of ``ann2snn`` on simulated subject 1, first fold."""
    start = time.perf_counter()
    data = SimulatedMotorImagery(n_subjects=1, n_sessions=1).load_subject(1)
    fold = next(iter(WithinSession(n_splits=3, random_state=SEED).folds(data.metadata, data.y)))
    pipeline = make_pipeline(f"ann2snn:net__max_epochs={epochs}", data.info)
    pipeline.set_params(net__random_state=SEED, net__n_threads=1)
    pipeline.fit(data.X[fold.train], data.y[fold.train])
    rows = accuracy_vs_time_steps(pipeline, data.X[fold.test], data.y[fold.test],
                                  time_steps=(2, 4, 8, 16, 32, 64, 128, 256))
    table = md_table(["time steps", "accuracy", "agreement with the ANN", "MACs", "ACs",
                      "energy (µJ, est.)"],
                     [["ANN (ReLU)" if r["time_steps"] is None else r["time_steps"],
                       f"{r['accuracy']:.3f}", f"{r['agreement']:.3f}",
                       f"{r['synaptic_macs']:.3g}", f"{r['synaptic_acs']:.3g}",
                       f"{1e6 * r['energy_j']:.3g}"] for r in rows])
    return table, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50, help="epoch cap of every network")
    parser.add_argument("--sim-subjects", type=int, default=3)
    parser.add_argument("--ssvep-subjects", default="1,2", help="comma-separated subjects")
    args = parser.parse_args()
    started = datetime.now(UTC)
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(1)
    subjects = [int(s) for s in args.ssvep_subjects.split(",")]

    sim_labels, sim_names = _labels(args.epochs, "ts-lr")
    ssvep_labels, ssvep_names = _labels(args.epochs, "ssvep-fb-ts-lr")
    with tempfile.TemporaryDirectory(prefix="nc-snn-") as tmp:
        sim_rows, sim_s = run(
            [("simulated-mi", {"n_subjects": args.sim_subjects, "n_sessions": 1})],
            sim_labels, "within-session", {"n_splits": 3}, f"{tmp}/sim", SEED)
        root = _ssvep_subset(subjects, Path(tmp, "ssvep"))
        ssvep_rows, ssvep_s = run([("ssvep-exoskeleton", {"root": str(root)})], ssvep_labels,
                                  "within-session", {"n_splits": 4}, f"{tmp}/out-ssvep", SEED)
    conversion, conv_s = conversion_table(args.epochs)

    out = ["Estimated energy = effective MACs x 4.6 pJ + ACs x 0.9 pJ (45 nm FP32, Horowitz "
           "2014): arithmetic only; memory traffic, data movement, the input encoder and idle "
           "power are ignored, so it ranks operation mixes and is not a measurement. MACs / "
           "ACs / dense ops per prediction follow NeuroBench's SynapticOperations for networks "
           "and documented formulas for traditional steps. Accuracy: mean over subjects of "
           "the per-subject mean over folds, with a 95 % t-interval over subjects. `ledger "
           "share`: time spent counting, as a fraction of the fold's fit + predict time.\n"]
    for title, rows, names, seconds in (
            (f"Simulated motor imagery (default generator), {args.sim_subjects} subjects x 1 "
             "session x 80 trials, within-session 3-fold", sim_rows, sim_names, sim_s),
            (f"SSVEP exoskeleton (Kalunga2016), subjects {args.ssvep_subjects} (a subset, for "
             "runtime), every 32-trial recording, within-session 4-fold, 4 classes",
             ssvep_rows, ssvep_names, ssvep_s)):
        table = summarise(rows, names)
        out.append(f"## {title}\n")
        out.append(md_table(COLUMNS, table[COLUMNS].itertuples(index=False)))
        out.append(f"\n{len(rows)} results, {seconds / 60:.1f} min (runner, 1 thread).\n")
    out.append("## ann2snn: accuracy against simulation steps (simulated subject 1, first of 3 "
               "within-session folds)\n")
    out.append(conversion)
    out.append(f"\nThe ANN's first layer sees the analog epoch (its MACs are computed once, "
               f"whatever T); every later layer receives spikes, so ACs grow linearly with T. "
               f"{conv_s:.0f} s.")
    body = "\n".join(out)
    print(body)
    path = write_report("snn_comparison", "Spiking networks vs deep and traditional pipelines",
                        body, started)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
