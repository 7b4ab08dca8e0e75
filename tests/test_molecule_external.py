"""External validation: the molecule-external dataset and the external protocol."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from neurocompare._errors import InputError
from neurocompare.data.molecule_external import (
    MOLECULE_SETS,
    MoleculeExternal,
    scaffold_novelty,
)
from neurocompare.data.molecules import scaffold_smiles
from neurocompare.data.registry import DATASETS, make_dataset, parse_dataset_spec
from neurocompare.protocols.external import ExternalSplit, subsample_rows
from neurocompare.protocols.registry import PROTOCOLS, make_splitter
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan

# 12 training molecules; the test set shares 2 structures with them, each written in another
# form (ethanol as "OCC", acetic acid as its sodium salt), which the loaders canonicalise.
TRAIN = pd.DataFrame({
    "smiles": ["c1ccccc1O", "CC(=O)O", "CCO", "c1ccc2ccccc2c1", "Cc1ccccc1", "CCCCCC",
               "C1CCCCC1", "c1ccncc1", "CCN", "CC(C)O", "OC(=O)c1ccccc1", "CCOC(C)=O"],
    "target": [1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0]})
TEST = pd.DataFrame({
    "smiles": ["OCC", "[Na+].CC(=O)[O-]", "c1ccc2[nH]ccc2c1", "CCCCO", "Clc1ccccc1",
               "C1CCNCC1", "CCCl", "Nc1ccccc1"],
    "activity": [0, 1, 1, 0, 1, 0, 0, 1],
    "cid": ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"]})
KEPT_TEST = ["c1ccc2[nH]ccc2c1", "CCCCO", "Clc1ccccc1", "C1CCNCC1", "CCCl", "Nc1ccccc1"]


@pytest.fixture
def pair(tmp_path):
    """Labels of the two CSVs (the test side's inner parameters separated by ';')."""
    TRAIN.to_csv(tmp_path / "train.csv", index=False)
    TEST.to_csv(tmp_path / "test.csv", index=False)
    return (f"molecule-files:path={tmp_path / 'train.csv'}",
            f"molecule-files:path={tmp_path / 'test.csv'};target_column=activity;"
            "id_column=cid")


def _write(tmp_path, name, frame):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return f"molecule-files:path={path}"


def test_loads_both_removes_and_reports_the_overlap(pair, caplog):
    spec = f"molecule-external:train={pair[0]},test={pair[1]}"  # as the CLI parses it
    name, params = parse_dataset_spec(spec)
    dataset = make_dataset(name, **params)
    assert isinstance(dataset, MoleculeExternal) and dataset.subjects() == ["all"]
    assert pair[0] in dataset.description and "tested on" in dataset.description
    assert [p.name for p in dataset.files()] == ["train.csv", "test.csv"]
    with caplog.at_level(logging.WARNING):
        data = dataset.load_subject("all")
    assert "removed 2 test structures also in train" in caplog.text
    meta = data.metadata
    assert meta["source"].tolist() == ["train"] * 12 + ["test"] * 6
    assert (meta["subject"] == "all").all() and len(data.X) == len(data.y) == 18
    assert data.X[12:].tolist() == KEPT_TEST and data.y[12:].tolist() == [1, 0, 1, 0, 0, 1]
    assert data.y[:12].tolist() == TRAIN["target"].tolist()
    assert meta["mol_id"].iloc[12:].tolist() == ["t3", "t4", "t5", "t6", "t7", "t8"]
    assert not set(data.X[12:]) & set(data.X[:12])  # no structure on both sides
    info = data.info
    assert info.kind == "molecules" and info.task == "classification"
    assert info.class_names == ("0", "1")
    overlap = info.extra["external_overlap"]
    assert overlap["count"] == 2 and overlap["mol_ids"] == ["t1", "t2"]
    assert overlap["source_rows"] == [1, 2] and overlap["smiles"] == ["CCO", "CC(=O)O"]
    assert overlap["n_disagreeing"] == 1  # acetic acid: 0 in train, 1 in test
    assert info.extra["n_test_loaded"] == 8 and info.extra["n_test"] == 6
    # indole and piperidine are new ring systems; benzene and the acyclic "" are not
    assert info.extra["external_scaffolds"] == {
        "n_test_scaffolds": 4, "n_unseen_scaffolds": 2, "n_test_molecules": 6,
        "n_molecules_unseen_scaffold": 2, "fraction_molecules_unseen_scaffold": 2 / 6}


def test_scaffold_novelty_agrees_with_a_direct_count(rng):
    pool = ["c1ccccc1", "", "C1CCCCC1", "c1ccncc1", "C1CCNCC1", "c1ccc2ccccc2c1"]
    train = rng.choice(pool[:4], 30).tolist()
    test = rng.choice(pool, 40).tolist()
    report = scaffold_novelty(train, test)
    unseen = [s for s in test if s not in train]
    assert report["n_molecules_unseen_scaffold"] == len(unseen)
    assert report["n_unseen_scaffolds"] == len(set(unseen)) == len(set(test) - set(pool[:4]))
    assert scaffold_smiles("c1ccc2[nH]ccc2c1") == "c1ccc2[nH]ccc2c1"  # indole: its own ring


def test_regression_pair_and_unit_checks(tmp_path, caplog):
    values = np.round(np.linspace(-3.0, 1.5, 12), 3)
    train = _write(tmp_path, "train.csv", TRAIN.assign(target=values))
    test = _write(tmp_path, "test.csv", TEST.drop(columns="cid").rename(
        columns={"activity": "target"}).assign(target=np.linspace(0.1, 2.2, 8)))
    with caplog.at_level(logging.WARNING):
        data = MoleculeExternal(train=train, test=test).load_subject("all")
    assert data.info.task == "regression" and data.y.dtype == np.float64
    assert data.info.extra["external_overlap"]["n_disagreeing"] == 2
    assert data.info.extra["train_target_units"] == "" and "units of train and test" \
        in caplog.text
    # the published loaders declare their units: read tiny copies through root=
    (tmp_path / "az").mkdir()
    (tmp_path / "esol").mkdir()
    TRAIN.rename(columns={"smiles": "Drug", "target": "Y"}).assign(
        Y=np.linspace(3, 150, 12), Drug_ID=[f"a{i}" for i in range(12)]).to_csv(
        tmp_path / "az" / "clearance_microsome_az.csv", index=False)
    TEST.drop(columns=["activity", "cid"]).assign(**{
        "measured log solubility in mols per litre": np.linspace(-4, 0, 8),
        "Compound ID": [f"e{i}" for i in range(8)]}).to_csv(
        tmp_path / "esol" / "delaney-processed.csv", index=False)
    az = f"tdc-clearance-microsome-az:root={tmp_path / 'az'}"
    esol = f"moleculenet-esol:root={tmp_path / 'esol'}"
    with pytest.raises(InputError, match=r"test: expected target units 'mL/min/g'.*"
                                         r"got 'log10\(mol/L\)'"):
        MoleculeExternal(train=az, test=esol).load_subject("all")
    with pytest.raises(InputError, match=r"'log10\(mL/min/g\)'.*got 'log10\(mol/L\)'"):
        MoleculeExternal(train=az + ";log_target=True", test=esol).load_subject("all")
    paired = MoleculeExternal(train=az, test=test).load_subject("all")  # test units unknown
    assert paired.info.extra["target_units"] == "mL/min/g"
    assert paired.info.extra["train_target_units"] == "mL/min/g"


def test_task_class_and_label_errors_name_test(pair, tmp_path):
    regression = _write(tmp_path, "reg.csv", TEST.drop(columns="cid").rename(
        columns={"activity": "target"}).assign(target=np.linspace(0.1, 2.2, 8)))
    with pytest.raises(InputError, match=r"^test: expected a classification dataset, as "
                                         r"train .* got 'a regression dataset"):
        MoleculeExternal(train=pair[0], test=regression).load_subject("all")
    letters = _write(tmp_path, "letters.csv", TEST.assign(
        target=np.where(TEST["activity"] == 1, "active", "inactive")))
    with pytest.raises(InputError, match=r"^test: expected class names \['0', '1'\].*got "
                                         r"\['active', 'inactive'\]"):
        MoleculeExternal(train=pair[0], test=letters).load_subject("all")
    with pytest.raises(InputError, match="all 12 test structures also in train"):
        MoleculeExternal(train=pair[0], test=pair[0]).load_subject("all")
    with pytest.raises(InputError, match=r"^train: expected a molecule dataset label"):
        MoleculeExternal(test=pair[1]).load_subject("all")
    with pytest.raises(InputError, match=r"^test: expected a molecule dataset, one of"):
        MoleculeExternal(train=pair[0], test="simulated-mi").load_subject("all")
    with pytest.raises(InputError, match=r"test \(molecule-files\) parameters.*\['colour'\]"):
        MoleculeExternal(train=pair[0], test=pair[1] + ";colour=1").load_subject("all")


def test_every_registered_molecule_set_can_be_a_side():
    assert DATASETS["molecule-external"] is MoleculeExternal and "external" in PROTOCOLS
    molecules = {n for n, cls in DATASETS.items() if cls.kind == "molecules"}
    assert set(MOLECULE_SETS) == molecules - {"molecule-external"}


def _source_metadata(n_train=40, n_test=12):
    """Train and test rows interleaved (shuffled), 20 of each class among the training rows."""
    meta = pd.DataFrame({"subject": "all", "session": "0", "run": "0",
                         "source": ["train"] * n_train + ["test"] * n_test,
                         "y": np.r_[np.tile([0, 1], n_train // 2), np.tile([0, 1], n_test // 2)]})
    meta = meta.sample(frac=1, random_state=0).reset_index(drop=True)
    return meta.drop(columns="y"), meta["y"].to_numpy()


def test_external_protocol_single_fold_and_subsampled_repeats():
    meta, y = _source_metadata()
    train = np.flatnonzero(meta["source"] == "train")
    test = np.flatnonzero(meta["source"] == "test")
    (fold,) = make_splitter("external", seed=3).folds(meta, y)
    assert fold.id == "external" and fold.extra == {}
    assert fold.train.tolist() == train.tolist() and fold.test.tolist() == test.tolist()
    repeats = list(make_splitter("external", seed=3, n_repeats=4).folds(meta, y))
    assert [f.id for f in repeats] == [f"external/repeat={r}" for r in range(4)]
    assert len({tuple(f.train) for f in repeats}) == 4  # each repeat its own subsample
    for r, f in enumerate(repeats):
        assert set(f.train) < set(train) and f.test.tolist() == test.tolist()
        assert np.bincount(y[f.train]).tolist() == [18, 18]  # 90 % of 20 per class
        assert f.extra == {"repeat": r, "subsample_seed": 3 + r, "subsample": 0.9}
    again = list(ExternalSplit(n_repeats=4, random_state=3).folds(meta, y))
    assert [f.train.tolist() for f in again] == [f.train.tolist() for f in repeats]
    rows = subsample_rows(np.arange(10), np.linspace(0, 1, 10), 0.5, seed=0)
    assert len(rows) == 5 and len(set(rows)) == 5  # float targets: one plain draw
    # the meta table of tests/test_protocols.py with a source column (the suggested change)
    grid = pd.DataFrame([{"subject": s, "session": "0", "run": "0",
                          "source": "train" if t < 15 else "test"}
                         for s in range(1, 6) for t in range(20)])
    folds = list(make_splitter("external", seed=3).folds(grid, np.zeros(len(grid))))
    assert len(folds) == 1 and not set(folds[0].train) & set(folds[0].test)


def test_external_protocol_errors():
    meta, y = _source_metadata()
    with pytest.raises(InputError, match=r"metadata column 'source'.*molecule-external"):
        list(make_splitter("external").folds(meta.drop(columns="source"), y))
    with pytest.raises(InputError, match=r"only 'train' and 'test'.*\['valid'\]"):
        list(make_splitter("external").folds(meta.assign(source="valid"), y))
    with pytest.raises(InputError, match="rows of both 'train' and 'test'"):
        list(make_splitter("external").folds(meta.assign(source="train"), y))
    with pytest.raises(InputError, match="n_repeats: expected a positive integer"):
        list(make_splitter("external", n_repeats=0).folds(meta, y))
    with pytest.raises(InputError, match="subsample: expected a fraction in"):
        list(make_splitter("external", n_repeats=2, subsample=1.0).folds(meta, y))


def test_runner_end_to_end_stores_the_de_overlapped_test_size(pair, tmp_path, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    config = RunConfig(datasets=[("molecule-external", {"train": pair[0], "test": pair[1]})],
                       pipelines=["mol-morgan-linear"], protocol="external",
                       out=tmp_path / "out", jobs=1, seed=0)
    units = plan(config)
    assert len(units) == 1 and units[0].fold_index == 0
    reports = execute(units, jobs=1)
    assert not [e for r in reports for e in r.errors]
    table = ResultStore(tmp_path / "out").table()
    assert len(table) == 1
    row = table.iloc[0]
    assert row["n_test"] == 6 and row["n_train"] == 12 and row["fold"] == "external"
    assert row["dataset"] == "molecule-external" and 0 <= row["accuracy"] <= 1
    # repeats: one unit each, same test molecules, 5 of the 6 training molecules per class
    repeated = RunConfig(**{**vars(config), "protocol_params": {"n_repeats": 2},
                            "out": tmp_path / "repeats"})
    execute(plan(repeated), jobs=1)
    table = ResultStore(tmp_path / "repeats").table().sort_values("fold")
    assert table["fold"].tolist() == ["external/repeat=0", "external/repeat=1"]
    assert table["n_test"].tolist() == [6, 6] and table["n_train"].tolist() == [10, 10]
    assert table["subsample_seed"].tolist() == [0.0, 1.0]
