"""Measuring what a fit or a prediction costs: wall time, CPU time, peak memory."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

__all__ = ["Cost", "measure"]


@dataclass
class Cost:
    """Resources used inside a :func:`measure` block.

    Attributes
    ----------
    wall_s : float
        Elapsed wall-clock seconds.
    cpu_s : float
        Process CPU seconds (all threads; child processes excluded).
    peak_mem_mb : float
        Peak resident memory above the level at entry, in MiB (the kernel's exact
        high-water mark on Linux; sampled every 5 ms elsewhere).
    """

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mem_mb: float = 0.0


_STATUS = Path("/proc/self/status")
_STATM = Path("/proc/self/statm")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
#: Peaks (bytes) of the open measure() blocks of this process, innermost last.
_OPEN: list[list[int]] = []


def _high_water_mark() -> int | None:
    """The process's peak resident memory (Linux ``VmHWM``) in bytes, or None."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_high_water_mark() -> bool:
    """Reset ``VmHWM`` to the current resident size (Linux >= 4.0); False if not allowed."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _resident() -> int:
    """Resident memory in bytes: ``/proc/self/statm`` where it exists (cheap), else psutil."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return psutil.Process().memory_info().rss


@contextmanager
def _kernel_peak(base: int) -> Iterator[list[int]]:
    """Exact peak from the kernel's high-water mark, reset at entry. Blocks may nest: an
    inner block folds the mark reached so far into the outer blocks before resetting."""
    mark = _high_water_mark() or base
    for outer in _OPEN:
        outer[0] = max(outer[0], mark)
    _reset_high_water_mark()
    peak = [base]
    _OPEN.append(peak)
    try:
        yield peak
    finally:
        del _OPEN[next(i for i, f in enumerate(_OPEN) if f is peak)]
        mark = _high_water_mark() or base
        for frame in (*_OPEN, peak):
            frame[0] = max(frame[0], mark)


@contextmanager
def _sampled_peak(process: psutil.Process, base: int, interval: float) -> Iterator[list[int]]:
    """Peak sampled by a thread every ``interval`` seconds (where the kernel mark is not
    available or resettable)."""
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()
        peak[0] = max(peak[0], process.memory_info().rss)


_KERNEL_PEAK = _high_water_mark() is not None and _reset_high_water_mark()


@contextmanager
def measure(interval: float = 0.005) -> Iterator[Cost]:
    """Measure the block's wall time, CPU time and peak resident memory.

    On Linux the peak is exact: the kernel's high-water mark (``VmHWM``), reset at entry
    through ``/proc/self/clear_refs``; elsewhere a thread samples the resident size every
    ``interval`` seconds. Yields a :class:`Cost` that is filled in when the block exits.
    """
    base = _resident()
    tracker = _kernel_peak(base) if _KERNEL_PEAK \
        else _sampled_peak(psutil.Process(), base, interval)
    cost = Cost()
    with tracker as peak:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        try:
            yield cost
        finally:
            cost.wall_s = time.perf_counter() - wall0
            cost.cpu_s = time.process_time() - cpu0
    cost.peak_mem_mb = max(peak[0] - base, 0) / 2**20
