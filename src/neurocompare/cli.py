"""The ``neurocompare`` command: wires data, pipelines, protocols, records, stats and report.

Bad arguments and bad files end with one ``error:`` line on stderr and exit status 2; results
already stored are never lost.
"""

from __future__ import annotations

import logging
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from neurocompare import __version__, _listing
from neurocompare._errors import InputError, input_error
from neurocompare._spec import literal, parse_value
from neurocompare.config import DATA_ROOT_ENV, set_data_root
from neurocompare.data.registry import parse_dataset_spec
from neurocompare.pipelines.generators.catalogue import GENERATOR_SPECS
from neurocompare.pipelines.registry import PIPELINES
from neurocompare.records.store import ResultStore
from neurocompare.report.build import build_report
from neurocompare.report.generation import build_generation_report
from neurocompare.runner import (
    RunConfig,
    RunOutcome,
    SanityResult,
    explain_results,
    plan,
    run_comparison,
    sanity_check,
)
from neurocompare.runner.config import check_config
from neurocompare.runner.generation import GenerationConfig, run_generation
from neurocompare.runner.selection import parse_subject_ids
from neurocompare.stats.summary import largest_budget, summary_table

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Does deep learning beat the traditional method on my neural data? "
                       "Leakage-free comparisons with statistics and costs.")
console = Console(width=None if sys.stdout.isatty() else 130)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 130)
logger = logging.getLogger("neurocompare")

_CONFIG_KEYS = {"datasets", "pipelines", "protocol", "protocol_params", "out", "jobs", "seed",
                "scheduler", "permutations", "tune", "tune_cpu_s", "explain", "explain_options",
                "start_method", "probe_share", "report", "subjects"}


_DATA_ROOT_HELP = (f"Folder of the real datasets (or set {DATA_ROOT_ENV}): a dataset with a "
                   "conventional folder reads <data root>/<folder> unless given its root.")


def _read_config(path: Path) -> dict[str, Any]:
    """Read a TOML run configuration (plain data; nothing in it is executed)."""
    if not path.is_file():
        raise input_error("--config", "an existing TOML file", str(path))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        reason = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else \
            f"{type(exc).__name__}: {exc}"
        raise input_error(str(path), "valid TOML (UTF-8 text)", reason) from exc
    unknown = sorted(set(raw) - _CONFIG_KEYS)
    if unknown:
        raise input_error(str(path), f"keys among {sorted(_CONFIG_KEYS)}", unknown)
    if "datasets" in raw:
        if not isinstance(raw["datasets"], list):
            raise input_error(f"{path}: datasets", "[[datasets]] tables", raw["datasets"])
        entries = []
        for entry in raw["datasets"]:
            if not isinstance(entry, dict) or "name" not in entry:
                raise input_error(f"{path}: [[datasets]]", "tables with a 'name' key", entry)
            params = {k: v for k, v in entry.items() if k != "name"}
            entries.append((entry["name"], params))
        raw["datasets"] = entries
    if not isinstance(raw.get("report", True), bool):
        raise input_error(f"{path}: report", "true or false", raw["report"])
    return raw


def _expand_pipelines(names: Any) -> Any:
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return names  # check_config names what was expected
    out: list[str] = []
    for name in names:
        if name == "all":
            out += list(PIPELINES)
        elif name in ("traditional", "deep", "spiking"):
            out += [n for n, spec in PIPELINES.items() if spec.family == name]
        else:
            out.append(name)
    return list(dict.fromkeys(out))


def _print_summary(out: Path) -> None:
    store = ResultStore(out)
    if not store.keys():
        console.print("No results stored yet.")
        return
    table = summary_table(largest_budget(store.table()), "auto")
    view = Table(title="Score per pipeline (mean over subjects of the fold-averaged score; "
                       "accuracy for classification, MAE for regression)")
    for column in ("dataset", "pipeline", "family", "metric", "subjects", "mean", "sd",
                   "fit s/fold", "latency ms"):
        view.add_column(column, justify="right" if column not in ("dataset", "pipeline",
                                                                  "family") else "left")
    for row in table.itertuples():
        view.add_row(row.dataset, row.pipeline, row.family, row.metric, str(row.n_subjects),
                     f"{row.mean:.3f}", "-" if row.sd != row.sd else f"{row.sd:.3f}",
                     f"{row.fit_time_s:.2f}", f"{row.latency_ms:.2f}")
    console.print(view)


