"""Helpers shared by the benchmark scripts: markdown tables, mean (sd) cells, per-subject
means and the report file with its provenance header."""

from __future__ import annotations

import importlib.metadata as importlib_metadata
import os
import platform
import shlex
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["RESULTS", "chance_table", "headline_text", "md_table", "mean_sd", "run_config",
           "subject_means", "write_report"]

#: Where the reports go.
RESULTS = Path(__file__).resolve().parent / "results"
_PACKAGES = ("neurocompare", "moabb", "mne", "pyriemann", "scikit-learn", "numpy", "scipy")
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub markdown table from column headers and rows of cells."""
    lines = ["| " + " | ".join(str(h) for h in headers) + " |",
             "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def mean_sd(values) -> str:
    """``"mean (sd)"`` of fractions, in percent with two decimals."""
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{100 * values.mean():.2f} ({100 * sd:.2f})"


def subject_means(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean fold accuracy per pipeline and subject, as columns pipeline, subject, score."""
    return (rows.groupby(["pipeline", "subject"], sort=True)["accuracy"].mean()
            .rename("score").reset_index())


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") \
        else "n/a"
    versions = []
    for name in _PACKAGES:
        try:
            versions.append(f"{name} {importlib_metadata.version(name)}")
        except importlib_metadata.PackageNotFoundError:
            continue
    return (f"{platform.node()}: {model}, {os.cpu_count()} logical cores, load average "
            f"{load}; Python {platform.python_version()}; {', '.join(versions)}")


def _command() -> str:
    env = [f"{k}={os.environ[k]}" for k in _THREAD_VARS if k in os.environ]
    python = os.path.relpath(sys.executable) if sys.executable else "python"
    return " ".join([*env, python, *(shlex.quote(a) for a in sys.argv)])


def write_report(name: str, title: str, body: str, started: datetime) -> Path:
    """Write ``results/<name>.md``: title, command, dates, machine, then ``body``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    finished = datetime.now(UTC)
    header = [f"# {title}", "",
              f"Command: `{_command()}`  ",
              f"Date: {started.isoformat(timespec='seconds')} to "
              f"{finished.isoformat(timespec='seconds')} (UTC)  ",
              f"Machine: {_machine()}", ""]
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(header) + "\n" + body.rstrip() + "\n")
    return path


def run_config(config) -> float:
    """Run a :class:`~neurocompare.runner.RunConfig` as ``neurocompare run`` does (errors
    printed, run record written to the manifest); return the wall seconds, which include
    planning and the data checksums of the run record."""
    from neurocompare.runner import run_comparison

    outcome = run_comparison(config)
    for error in outcome.errors:
        print(f"error: {error}", file=sys.stderr)
    return outcome.duration_s


def headline_text(table: pd.DataFrame, metric: str = "accuracy") -> str:
    """The headline of the first dataset (best deep vs best traditional) as a sentence."""
    from neurocompare.stats.compare import headline

    head = headline(table, metric)
    if head.empty:
        return "(no deep or no traditional results)"
    r = head.iloc[0]
    return (f"Best deep `{r['a']}` {r['score_a']:.3f} vs best traditional `{r['b']}` "
            f"{r['score_b']:.3f}: difference {r['difference']:+.3f} [95% CI "
            f"{r['ci_low']:+.3f}, {r['ci_high']:+.3f}], {r['test']} p = {r['pvalue']:.3g} "
            f"over {r['n']} {r['unit']}; the deep model costs {r['fit_cost_ratio']:.3g}x the "
            f"training time.\n\n> {r['finding']}")


def chance_table(table: pd.DataFrame, unit: str = "subject") -> str:
    """Per pipeline: accuracy over ``unit`` (subjects, or folds where there is one pseudo-
    subject), mean training accuracy of the kept weights, the pooled chance test (Holm) and
    the mean fit time; best first."""
    from neurocompare.stats.compare import pipeline_chance

    chance = pipeline_chance(table).set_index("pipeline")
    rows = []
    for name, group in table.groupby("pipeline", sort=False):
        per = group.groupby(unit)["accuracy"].mean()
        c = chance.loc[name]
        train = group["train_accuracy"].mean() if "train_accuracy" in group else float("nan")
        rows.append((f"`{name}`", group["family"].iloc[0],
                     f"{per.mean():.3f} ({per.std(ddof=1):.3f})", f"{train:.3f}",
                     f"{c['p_holm']:.3g}", "yes" if c["beats_chance"] else "no",
                     f"{group['fit_time_s'].mean():.2f}"))
    rows.sort(key=lambda r: -float(r[2].split()[0]))
    return md_table(["pipeline", "family", f"accuracy, mean (sd) over {unit}s",
                     "train accuracy", "chance test p (Holm)", "beats chance",
                     "fit s/fold"], rows)
