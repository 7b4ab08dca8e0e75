"""Molecule generators: LSTM and GRU language models against n-gram, BRICS and copying.

Every generator runs through :func:`neurocompare.runner.generation.run_generation` on the
same splits of the SMILES corpus (``smiles-union``: the molecule sets under the data root,
standardised and de-duplicated; random 80/10/10 split per seed, as MOSES), draws
``--n-samples`` strings per seed and is scored with MOSES's metrics. Printed: the guide's
table form (generator | validity | uniqueness | novelty | ...) as mean [95 % t interval]
over seeds with the costs, and each deep generator against the best traditional one on
validity, uniqueness@10k, novelty and FCD (corrected resampled t paired by seed, Holm).

The guide's LSTM figures (validity 85-98 %, uniqueness 93-98 %, originality 89-94 %, three
dropout variants) come from 2.57 million ChEMBL/MOSES SMILES on GPUs; this corpus has about
17 thousand and the networks are trained on one CPU thread each.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/generation.py [--seeds 0,1,2]
[--generators gen-lstm,...] [--n-samples 10000] [--jobs 2] [--out DIR] [--report-only]``
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from _common import md_table, write_report
from neurocompare.records.generation import GenerationStore
from neurocompare.report.generation import TABLE_METRICS, TESTED, interval_text
from neurocompare.runner.generation import GenerationConfig, run_generation
from neurocompare.stats.generation import (
    generation_summary,
    generation_tests,
    latest_generation_rows,
)

GENERATORS = ["gen-lstm", "gen-lstm-d0", "gen-lstm-d5", "gen-gru", "gen-ngram", "gen-brics",
              "gen-copy"]
COSTS = ("fit_s", "samples_per_s", "n_parameters")


def body(root: Path) -> str:
    """The markdown tables of the stored results under ``root`` (a ``generation`` folder)."""
    table = latest_generation_rows(GenerationStore(root).table())
    metrics = [c for c, _, _ in TABLE_METRICS if c in table.columns]
    labels = {c: label for c, label, _ in TABLE_METRICS}
    training = [c for c in ("n_epochs", "best_epoch") if c in table.columns]
    summary = generation_summary(table, [*metrics, *COSTS, *training])
    rows, costs = [], []
    for generator, group in summary.groupby("generator", sort=False):
        by = {r["metric"]: r for _, r in group.iterrows()}
        rows.append([f"`{generator}`", group["family"].iloc[0], int(group["n"].max()),
                     *(interval_text(by[m]) for m in metrics)])
        costs.append([f"`{generator}`", f"{by['fit_s']['mean']:.0f}",
                      f"{by['samples_per_s']['mean']:.0f}", f"{by['n_parameters']['mean']:.0f}"]
                     + [str(int(by[c]["mean"])) if c in by and np.isfinite(by[c]["mean"])
                        else "-" for c in ("n_epochs", "best_epoch")])
    tests = generation_tests(table, [m for m in TESTED if m in metrics],
                             {c: h for c, _, h in TABLE_METRICS})
    test_rows = [[t["metric"], f"`{t['deep']}`", f"{t['deep_mean']:.3f}",
                  f"`{t['traditional']}`", f"{t['traditional_mean']:.3f}",
                  f"{t['difference']:+.3f} [{t['ci_low']:+.3f}, {t['ci_high']:+.3f}]",
                  t["n"], f"{t['p']:.3g}", f"{t['p_holm']:.3g}", t["verdict"]]
                 for _, t in tests.iterrows()]
    first = table.iloc[0]
    lines = [f"Corpus `{first['corpus']}` ({int(first['n_train'])} training, "
             f"{int(first['n_valid_part'])} validation, {int(first['n_test'])} test molecules "
             f"per seed, {first['split']} split), seeds "
             f"{sorted(int(s) for s in table['seed'].unique())}, "
             f"{int(first['n_samples'])} strings per generator and seed.", "",
             "## Generators: MOSES metrics, mean [95 % t interval over seeds]", "",
             md_table(["generator", "family", "seeds", *(labels[m] for m in metrics)], rows),
             "", "Higher is better up to SNN; lower for FCD and the Wasserstein distances.", "",
             "## Costs (mean over seeds, one thread per process)", "",
             md_table(["generator", "fit s", "samples/s", "parameters", "epochs",
                       "best epoch"], costs), "",
             "## Each deep generator against the best traditional one (paired by seed)", "",
             md_table(["metric", "deep", "mean", "best traditional", "mean",
                       "difference [95 % CI]", "seeds", "p (corrected resampled t)",
                       "p (Holm)", "verdict"], test_rows)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="smiles-union")
    parser.add_argument("--generators", default=",".join(GENERATORS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="neurocompare-generation-"))
    if not args.report_only:
        config = GenerationConfig(corpus=args.corpus, generators=args.generators.split(","),
                                  seeds=[int(s) for s in args.seeds.split(",")],
                                  n_samples=args.n_samples, jobs=args.jobs, out=out)
        outcome = run_generation(config)
        for failure in outcome.failed:
            print(f"failed: {failure}")
    text = body(out / "generation")
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    text += f"\n\nLoad average at the end: {load}. Results under {out}.\n"
    print(text)
    path = write_report("generation", "Molecule generators: deep against traditional", text,
                        started)
    print(f"written {path}")


if __name__ == "__main__":
    main()
