"""Default BLAS/torch threads per worker: fast on a busy machine too (issue 20)."""

from __future__ import annotations

import pytest

from neurocompare.runner.plan import threads_per_unit


@pytest.mark.parametrize("jobs, cores, load, threads", [
    (1, 2, 0.0, 2), (1, 2, 1.2, 1), (1, 2, 5.0, 1), (2, 2, 0.0, 1), (2, 16, 4.0, 6),
    (4, 16, 0.0, 4), (32, 16, 0.0, 1),
])
def test_blas_threads_per_worker_leave_busy_cores_alone(jobs, cores, load, threads):
    assert threads_per_unit(jobs, cores=cores, load=load) == threads
