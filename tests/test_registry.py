"""Registries are explicit and complete: every item is tested, builds offline, no warnings."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from neurocompare.data.registry import DATASETS
from neurocompare.pipelines.registry import PIPELINES
from neurocompare.pipelines.spec import FAMILIES
from tests.estimator_cases import CASES, check_info

ROOT = Path(__file__).resolve().parents[1]


def test_every_pipeline_has_a_test_case():
    assert set(PIPELINES) == set(CASES)


@pytest.mark.parametrize("name", list(PIPELINES))
def test_every_pipeline_builds_offline_without_warnings(name):
    spec = PIPELINES[name]
    assert spec.family in FAMILIES and spec.description
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator = spec.build(check_info(name))
    assert hasattr(estimator, "fit") and hasattr(estimator, "predict")


def test_every_dataset_is_tested():
    """Each registered dataset class is exercised by a test module that names it."""
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    for name, cls in DATASETS.items():
        assert cls.__name__ in sources, f"{name} ({cls.__name__}) has no test"
        assert cls.description and cls.kind


def test_readme_tables_are_generated_from_the_registries():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "registry_tables.py"),
                           "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
