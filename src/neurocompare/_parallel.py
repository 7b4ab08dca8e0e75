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

A worker process that dies (killed by the kernel's out-of-memory killer, a signal, a crash
in native code) must not stop the run nor lose the other items. Forked workers are one
process per item, at most ``jobs`` at a time (a fork costs milliseconds), so a death is
that item's: its result is built by the caller's ``lost`` function. A loky pool that breaks
takes the items it was running with it; each is run again alone, and one that breaks its
pool again is ``lost``. On Dask the scheduler moves an item whose worker died to another
worker, and reports it ``lost`` when workers keep dying on it (``KilledWorker``).
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
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


#: Builds the result of an item whose worker process died, from the item and the reason.
Lost = Callable[[Any, str], Any]


def _raise_lost(item: Any, reason: str) -> Any:
    raise RuntimeError(f"a worker process died running {item!r}: {reason}")


def _child(fn: Callable[[Any], Any], item: Any,
           conn: multiprocessing.connection.Connection) -> None:
    """Body of a forked worker: send back ``(True, fn(item))`` or ``(False, exception)``."""
    try:
        outcome = (True, fn(item))
    except BaseException as exc:  # handed to the parent, which raises it
        outcome = (False, exc)
    conn.send(outcome)
    conn.close()


def _forked(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int,
            lost: Lost) -> Iterator[Any]:
    """Yield ``fn(item)`` in completion order, each item in its own forked process, at most
    ``jobs`` at a time; an item whose process dies without answering is ``lost``."""
    context = multiprocessing.get_context("fork")
    todo = list(reversed(items))
    running: dict[Any, tuple[Any, int, Any]] = {}  # connection -> (process, slot, item)
    try:
        while todo or running:
            free = sorted(set(range(1, jobs + 1)) - {slot for _, slot, _ in running.values()})
            for slot in free[:len(todo)]:
                item = todo.pop()
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(fn, item, send), daemon=True,
                                          name=f"ForkPoolWorker-{slot}")
                process.start()
                send.close()
                running[receive] = (process, slot, item)
            for receive in multiprocessing.connection.wait(list(running)):
                process, _, item = running.pop(receive)
                try:
                    ok, value = receive.recv()
                except EOFError:  # the process ended without answering: it died
                    process.join()
                    yield lost(item, f"its worker process {process.name} died (exit code "
                                     f"{process.exitcode})")
                    continue
                finally:
                    receive.close()
                process.join()
                if not ok:
                    raise value
                yield value
    finally:  # interrupted (or an item raised): stop the others now
        for process, _, _ in running.values():
            process.terminate()
            process.join()


def _loky(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int,
          lost: Lost) -> Iterator[Any]:
    """Yield ``fn(item)`` in completion order from ``jobs`` loky processes, at most ``jobs``
    items in flight; items of a pool that broke run again alone, and are ``lost`` if their
    own pool breaks too."""
    from joblib.externals.loky import get_reusable_executor

    todo, again = list(reversed(items)), []
    running: dict[Any, Any] = {}
    while todo or running:
        executor = get_reusable_executor(max_workers=jobs, timeout=300)
        while todo and len(running) < jobs:
            item = todo.pop()
            running[executor.submit(fn, item)] = item
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            item = running.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                logger.warning("a worker process died (%s); its items run again, one at a "
                               "time", exc)
                again.append(item)
                continue
            yield result
    for item in again:
        try:
            yield get_reusable_executor(max_workers=1, timeout=300).submit(fn, item).result()
        except BrokenProcessPool as exc:
            yield lost(item, f"its worker process died twice ({exc})")


def _local_processes(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int,
                     fork: bool, lost: Lost) -> Iterator[Any]:
    """Yield ``fn(item)`` in completion order from ``jobs`` forked or loky processes."""
    logger.debug("%d worker processes, %s", jobs, "forked" if fork else "loky")
    return _forked(fn, items, jobs, lost) if fork else _loky(fn, items, jobs, lost)


def _in_process(fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    for item in items:
        yield fn(item)


#: Seconds to wait for a Dask scheduler to answer before reporting it unreachable.
CONNECT_TIMEOUT_S = 10


def _on_dask(fn: Callable[[Any], Any], items: Sequence[Any], scheduler: str,
             on_connect: Callable[[Any], None] | None, lost: Lost) -> Iterator[Any]:
    from distributed import Client, KilledWorker, as_completed

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise input_error("scheduler", "a Dask scheduler that answers within "
                          f"{CONNECT_TIMEOUT_S} s", scheduler,
                          hint=f"{type(exc).__name__}: {exc}") from exc
    with client:
        if on_connect is not None:
            on_connect(client)
        futures = client.map(fn, items, pure=False)
        item_of = {future.key: item for future, item in zip(futures, items, strict=True)}
        for future in as_completed(futures):
            try:
                yield future.result()
            except KilledWorker as exc:
                yield lost(item_of[future.key], f"Dask workers died running it ({exc})")


def map_units(fn: Callable[[Any], Any], items: Iterable[Any], *, jobs: int = 1,
              scheduler: str | None = None, start_method: str = "auto",
              lost: Lost = _raise_lost,
              on_connect: Callable[[Any], None] | None = None) -> Iterator[Any]:
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
    lost : callable, optional
        ``lost(item, reason)`` gives the result of an item whose worker process died (see
        the module docstring); by default that raises ``RuntimeError``.
    on_connect : callable, optional
        Called with the Dask ``Client`` once connected, before any item is sent (checks of
        what the workers see).
    """
    check_option("start_method", start_method, START_METHODS)
    items = list(items)
    if scheduler:
        return _on_dask(fn, items, scheduler, on_connect, lost)
    if jobs == 1 or len(items) <= 1:
        return _in_process(fn, items)
    fork = start_method == "fork" or (start_method == "auto" and fork_is_safe())
    return _local_processes(fn, items, min(jobs, len(items)), fork, lost)
