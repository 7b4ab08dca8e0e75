"""The explicit dataset registry: name -> dataset class.

Every dataset class declares its name, kind and description; :func:`make_dataset` builds
one from a name and parameters. Nothing is discovered by scanning modules.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from neurocompare._errors import input_error
from neurocompare._spec import parse_choice
from neurocompare.data.abide import ABIDECC200
from neurocompare.data.arrays import ArrayDataset
from neurocompare.data.base import Dataset
from neurocompare.data.bids import BIDSEEG
from neurocompare.data.bonn import BonnEpilepsy
from neurocompare.data.connectome import NiftiAtlas, TimeseriesFiles
from neurocompare.data.dti import KIBA, Davis
from neurocompare.data.files import EEGFiles
from neurocompare.data.moabb_adapter import MOABBDataset
from neurocompare.data.molecule_external import MoleculeExternal
from neurocompare.data.molecule_sets import (
    MoleculeFiles,
    MoleculeNetESOL,
    TDCBBBMartins,
    TDCClearanceMicrosomeAZ,
    TDCCYP3A4Veith,
)
from neurocompare.data.oasis import OASISCrossSectional, OASISLongitudinal
from neurocompare.data.physionet import PhysionetMI
from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.data.ssvep import SSVEPExoskeleton
from neurocompare.data.tabular import TabularFile

__all__ = ["DATASETS", "DEFAULT_DATASET", "make_dataset", "parse_dataset_spec"]

_CLASSES: list[type[Dataset]] = [
    SimulatedMotorImagery,
    SSVEPExoskeleton,
    BonnEpilepsy,
    EEGFiles,
    PhysionetMI,
    BIDSEEG,
    MOABBDataset,
    ArrayDataset,
    ABIDECC200,
    TimeseriesFiles,
    NiftiAtlas,
    OASISCrossSectional,
    OASISLongitudinal,
    TabularFile,
    TDCBBBMartins,
    TDCCYP3A4Veith,
    TDCClearanceMicrosomeAZ,
    MoleculeNetESOL,
    MoleculeFiles,
    MoleculeExternal,
    Davis,
    KIBA,
]

#: name -> dataset class, in listing order.
DATASETS: dict[str, type[Dataset]] = {cls.name: cls for cls in _CLASSES}
DEFAULT_DATASET = SimulatedMotorImagery.name


def make_dataset(name: str, **params: Any) -> Dataset:
    """Build the dataset registered as ``name`` with ``params``.

    Raises
    ------
    InputError
        Unknown name (the message lists the valid ones), unknown parameter or a required
        parameter missing.
    """
    if name not in DATASETS:
        raise input_error("dataset", f"one of {list(DATASETS)}", name,
                          hint="Run `neurocompare datasets` to list them.")
    cls = DATASETS[name]
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - fields)
    if unknown:
        raise input_error(f"dataset {name!r} parameters", f"some of {sorted(fields)}", unknown)
    required = [f.name for f in dataclasses.fields(cls) if f.init
                and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [field for field in required if field not in params]
    if missing:
        example = ",".join(f"{field}=..." for field in missing)
        raise input_error(f"dataset {name!r} parameters", f"values for {missing}",
                          sorted(params), hint=f'Give them as "{name}:{example}".')
    return cls(**params)


def parse_dataset_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Parse ``"name"`` or ``"name:key=value,key=value"`` (values as Python literals)."""
    return parse_choice(spec, "dataset")
