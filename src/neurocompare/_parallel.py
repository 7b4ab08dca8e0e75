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

from neurocompare._errors import check_option

__all__ = ["START_METHODS", "fork_is_safe", "map_units", "mark_baseline", "os_threads",
           "parallel_map"]

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


def parallel_map(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int,
                 start_method: str = "auto") -> Iterator[Any]:
    """Yield ``fn(item)`` for every item, in completion order, from ``jobs`` processes.

    Parameters
    ----------
    fn : callable
        A module-level function (picklable for loky).
    items : iterable
    jobs : int
        Worker processes.
    start_method : {"auto", "fork", "loky"}
        How workers start (see the module docstring).
    """
    check_option("start_method", start_method, START_METHODS)
    items = list(items)
    use_fork = start_method == "fork" or (start_method == "auto" and fork_is_safe())
    logger.debug("%d worker processes, %s", jobs, "forked" if use_fork else "loky")
    if use_fork:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap_unordered(fn, items)
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(delayed(fn)(item) for item in items)


def map_units(fn: Callable[[Any], Any], items: Sequence[Any], *, jobs: int = 1,
              scheduler: str | None = None, start_method: str = "auto") -> Iterator[Any]:
    """Yield ``fn(item)`` for every item: on a Dask scheduler, in this process (``jobs=1``
    or a single item) or in ``jobs`` local processes (:func:`parallel_map`).

    Parameters
    ----------
    fn : callable
    items : sequence
    jobs : int
        Local worker processes (ignored with ``scheduler``).
    scheduler : str, optional
        Dask scheduler address (``tcp://host:port``).
    start_method : {"auto", "fork", "loky"}
    """
    if scheduler:
        from distributed import Client, as_completed

        with Client(scheduler) as client:
            futures = client.map(fn, items, pure=False)
            for future in as_completed(futures):
                yield future.result()
    elif jobs == 1 or len(items) <= 1:
        for item in items:
            yield fn(item)
    else:
        yield from parallel_map(fn, items, min(jobs, len(items)), start_method)