@app.command()
def run(
    dataset: Annotated[list[str] | None, typer.Option(
        "--dataset", "-d", help="Dataset name, or name:key=value,... (repeatable). "
        "Default: the simulated motor-imagery set.")] = None,
    pipeline: Annotated[list[str] | None, typer.Option(
        "--pipeline", "-p", help="Pipeline name (repeatable), or 'all', 'traditional', "
        "'deep'. Default: a quick set.")] = None,
    protocol: Annotated[str | None, typer.Option(help="Evaluation protocol.")] = None,
    protocol_param: Annotated[list[str] | None, typer.Option(
        "--protocol-param", help="Splitter parameter key=value (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for splits and models.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address; work units run there.")] = None,
    start_method: Annotated[str | None, typer.Option(
        help="How local workers start: auto (fork when safe, else loky), fork or loky.")] = None,
    permutations: Annotated[int | None, typer.Option(
        help="Label-permutation runs per subject and pipeline (chance-level test).")] = None,
    tune: Annotated[int | None, typer.Option(
        help="Optuna trials per pipeline, nested inside each training fold (0: off).")] = None,
    tune_cpu_s: Annotated[float | None, typer.Option(
        help="CPU-second cap per tuning study (same for every pipeline).")] = None,
    explain: Annotated[list[str] | None, typer.Option(
        "--explain", help="Interpretability method run on every fitted fold (repeatable): "
        "permutation, shap, patterns, integrated-gradients, saliency.")] = None,
    probe_share: Annotated[float | None, typer.Option(
        help="Largest share of a pipeline's compute spent measuring single-trial latency "
        "and the operation ledger; the first fold is always measured (inf: every "
        "fold).")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML run configuration.")] = None,
    report: Annotated[bool | None, typer.Option(
        "--report/--no-report", help="Write the HTML report at the end (default: yes, or "
        "the configuration's report key).", show_default=False)] = None,
    sanity: Annotated[bool, typer.Option(
        help="First check that each deep pipeline can overfit 40 training trials (train "
        "accuracy >= 0.95): catches broken wiring, input scale, dead learning rates.")] = False,
    data_root: Annotated[Path | None, typer.Option(help=_DATA_ROOT_HELP)] = None,
    subject: Annotated[list[str] | None, typer.Option(
        "--subject", help="Only this subject (repeatable, or comma-separated: 1,3), in "
        "every dataset; ids as the dataset spells them (`1`, `sub01`).")] = None,
) -> None:
    """Run a comparison and store one result row per (pipeline, fold)."""
    values = _read_config(config) if config else {}
    in_file = values.pop("report", True)  # the flag, when given, wins over the file
    report = in_file if report is None else report
    if dataset:
        values["datasets"] = [parse_dataset_spec(spec) for spec in dataset]
    if pipeline:
        values["pipelines"] = pipeline
    if protocol_param:
        values["protocol_params"] = _protocol_params(protocol_param)
    if subject:
        values["subjects"] = parse_subject_ids(subject)
    for key, value in (("protocol", protocol), ("out", out), ("jobs", jobs), ("seed", seed),
                       ("scheduler", scheduler), ("start_method", start_method),
                       ("permutations", permutations),
                       ("tune", tune), ("tune_cpu_s", tune_cpu_s), ("explain", explain),
                       ("probe_share", probe_share)):
        if value is not None:
            values[key] = value
    if "pipelines" in values:
        values["pipelines"] = _expand_pipelines(values["pipelines"])
    set_data_root(data_root)
    cfg = RunConfig(**values)
    check_config(cfg)  # before the sanity check: a bad seed or output folder fails first
    extra = {"sanity": _sanity(cfg)} if sanity else None
    outcome = _run_with_progress(cfg, extra)
    earlier = len(ResultStore(cfg.out).keys()) - outcome.total("computed")
    if earlier > 0:
        console.print(f"The table below holds every result stored in {cfg.out}: "
                      f"{earlier} of them were computed by earlier runs.")
    _print_summary(Path(cfg.out))
    errors = outcome.errors
    console.print(f"{outcome.total('computed')} results computed, "
                  f"{outcome.total('skipped')} already stored, {len(errors)} failed, "
                  f"in {outcome.duration_s:.1f} s")
    for message in errors[:10]:
        err_console.print(f"failed: {message}")
    folder = ResultStore(cfg.out).folder
    console.print(f"Results: {folder.resolve()} "
                  f"(query with DuckDB: read_parquet('{folder}/*.parquet'))")
    if report and outcome.total("computed") + outcome.total("skipped"):
        console.print(f"Report: {build_report(cfg.out).resolve()}")
    if errors:
        raise typer.Exit(1)
    if not outcome.total("computed") + outcome.total("skipped"):
        raise input_error("protocol", f"at least one fold on these data with {cfg.protocol!r}",
                          "no fold", hint="Cross-session needs two sessions per subject, "
                          "cross-subject two subjects; `neurocompare protocols` lists them.")


def _protocol_params(items: list[str]) -> dict[str, Any]:
    """``key=value`` strings -> splitter parameters (values are Python literals)."""
    params: dict[str, Any] = {}
    for item in items:
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or not key:
            raise input_error("--protocol-param", "key=value", item)
        if key in params:
            raise input_error("--protocol-param", f"{key} given once", item)
        params[key] = parse_value(f"--protocol-param {key}", value)
    return params


def _sanity(cfg: RunConfig) -> list[dict[str, Any]]:
    """Run the overfitting check of the deep pipelines, print it, return it as records."""
    results: list[SanityResult] = sanity_check(cfg)
    view = Table(title="Sanity: can each network overfit 40 training trials?")
    for column in ("dataset", "pipeline", "train accuracy", "epochs", "verdict"):
        view.add_column(column)
    for r in results:
        verdict = "pass" if r.passed else f"FAIL {r.error}".strip()
        view.add_row(r.dataset, r.pipeline, f"{r.train_accuracy:.3f}", str(r.epochs), verdict)
    console.print(view)
    failed = [r.pipeline for r in results if not r.passed]
    if failed:
        err_console.print(f"sanity: {', '.join(failed)} could not overfit a small training "
                          "set; their results will not show what deep learning can do")
    return [{**r.__dict__, "passed": r.passed} for r in results]


def _run_with_progress(cfg: RunConfig, extra: dict[str, Any] | None = None) -> RunOutcome:
    """Plan and run ``cfg`` with one progress bar over its work units."""
    units = plan(cfg)
    console.print(f"neurocompare {__version__}: {len(units)} work units, "
                  f"{len(cfg.pipelines)} pipelines, protocol {cfg.protocol}, seed {cfg.seed}")
    # no auto-refresh: its thread would make forking workers unsafe (see _parallel)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=False,
                  auto_refresh=False) as progress:
        task = progress.add_task("work units", total=len(units))

        def done(report) -> None:
            progress.update(task, advance=1, description=report.label)
            progress.refresh()

        return run_comparison(cfg, units, on_done=done, extra=extra)


