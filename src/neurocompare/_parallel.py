"""Local worker processes for the runner: forked when that is safe, loky otherwise.

A loky (spawned) worker starts a fresh interpreter and imports scikit-learn, pyRiemann,
PyTorch and the pipeline catalogues again, about 4 s of CPU per worker on this project's
2-core reference machine, and with 2 workers on 2 cores that is 4 s of wall time in which
nothing else runs. A forked worker inherits the parent's imports (and the subject the
planner already loaded) and starts in milliseconds.

Fork is not always safe: GNU OpenMP (libgomp, which PyTorch's CPU build uses for intra-op
parallelism) leaves a forked child hanging on its first parallel region if the parent had
already run one. The ``"auto"`` start method therefore forks only when

* the platform is Linux (``fork`` is the native start method),
* PyTorch was not imported before neurocompare itself (so no torch work can have run
  before we started watching), and
* the process has no more OS threads than it had when :mod:`neurocompare.runner` finished
  importing (:func:`mark_baseline`): an OpenMP thread pool started by any torch (or other
  OpenMP) computation since then adds threads and switches the run to loky.

The command-line run satisfies all three (its main process plans, it never trains);
library users who train in the same process get loky, and ``start_method="loky"`` or
``"fork"`` overrides the choice.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from neurocompare._errors import check_option, input_error

__all__ = ["START_METHODS", "fork_is_safe", "map_units", "mark_baseline", "os_threads"]

logger = logging.getLogger(__name__)

#: Accepted values of ``start_method``.
START_METHODS = ("auto", "fork", "loky")

#: Was PyTorch imported before the neurocompare package? (set when this module is imported,
#: which the package's ``__init__`` does first).
TORCH_PRELOADED = "torch" in sys.modules
_BASELINE: dict[str, int] = {}


def os_threads() -> int:
    """Number of OS threads of this process (from ``/proc``; -1 where unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def mark_baseline() -> None:
    """Record the thread count after the heavy imports (called by :mod:`neurocompare.runner`)."""
    _BASELINE.setdefault("threads", os_threads())


def fork_is_safe() -> bool:
    """Whether ``"auto"`` may fork workers now (see the module docstring)."""
    baseline = _BASELINE.get("threads", -1)
    now = os_threads()
    return (sys.platform.startswith("linux") and not TORCH_PRELOADED
            and "fork" in multiprocessing.get_all_start_methods()
            and baseline > 0 and 0 < now <= baseline)


def _local_processes(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int,
                     fork: bool) -> Iterator[Any]:
    """Yield ``fn(item)`` in completion order from ``jobs`` forked or loky processes."""
    logger.debug("%d worker processes, %s", jobs, "forked" if fork else "loky")
    if fork:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap_unordered(fn, items)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(fn)(item) for item in items)


def _in_process(fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    for item in items:
        yield fn(item)


#: Seconds to wait for a Dask scheduler to answer before reporting it unreachable.
CONNECT_TIMEOUT_S = 10


def _on_dask(fn: Callable[[Any], Any], items: Sequence[Any], scheduler: str) -> Iterator[Any]:
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise input_error("scheduler", "a Dask scheduler that answers within "
                          f"{CONNECT_TIMEOUT_S} s", scheduler,
                          hint=f"{type(exc).__name__}: {exc}") from exc
    with client:
        futures = client.map(fn, items, pure=False)
        for future in as_completed(futures):
            yield future.result()


def map_units(fn: Callable[[Any], Any], items: Iterable[Any], *, jobs: int = 1,
              scheduler: str | None = None, start_method: str = "auto") -> Iterator[Any]:
    """Yield ``fn(item)`` for every item (in completion order): on a Dask scheduler, in
    this process (``jobs=1`` or a single item) or in ``jobs`` local processes, forked or
    loky as ``start_method`` says (see the module docstring).

    Parameters
    ----------
    fn : callable
        A module-level function (picklable for loky and Dask).
    items : iterable
    jobs : int
        Local worker processes (ignored with ``scheduler``).
    scheduler : str, optional
        Dask scheduler address (``tcp://host:port``).
    start_method : {"auto", "fork", "loky"}
        Checked here, before anything runs.
    """
    check_option("start_method", start_method, START_METHODS)
    items = list(items)
    if scheduler:
        return _on_dask(fn, items, scheduler)
    if jobs == 1 or len(items) <= 1:
        return _in_process(fn, items)
    fork = start_method == "fork" or (start_method == "auto" and fork_is_safe())
    return _local_processes(fn, items, min(jobs, len(items)), fork)
