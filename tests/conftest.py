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


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="needs network; use --run-network")
    for item in items:
        if "network" in item.keywords:
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