@app.command("report")
def report_command(
    results: Annotated[Path, typer.Argument(help="Output folder of a run.")],
    metric: Annotated[str, typer.Option(
        help="Score to compare; auto: accuracy (classification), MAE (regression).")] = "auto",
) -> None:
    """Write the HTML report (figures, tables, statistics) of a stored run."""
    console.print(f"Report: {build_report(results, metric).resolve()}")


@app.command("explain")
def explain_command(
    results: Annotated[Path, typer.Argument(help="Output folder of a run.")],
    method: Annotated[list[str] | None, typer.Option(
        "--method", "-m", help="Method (repeatable); default permutation.")] = None,
    pipeline: Annotated[list[str] | None, typer.Option(
        "--pipeline", "-p", help="Only these pipelines (repeatable).")] = None,
    n_repeats: Annotated[int, typer.Option(help="Permutations per group.")] = 10,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.")] = 1,
    data_root: Annotated[Path | None, typer.Option(help=_DATA_ROOT_HELP)] = None,
) -> None:
    """Re-fit the stored run's folds and write importance tables, maps and the report."""
    set_data_root(data_root)
    if not ResultStore(results).keys():
        raise input_error("RESULTS", "the output folder of a run (with results)", str(results))
    summary_ = explain_results(results, tuple(method or ("permutation",)), pipeline,
                               n_repeats=n_repeats, jobs=jobs)
    console.print(f"Importances: {summary_}")
    console.print(f"Report: {build_report(results).resolve()}")


