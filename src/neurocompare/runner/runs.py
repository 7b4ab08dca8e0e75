"""Whole runs: a comparison with its run record, and explanations of stored runs."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neurocompare._errors import input_error
from neurocompare.data.registry import make_dataset
from neurocompare.explain.molecules import MOLECULE_METHODS
from neurocompare.explain.run import DEFAULT_METHODS, check_methods
from neurocompare.pipelines.registry import get_spec
from neurocompare.records.manifest import machine_info, package_versions, read_runs, write_run
from neurocompare.runner.config import RunConfig
from neurocompare.runner.plan import dataset_records, execute, plan
from neurocompare.runner.units import UnitReport, WorkUnit

__all__ = ["RunOutcome", "explain_results", "run_comparison", "stored_configs"]


@dataclass
class RunOutcome:
    """The unit reports of a run and its duration, with totals."""

    reports: list[UnitReport]
    duration_s: float

    def total(self, what: str) -> int:
        """Sum of ``computed``, ``explained`` or ``skipped`` over the units."""
        return sum(getattr(report, what) for report in self.reports)

    @property
    def errors(self) -> list[str]:
        """Every failure message, in completion order."""
        return [error for report in self.reports for error in report.errors]


def run_comparison(config: RunConfig, units: Sequence[WorkUnit] | None = None, *,
                   on_done: Callable[[UnitReport], None] | None = None,
                   extra: dict[str, Any] | None = None) -> RunOutcome:
    """Plan (unless ``units`` are given), execute, and append the run record to
    ``<out>/runs.jsonl`` (configuration with its subject selection, counts, dataset
    provenance with the subjects read, machine, versions, and the ``extra`` items, e.g.
    sanity-check results)."""
    start, started = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    units = plan(config) if units is None else units
    records = dataset_records(config)
    reports = execute(units, jobs=config.jobs, scheduler=config.scheduler, on_done=on_done,
                      start_method=config.start_method)
    outcome = RunOutcome(reports, time.perf_counter() - start)
    write_run(config.out, {
        "config": dataclasses.asdict(config) | {"out": str(config.out)}, "started": started,
        "duration_s": outcome.duration_s, "computed": outcome.total("computed"),
        "skipped": outcome.total("skipped"), "failed": len(outcome.errors),
        "datasets": records, "workers": sorted({r.worker for r in reports}),
        "machine": machine_info(), "versions": package_versions(), **(extra or {})})
    return outcome


#: Parts of a stored configuration that identify its results (others only say how it ran).
_RESULT_FIELDS = ("datasets", "pipelines", "protocol", "protocol_params", "seed",
                  "permutations", "tune", "tune_cpu_s", "subjects")


def stored_configs(out: str | Path) -> list[RunConfig]:
    """The distinct run configurations recorded in ``<out>/runs.jsonl``, oldest first."""
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    seen, configs = set(), []
    for run in read_runs(out):
        stored = run.get("config") or {}
        ident = repr({k: stored.get(k) for k in _RESULT_FIELDS})
        if not stored or ident in seen:
            continue
        seen.add(ident)
        values = {k: v for k, v in stored.items() if k in fields}
        values["datasets"] = [(name, dict(params)) for name, params in values.get("datasets", [])]
        configs.append(RunConfig(**values | {"out": str(out), "scheduler": None}))
    if not configs:
        raise input_error("RESULTS", "an output folder with runs.jsonl (a finished run)",
                          str(out))
    return configs


def explain_results(out: str | Path, methods: Sequence[str] | None = None,
                    pipelines: Sequence[str] | None = None, *,
                    subjects: Sequence[Any] | None = None, jobs: int = 1,
                    **options: Any) -> dict[str, Any]:
    """Explain the stored runs of ``out``: each recorded configuration is run again with
    ``methods`` added, so stored results are fitted again (same folds, seeds, tuning) and
    explained; results missing from the store are computed and stored too.

    Parameters
    ----------
    out : str or Path
        Output folder of ``neurocompare run`` (reads ``<out>/runs.jsonl``).
    methods : sequence of str, optional
        See :func:`neurocompare.explain.run.explain_fold`; by default every method that
        applies to the run's data (molecules: :data:`~neurocompare.explain.molecules
        .MOLECULE_METHODS`, else :data:`~neurocompare.explain.run.DEFAULT_METHODS`).
    pipelines : sequence of str, optional
        Only these pipeline labels (or registry names) of the runs.
    subjects : sequence, optional
        Only these subjects (within-subject protocols).
    jobs : int
        Local worker processes.
    **options
        Explanation options (see :func:`~neurocompare.explain.run.explain_fold`).

    Returns
    -------
    dict
        ``computed`` (results), ``explained`` and ``skipped`` (pipeline, fold) counts, and
        ``errors`` messages.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise input_error("jobs", "a positive integer", jobs)
    check_methods(methods or DEFAULT_METHODS, options)
    wanted = None if subjects is None else {str(s) for s in subjects}
    reports: list[UnitReport] = []
    configs = stored_configs(out)
    labels = {label for stored in configs for label in stored.pipelines}
    unknown = [p for p in pipelines or () if p not in labels | {get_spec(q).name for q in labels}]
    if unknown:  # a typo would otherwise explain nothing and exit as if done
        raise input_error("pipeline", f"pipelines of the stored runs {sorted(labels)}", unknown)
    for stored in configs:
        names = [p for p in stored.pipelines if pipelines is None or p in pipelines
                 or get_spec(p).name in pipelines]
        if not names:
            continue
        molecules = all(make_dataset(name, **params).kind == "molecules"
                        for name, params in stored.datasets)
        chosen = methods or (MOLECULE_METHODS if molecules else DEFAULT_METHODS)
        config = dataclasses.replace(stored, pipelines=names, jobs=jobs, explain=list(chosen),
                                     explain_options=dict(options))
        units = [u for u in plan(config)
                 if wanted is None or u.subject is None or str(u.subject) in wanted]
        reports += execute(units, jobs=jobs, start_method=config.start_method)
    outcome = RunOutcome(reports, 0.0)
    return {"computed": outcome.total("computed"), "explained": outcome.total("explained"),
            "skipped": outcome.total("skipped"), "errors": outcome.errors}
