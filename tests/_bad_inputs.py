"""Helpers shared by the bad-input tests (``tests/test_bad_inputs*.py``): run the console entry
point in this process and check that a bad input ends as one ``error:`` line, exit status 2,
no traceback, and the results already stored untouched."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from neurocompare import cli
from neurocompare.config import DATA_ROOT_ENV, data_root
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, run_comparison

#: One subject, one session, 10 trials per class: plans and fails in well under a second.
TINY = "simulated-mi:n_subjects=1,n_sessions=1,n_trials_per_class=10"


def make_store(out: Path) -> Path:
    """A finished run of csp-lda on :data:`TINY` in ``out`` (5 stored results, the run
    recorded in ``runs.jsonl``)."""
    config = RunConfig(datasets=[("simulated-mi", {"n_subjects": 1, "n_sessions": 1,
                                                   "n_trials_per_class": 10})],
                       pipelines=["csp-lda"], out=out, jobs=1)
    run_comparison(config)
    assert len(ResultStore(out).keys()) == 5
    return out


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str
            ) -> tuple[int | None, str, str]:
    """Run ``neurocompare *args`` in this process; return exit code, stdout and stderr.

    The data-root variable is restored afterwards (``--data-root`` sets it)."""
    monkeypatch.setenv(DATA_ROOT_ENV, str(data_root()))
    monkeypatch.setattr(sys, "argv", ["neurocompare", *args])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    captured = capsys.readouterr()
    return stop.value.code, captured.out, captured.err


def assert_one_error_line(code: int | None, out: str, err: str,
                          message: str | tuple[str, ...]) -> None:
    """Exit status 2, one ``error:`` line on stderr holding ``message`` (each of several),
    no traceback."""
    lines = err.strip().splitlines()
    assert code == 2, (code, err[-2000:])
    assert len(lines) == 1 and lines[0].startswith("error: "), err[-2000:]
    for part in (message,) if isinstance(message, str) else message:
        assert part in lines[0], lines[0]
    assert "Traceback" not in out + err


def assert_bad_run_keeps_the_store(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture, store: Path, args: list[str],
                                   message: str | tuple[str, ...]) -> None:
    """``neurocompare run -o store ... args`` fails as one error line; the stored keys stay.
    (``args`` come last, so an option they repeat wins.)"""
    before = ResultStore(store).keys()
    code, out, err = run_cli(monkeypatch, capsys, "run", "-o", str(store), "--no-report",
                             "-j", "1", *args)
    assert_one_error_line(code, out, err, message)
    assert ResultStore(store).keys() == before