@app.command()
def summary(out: Annotated[Path, typer.Argument(help="Output folder of a run.")]) -> None:
    """Print the summary table of a stored run."""
    if not ResultStore(out).folder.is_dir():
        raise input_error("OUT", "the output folder of a run (with a results/ folder)", str(out))
    _print_summary(out)


@app.command()
def generate(
    generator: Annotated[list[str] | None, typer.Option(
        "--generator", "-g", help="Generator (repeatable), e.g. gen-lstm or "
                                  "'gen-ngram:order=4'; see `neurocompare generators`.")] = None,
    corpus: Annotated[str, typer.Option(
        "--corpus", "-c", help="smiles-union, or smiles-file:path='x.csv'.")] = "smiles-union",
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds (one split each).")] = "0,1,2",
    n_samples: Annotated[int, typer.Option(help="Strings drawn per generator and seed.")] = 10000,
    split: Annotated[str, typer.Option(help="random (as MOSES) or scaffold.")] = "random",
    fcd: Annotated[bool, typer.Option(help="Compute the Frechet ChemNet Distance.")] = True,
    device: Annotated[str, typer.Option(help="Torch device of the networks.")] = "cpu",
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.")] = 1,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("results"),
    data_root: Annotated[Path | None, typer.Option(help=_DATA_ROOT_HELP)] = None,
) -> None:
    """Compare molecule generators (deep vs traditional) on a SMILES corpus; write the report."""
    set_data_root(data_root)
    seed_list = [literal(s.strip()) for s in seeds.split(",") if s.strip()]
    config = GenerationConfig(corpus=corpus, generators=generator or ["gen-ngram", "gen-copy"],
                              seeds=seed_list, n_samples=n_samples, split=split, fcd=fcd,
                              device=device, jobs=jobs, out=out)
    outcome = run_generation(config)
    console.print(f"{outcome.computed} result(s) computed; {len(outcome.table)} stored under "
                  f"{outcome.out}")
    for failure in outcome.failed:
        err_console.print(f"failed: {failure['generator']} (seed {failure['seed']}): "
                          f"{failure['error']}")
    if not outcome.table.empty:
        console.print(f"Report: {build_generation_report(out).resolve()}")
    if outcome.failed:
        raise typer.Exit(1)


@app.command()
def generators() -> None:
    """List the registered molecule generators."""
    view = Table(title="Generators")
    for column in ("name", "family", "description"):
        view.add_column(column)
    for name, spec in GENERATOR_SPECS.items():
        view.add_row(name, spec.family, spec.description)
    console.print(view)


_NAME_HELP = "Show this one's parameters (type, default, description)."


@app.command()
def datasets(name: Annotated[str | None, typer.Argument(help=_NAME_HELP)] = None) -> None:
    """List the registered datasets and loaders, or describe one."""
    console.print(_listing.datasets(name))


@app.command()
def pipelines(name: Annotated[str | None, typer.Argument(help=_NAME_HELP)] = None) -> None:
    """List the registered pipelines with their family, or describe one."""
    console.print(_listing.pipelines(name))


@app.command()
def protocols(name: Annotated[str | None, typer.Argument(help=_NAME_HELP)] = None) -> None:
    """List the evaluation protocols, or describe one."""
    console.print(_listing.protocols(name))


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Log progress details.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Console entry point: user-input errors become one line and exit status 2."""
    code = 0
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # click's: an unknown option, a value of a wrong type
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is printed (typer's test)
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        _error_line(f"{exc.format_message()} (see `{ctx.command_path if ctx else 'neurocompare'}"
                    " --help`)")
    except typer.Abort:
        _error_line("aborted")
    except InputError as exc:
        _error_line(str(exc))
    sys.exit(code if isinstance(code, int) else 0)


def _error_line(message: str) -> None:
    """Write ``message`` as one ``error:`` line on stderr and exit with status 2."""
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    sys.exit(2)
