"""Shared fixtures: seeded generators, small simulated data, the real-data root."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from neurocompare.config import data_root
from neurocompare.data.simulated import SimulatedMotorImagery

warnings.filterwarnings("ignore", category=DeprecationWarning, module="braindecode")


def pytest_addoption(parser):
    parser.addoption("--run-network", action="store_true", default=False,
                     help="run tests that need network access")


#: Modules whose tests run whole comparisons (runner, worker processes, CLI, report) end to end.
E2E_MODULES = ("test_runner.py", "test_parallel.py", "test_probes.py", "test_report.py")


def pytest_collection_modifyitems(config, items):
    """Mark tests by what they need, so subsets can be chosen with ``-m`` (see the README):
    ``sklearn_checks`` (scikit-learn's generic estimator checks), ``e2e`` (whole runs),
    ``real_data`` (tests using the :func:`real_data` fixture); ``network`` tests are skipped
    unless ``--run-network``."""
    skip = pytest.mark.skip(reason="needs network; use --run-network")
    for item in items:
        module = item.path.name
        if module in ("test_estimator_checks.py", "test_estimator_checks_regression.py"):
            item.add_marker(pytest.mark.sklearn_checks)
        if module in E2E_MODULES:
            item.add_marker(pytest.mark.e2e)
        if "real_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_data)
        if "network" in item.keywords and not config.getoption("--run-network"):
            item.add_marker(skip)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def small_sim() -> SimulatedMotorImagery:
    """Two subjects (strong and null effect), 20 trials per class and session."""
    return SimulatedMotorImagery(n_subjects=2, n_trials_per_class=20, effects=(0.6, 0.0))


@pytest.fixture(scope="session")
def real_data():
    """The real-data root; tests needing it are skipped when absent, unless CI requires it
    (``NEUROCOMPARE_REQUIRE_DATA=1``), in which case they fail."""
    root = data_root()
    if not (root / "ssvep_exoskeleton").is_dir():
        message = f"real datasets not found under {root}"
        if os.environ.get("NEUROCOMPARE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return root
