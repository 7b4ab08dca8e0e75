"""Drug-target pair datasets (Davis, KIBA) and their protocols: DeepDTA's setting 1 and the
cold-start splits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from neurocompare._errors import InputError
from neurocompare.data.base import WHOLE_DATASET
from neurocompare.data.dti import KIBA, Davis
from neurocompare.protocols.registry import make_splitter

SMILES = ["CCO", "CCN", "c1ccccc1", "CC(=O)O", "CCCC", "OCCO"]
SEQUENCES = ["MKVLA", "MKTAYIAK", "GSHMLE", "MSTNPKPQ", "AVLKEG"]


def _write(root, drop=(), unknown_drug=False):
    """A complete 6 x 5 affinity matrix in DeepDTA's file layout (setting 1: 6 test pairs,
    five training folds of 4-5 pairs)."""
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"drug_id": [f"d{i}" for i in range(6)], "smiles": SMILES}).to_csv(
        root / "drugs.csv", index=False)
    pd.DataFrame({"target_id": [f"t{j}" for j in range(5)], "sequence": SEQUENCES}).to_csv(
        root / "targets.csv", index=False)
    rows = [(i * 5 + j, f"d{i}", f"t{j}", 5.0 + i * 0.3 + j * 0.2) for i in range(6)
            for j in range(5)]
    table = pd.DataFrame(rows, columns=["pair", "drug_id", "target_id", "affinity"])
    if unknown_drug:
        table.loc[0, "drug_id"] = "nope"
    table[~table["pair"].isin(drop)].to_csv(root / "affinities.csv", index=False)
    order = np.random.default_rng(0).permutation(30).tolist()
    (root / "folds_setting1.json").write_text(json.dumps(
        {"setting": 1, "test": order[:6], "train_folds": [order[6 + 5 * k: 11 + 5 * k]
                                                          for k in range(4)] + [order[26:]]}))
    return root


def test_pairs_load_with_ids_and_setting1_parts(tmp_path):
    data = Davis(root=_write(tmp_path / "d")).load_subject(WHOLE_DATASET)
    assert data.X.shape == (30, 2) and data.info.kind == "pairs"
    assert data.info.task == "regression" and data.info.extra["affinity_threshold"] == 7.0
    assert data.X[7, 0] == SMILES[1] and data.X[7, 1] == SEQUENCES[2]  # pair 7 = (d1, t2)
    assert (data.metadata["setting1"] == "test").sum() == 6
    assert set(data.metadata["setting1"]) == {"test", *(f"train{k}" for k in range(5))}
    sub = Davis(root=tmp_path / "d", n_drugs=3, n_targets=2).load_subject(WHOLE_DATASET)
    assert len(sub) == 6 and sub.metadata["drug_id"].nunique() == 3
    assert KIBA(root=tmp_path / "d").load_subject(WHOLE_DATASET).info.extra[
        "affinity_threshold"] == 12.1


def test_bad_files_name_the_file_and_the_problem(tmp_path):
    with pytest.raises(InputError, match="drug_id"):
        Davis(root=_write(tmp_path / "u", unknown_drug=True)).load_subject(WHOLE_DATASET)
    root = _write(tmp_path / "m")
    (root / "targets.csv").unlink()
    with pytest.raises(InputError, match=r"targets\.csv"):
        Davis(root=root).load_subject(WHOLE_DATASET)
    with pytest.raises(InputError, match="n_drugs"):
        Davis(root=_write(tmp_path / "n"), n_drugs=99).load_subject(WHOLE_DATASET)
    root = _write(tmp_path / "j")
    (root / "folds_setting1.json").write_text('{"test": [0, 0], "train_folds": [[1]]}')
    with pytest.raises(InputError, match="exactly one"):
        Davis(root=root).load_subject(WHOLE_DATASET)


def test_setting1_tests_the_fixed_test_set_with_five_training_subsets(tmp_path):
    data = Davis(root=_write(tmp_path / "s")).load_subject(WHOLE_DATASET)
    folds = list(make_splitter("dti-setting1").folds(data.metadata, data.y))
    parts = data.metadata["setting1"].to_numpy()
    assert len(folds) == 5
    for fold in folds:
        np.testing.assert_array_equal(fold.test, np.flatnonzero(parts == "test"))
        held = fold.extra["validation_fold"]
        assert set(parts[fold.train]) == {f"train{k}" for k in range(5)} - {held}
        assert not set(fold.train) & set(fold.test)


@pytest.mark.parametrize("cold", ["drug", "target", "pair"])
def test_cold_splits_never_show_a_test_drug_or_target_in_training(tmp_path, cold):
    data = Davis(root=_write(tmp_path / cold)).load_subject(WHOLE_DATASET)
    folds = list(make_splitter(f"cold-{cold}", seed=1, n_splits=2).folds(data.metadata,
                                                                          data.y))
    drugs, targets = data.metadata["drug_id"].to_numpy(), data.metadata["target_id"].to_numpy()
    tested = []
    for fold in folds:
        if cold in ("drug", "pair"):
            assert not set(drugs[fold.test]) & set(drugs[fold.train])
        if cold in ("target", "pair"):
            assert not set(targets[fold.test]) & set(targets[fold.train])
        tested += fold.test.tolist()
    if cold != "pair":  # every pair tested exactly once
        assert sorted(tested) == list(range(len(data)))
    else:  # only pairs whose drug and target share a group are tested
        assert len(set(tested)) == len(tested) < len(data)
    with pytest.raises(InputError, match="n_splits"):
        list(make_splitter(f"cold-{cold}", n_splits=50).folds(data.metadata, data.y))


def test_real_davis_and_kiba_match_their_source_notes(real_data):
    davis = Davis().load_subject(WHOLE_DATASET)
    assert davis.X.shape == (30056, 2)
    assert davis.metadata["drug_id"].nunique() == 68
    assert davis.metadata["target_id"].nunique() == 442
    assert 0.68 < np.mean(davis.y == 5.0) < 0.72  # the censoring floor of SOURCE.md
    assert (davis.metadata["setting1"] == "test").sum() == 5010
    kiba = KIBA().load_subject(WHOLE_DATASET)
    assert kiba.X.shape == (118254, 2) and (kiba.metadata["setting1"] == "test").sum() == 19709
