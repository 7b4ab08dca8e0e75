"""Measuring what a fit or a prediction costs: wall time, CPU time, peak memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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
        Peak resident memory above the level at entry, in MiB, sampled every 5 ms.
    """

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mem_mb: float = 0.0


@contextmanager
def measure(interval: float = 0.005) -> Iterator[Cost]:
    """Measure the block's wall time, CPU time and peak resident memory.

    Yields a :class:`Cost` that is filled in when the block exits.
    """
    process = psutil.Process()
    base = process.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    cost = Cost()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sampler.start()
    try:
        yield cost
    finally:
        cost.wall_s = time.perf_counter() - wall0
        cost.cpu_s = time.process_time() - cpu0
        stop.set()
        sampler.join()
        peak[0] = max(peak[0], process.memory_info().rss)
        cost.peak_mem_mb = (peak[0] - base) / 2**20
