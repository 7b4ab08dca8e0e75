"""Molecule data: standardisation, scaffolds, duplicate merging, the loaders and their errors."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from neurocompare._errors import InputError
from neurocompare.data.molecule_sets import (
    MoleculeFiles,
    MoleculeNetESOL,
    TDCBBBMartins,
    TDCClearanceMicrosomeAZ,
    TDCCYP3A4Veith,
)
from neurocompare.data.molecules import (
    merge_duplicates,
    scaffold_smiles,
    standardize_column,
    standardize_smiles,
)
from neurocompare.data.registry import DATASETS, make_dataset

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
DIAZEPAM = "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21"


# -- pure functions --------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "expected"), [
    ("[Na+].CC(=O)[O-]", "CC(=O)O"),                 # salt stripped, acid neutralised
    ("Cl.CCN", "CCN"),                               # hydrochloride stripped
    ("CC[NH3+].[Cl-]", "CCN"),                       # ammonium neutralised
    ("C[N+](C)(C)C.[Cl-]", "C[N+](C)(C)C"),          # quaternary: no neutral form
    ("OC(=O)c1ccccc1OC(C)=O", ASPIRIN),              # canonical form of another spelling
    ("C[C@H](N)C(=O)O", "C[C@H](N)C(=O)O"),          # stereochemistry kept
])
def test_standardize_smiles_known_examples(raw, expected):
    assert standardize_smiles(raw) == expected


def test_standardize_false_only_canonicalises_and_bad_smiles_give_none():
    assert standardize_smiles("[Na+].CC(=O)[O-]", standardize=False) == "CC(=O)[O-].[Na+]"
    for bad in ("C1CC", "not a smiles", "", None, float("nan")):
        assert standardize_smiles(bad) is None


def test_scaffold_of_known_drugs_as_tdc_computes_it():
    assert scaffold_smiles(DIAZEPAM) == "O=C1CN=C(c2ccccc2)c2ccccc2N1"  # benzodiazepine core
    assert scaffold_smiles(ASPIRIN) == "c1ccccc1"
    assert scaffold_smiles("CCCCO") == ""                               # acyclic
    # chirality ignored, as in TDC's includeChirality=False
    assert scaffold_smiles("C[C@H]1CCCN1c1ccccc1") == scaffold_smiles("C[C@@H]1CCCN1c1ccccc1")
    with pytest.raises(InputError, match="molecule: expected a SMILES RDKit can parse"):
        scaffold_smiles("C1CC")


def test_standardize_column_reports_unparsable_rows_by_source_number(caplog):
    smiles = [ASPIRIN, "C1CC", "Cl.CCN", None, DIAZEPAM]
    with caplog.at_level(logging.WARNING):
        column = standardize_column(smiles, rows=[10, 11, 12, 13, 14], source="x.csv")
    assert column.keep.tolist() == [0, 2, 4]
    assert column.smiles.tolist() == [ASPIRIN, "CCN", standardize_smiles(DIAZEPAM)]
    assert column.scaffolds.tolist() == ["c1ccccc1", "", scaffold_smiles(DIAZEPAM)]
    assert column.report["n_unparsable"] == 2
    assert [b["row"] for b in column.report["dropped_unparsable"]] == [11, 13]
    assert "x.csv: dropped 2 of 5 rows" in caplog.text and "[11, 13]" in caplog.text
    with pytest.raises(InputError, match=r"x.csv: column 'smi': expected at least one SMILES"):
        standardize_column(["C1CC", "xx"], source="x.csv", column="smi")


def _duplicate_table(rng):
    """60 distinct alkanes/alcohols, 10 of them repeated 2-3 times."""
    base = [f"C{'C' * k}O" for k in range(30)] + [f"C{'C' * k}N" for k in range(30)]
    order = np.concatenate([np.arange(60), rng.choice(10, 15)])
    return [base[i] for i in order], order


def test_merge_duplicates_regression_means_and_reports_spread(rng):
    smiles, order = _duplicate_table(rng)
    truth = rng.normal(size=60)
    y = truth[order] + np.where(np.arange(len(order)) >= 60, rng.normal(0, 1, len(order)), 0)
    merged = merge_duplicates(smiles, y, "regression", tolerance=0.5)
    assert len(merged.keep) == 60 and merged.keep.tolist() == list(range(60))
    for i, members in enumerate(merged.members):
        assert set(order[members]) == {i}
        assert merged.y[i] == pytest.approx(np.mean(y[members]))
    report = merged.report
    repeated = {i for i in order[60:]}
    assert report["n_duplicate_groups"] == len(repeated)
    assert report["n_rows_merged"] == 15
    spreads = {s["smiles"]: s["spread"] for s in report["duplicate_spread"]}
    for i in repeated:
        width = np.ptp(y[order == i])
        assert (smiles[i] in spreads) == (width > 0.5)
    # rows reported by their 1-based source numbers
    first = report["merged_duplicates"][0]
    assert first["rows"] == [int(p) + 1 for p in np.flatnonzero(np.asarray(smiles)
                                                               == first["smiles"])]


def test_merge_duplicates_classification_drops_conflicts(caplog):
    smiles = ["CCO", "CCN", "CCO", "CCC", "CCN", "CCO", "CCCl"]
    labels = ["a", "b", "a", "b", "a", "a", "b"]
    with caplog.at_level(logging.WARNING):
        merged = merge_duplicates(smiles, labels, "classification",
                                  rows=[2, 3, 4, 5, 6, 7, 8], source="t.csv")
    assert merged.keep.tolist() == [0, 3, 6]           # CCO merged, CCN dropped
    assert merged.y.tolist() == ["a", "b", "b"]
    assert merged.report["conflicting_labels"] == [
        {"smiles": "CCN", "rows": [3, 6], "labels": ["b", "a"]}]
    assert merged.report["merged_duplicates"] == [
        {"smiles": "CCO", "rows": [2, 4, 7], "value": "a"}]
    assert "dropped 1 structures with conflicting labels" in caplog.text
    with pytest.raises(InputError, match="task: expected one of"):
        merge_duplicates(smiles, labels, "ranking")


# -- molecule-files: round trips and errors ------------------------------------------------
def _table(tmp_path, frame, name="mols.csv", sep=","):
    path = tmp_path / name
    frame.to_csv(path, sep=sep, index=False)
    return path


def test_molecule_files_csv_round_trip(tmp_path, caplog):
    frame = pd.DataFrame({
        "SMILES": [ASPIRIN, "[Na+].CC(=O)[O-]", "C1CC", DIAZEPAM, "CC(=O)O", "CCCCO",
                   "c1ccccc1O"],
        "pIC50": [5.0, 6.0, 7.0, 8.0, 6.5, 4.25, 4.75],
        "cid": [101, 102, 103, 104, 105, 106, 107],
        "assayed": ["2020-01-05", "2019-03-01", "2021-01-01", "2018-06-30", "2017-01-01",
                    "2022-02-02", "2016-05-05"]})
    path = _table(tmp_path, frame, "mols.tsv", sep="\t")
    dataset = MoleculeFiles(path=str(path), smiles_column="SMILES", target_column="pIC50",
                            task="regression", id_column="cid", date_column="assayed")
    with caplog.at_level(logging.WARNING):
        data = dataset.load_subject("all")
    assert data.info.kind == "molecules" and data.info.task == "regression"
    assert data.X.tolist() == [ASPIRIN, "CC(=O)O", standardize_smiles(DIAZEPAM), "CCCCO",
                               "Oc1ccccc1"]
    assert data.y.tolist() == [5.0, 6.25, 8.0, 4.25, 4.75]        # acetate salt + acid averaged
    meta = data.metadata
    assert meta[["subject", "session", "run"]].drop_duplicates().values.tolist() == [
        ["all", "0", "0"]]
    assert meta["mol_id"].tolist() == ["101", "102", "104", "106", "107"]
    assert meta["source_row"].tolist() == [1, 2, 4, 6, 7]
    assert meta["scaffold"].tolist() == ["c1ccccc1", "", scaffold_smiles(DIAZEPAM), "",
                                         "c1ccccc1"]
    assert meta["date"].iloc[1] == pd.Timestamp("2017-01-01")     # earliest of the merged
    extra = data.info.extra
    assert extra["n_rows_read"] == 7 and extra["n_unparsable"] == 1
    assert extra["dropped_unparsable"] == [{"row": 3, "smiles": "C1CC"}]
    assert extra["merged_duplicates"] == [{"smiles": "CC(=O)O", "rows": [2, 5], "value": 6.25}]
    assert extra["n_molecules"] == 5
    assert "dropped 1 of 7 rows" in caplog.text and "merged 1 duplicated" in caplog.text


def test_molecule_files_auto_task_and_class_order(tmp_path):
    frame = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC", "c1ccccc1", "C1CCCCC1", "CCCl"],
                          "target": [1, 0, 1, 0, 10, 10]})
    data = MoleculeFiles(path=str(_table(tmp_path, frame))).load_subject("all")
    assert data.info.task == "classification"
    assert data.info.class_names == ("0", "1", "10")                  # numeric order
    assert data.y.tolist() == [1, 0, 1, 0, 2, 2]
    assert data.metadata["mol_id"].tolist() == ["1", "2", "3", "4", "5", "6"]
    frame["target"] = [0.5, 1.5, 2.0, 3.0, 4.0, 5.0]
    data = MoleculeFiles(path=str(_table(tmp_path, frame))).load_subject("all")
    assert data.info.task == "regression" and data.info.class_names == ()


def test_molecule_files_sdf_round_trip(tmp_path):
    path = tmp_path / "mols.sdf"
    molecules = [("asp", ASPIRIN, 1.5), ("dia", DIAZEPAM, 2.5), ("eth", "CCO", 0.5)]
    with Chem.SDWriter(str(path)) as writer:
        for name, smiles, value in molecules:
            mol = Chem.MolFromSmiles(smiles)
            mol.SetProp("_Name", name)
            mol.SetDoubleProp("logS", value)
            writer.write(mol)
    # a fourth record whose atom is not an element: RDKit rejects it
    broken = Chem.MolToMolBlock(Chem.MolFromSmiles("C")).replace(" C  ", " Xx ")
    path.write_text(path.read_text() + broken + "> <logS>\n9.0\n\n$$$$\n")
    data = MoleculeFiles(path=str(path), target_column="logS", task="regression",
                         id_column="_Name").load_subject("all")
    assert data.X.tolist() == [ASPIRIN, standardize_smiles(DIAZEPAM), "CCO"]
    assert data.y.tolist() == [1.5, 2.5, 0.5]
    assert data.metadata["mol_id"].tolist() == ["asp", "dia", "eth"]
    assert data.info.extra["dropped_unparsable"] == [{"row": 4, "smiles": None}]


def test_molecule_files_errors_name_file_column_expected_and_received(tmp_path):
    frame = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "y": [1.0, 1.0, 1.0],
                          "label": ["a", "a", "a"]})
    path = str(_table(tmp_path, frame))
    with pytest.raises(InputError, match=r"mols.csv: expected columns \['smiles', 'activity'\]"
                                         r", got \"missing \['activity'\]; it has"):
        MoleculeFiles(path=path, target_column="activity").load_subject("all")
    with pytest.raises(InputError, match=r"columns \['SMI', 'y'\].*missing \['SMI'\]"):
        MoleculeFiles(path=path, smiles_column="SMI", target_column="y").load_subject("all")
    with pytest.raises(InputError, match=r"column 'y': expected a regression target that "
                                         r"varies, got 'constant \[1.0\]"):
        MoleculeFiles(path=path, target_column="y", task="regression").load_subject("all")
    with pytest.raises(InputError, match=r"column 'label': expected at least two classes"):
        MoleculeFiles(path=path, target_column="label").load_subject("all")
    with pytest.raises(InputError, match=r"column 'label': expected finite numbers"):
        MoleculeFiles(path=path, target_column="label", task="regression").load_subject("all")
    with pytest.raises(InputError, match="task: expected one of"):
        MoleculeFiles(path=path, target_column="y", task="ranking").load_subject("all")
    bad = str(_table(tmp_path, frame.assign(smiles=["xx", "C1CC", "(("]), "bad.csv"))
    with pytest.raises(InputError, match=r"bad.csv: column 'smiles': expected at least one "
                                         r"SMILES RDKit can parse, got \"0 of 3 parsed"):
        MoleculeFiles(path=bad, target_column="y").load_subject("all")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="expected a non-empty file"):
        MoleculeFiles(path=str(empty)).load_subject("all")
    empty.write_text("smiles,target\n")
    with pytest.raises(InputError, match=r"empty.csv: expected at least one data row"):
        MoleculeFiles(path=str(empty)).load_subject("all")
    other = tmp_path / "mols.xlsx"
    other.write_text("x")
    with pytest.raises(InputError, match=r"expected a .csv, .tsv, .tab or .sdf file"):
        MoleculeFiles(path=str(other)).load_subject("all")
    dated = str(_table(tmp_path, frame.assign(when=["2020-01-01", "soon", None]), "d.csv"))
    with pytest.raises(InputError, match=r"column 'when': expected a date .* rows \[2, 3\]"):
        MoleculeFiles(path=dated, target_column="label", date_column="when",
                      task="classification").load_subject("all")
    with pytest.raises(InputError, match="molecule-files: path"):
        MoleculeFiles().load_subject("all")


def test_registry_builds_every_molecule_dataset():
    for cls in (TDCBBBMartins, TDCCYP3A4Veith, TDCClearanceMicrosomeAZ, MoleculeNetESOL,
                MoleculeFiles):
        assert DATASETS[cls.name] is cls and cls.kind == "molecules" and cls.description
    assert make_dataset("tdc-clearance-microsome-az", log_target=True).log_target is True
    assert make_dataset("tdc-clearance-microsome-az").fingerprint() == \
        make_dataset("tdc-clearance-microsome-az", log_target=False).fingerprint()


# -- the published sets, with the counts their SOURCE.md states ----------------------------
@pytest.mark.real_data
def test_bbb_martins_counts(real_data):
    raw = TDCBBBMartins(root=real_data / "tdc_bbb_martins", standardize=False)
    data = raw.load_subject("all")
    extra = data.info.extra
    assert extra["n_rows_read"] == 2039 and extra["n_unparsable"] == 0
    # 60 duplicated canonical SMILES, 10 of them with conflicting labels
    assert extra["n_duplicate_groups"] + extra["n_conflicting"] == 60
    assert extra["n_conflicting"] == 10
    assert len(data) == 2039 - extra["n_rows_merged"] - extra["n_rows_conflicting"]
    assert data.info.class_names == ("non-penetrating", "penetrating")
    frame = pd.read_csv(real_data / "tdc_bbb_martins" / "bbb_martins.tab", sep="\t")
    assert np.bincount(frame["Y"]).tolist() == [479, 1560]
    kept = frame.iloc[data.metadata["source_row"].to_numpy() - 1]
    assert (kept["Y"].to_numpy() == data.y).all()            # codes are TDC's labels
    assert (kept["Drug_ID"].astype(str).to_numpy() == data.metadata["mol_id"]).all()
    default = TDCBBBMartins().load_subject("all")            # salts stripped: a few more merge
    assert len(default) == 1955 and default.info.extra["n_conflicting"] == 11
    sample = np.random.default_rng(0).choice(len(default), 25, replace=False)
    for i in sample:
        assert default.metadata["scaffold"].iloc[i] == scaffold_smiles(default.X[i])
        assert standardize_smiles(default.X[i]) == default.X[i]      # idempotent


@pytest.mark.real_data
def test_cyp3a4_veith_counts(real_data):
    data = TDCCYP3A4Veith(standardize=False).load_subject("all")
    assert len(data) == data.info.extra["n_rows_read"] == 12328
    assert data.info.extra["n_duplicate_groups"] == 0            # no duplicated canonical SMILES
    assert np.bincount(data.y).tolist() == [7218, 5110]
    assert data.metadata["mol_id"].iloc[0] == "644510"           # CID, not '644510.0'


@pytest.mark.real_data
def test_clearance_microsome_az_counts_and_log_target(real_data):
    data = TDCClearanceMicrosomeAZ().load_subject("all")
    assert len(data) == 1102 and data.info.task == "regression"
    assert (data.y == 3.0).sum() == 287 and (data.y == 150.0).sum() == 84   # censored
    assert data.info.extra["target_units"] == "mL/min/g"
    logged = TDCClearanceMicrosomeAZ(log_target=True).load_subject("all")
    np.testing.assert_allclose(logged.y, np.log10(data.y))
    assert logged.info.extra["target_units"] == "log10(mL/min/g)"


@pytest.mark.real_data
def test_esol_counts(real_data):
    data = MoleculeNetESOL(duplicate_tolerance=0.0).load_subject("all")
    extra = data.info.extra
    assert extra["n_rows_read"] == 1128 and extra["n_unparsable"] == 0
    assert extra["n_duplicate_groups"] == 11 and len(data) == 1128 - extra["n_rows_merged"]
    assert len(extra["duplicate_spread"]) == 6                 # 6 with differing values
    assert data.y.min() == pytest.approx(-11.6) and data.y.max() == pytest.approx(1.58)
    frame = pd.read_csv(real_data / "moleculenet_esol" / "delaney-processed.csv")
    target = frame["measured log solubility in mols per litre"]
    single = data.metadata["source_row"].to_numpy() - 1
    alone = ~np.isin(data.X, [m["smiles"] for m in extra["merged_duplicates"]])
    np.testing.assert_allclose(data.y[alone], target.to_numpy()[single[alone]])
