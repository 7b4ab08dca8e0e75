"""Molecule interpretability: SHAP over Morgan bits mapped back to atom environments.

A generated set plants one effect: the label is "has a carboxylic acid". Every molecule has a
skeleton with two substituents; acids carry ``C(=O)O`` on the first, the others a decoy
group there, and a decoy group drawn independently of the label sits on the second, so only
the carboxyl bits carry the label.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from neurocompare._errors import InputError
from neurocompare.data.molecule_sets import MoleculeFiles
from neurocompare.explain.molecules import (
    atom_attributions,
    atom_scores,
    bit_importance,
    bit_info_maps,
    bit_substructures,
    draw_atom_svg,
    draw_bit_svg,
    explain_molecules,
)
from neurocompare.explain.run import explain_fold
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.importance import ImportanceStore
from neurocompare.records.store import ResultStore
from neurocompare.report.build import build_report
from neurocompare.report.molecules import inline_svg
from neurocompare.runner import RunConfig, run_comparison

SKELETONS = ["C(*)C*", "C(*)CC*", "C(*)CCC*", "C(*)C(C)C*", "C(C)(*)CC*", "C(*)COCC*",
             "c1cc(*)ccc1*", "c1c(*)cccc1*", "c1cc(C*)ccc1*", "C1CC(*)CCC1*", "c1cc(*)ncc1*",
             "c1cc(*)sc1*", "C1CN(C*)CCC1C*"]
DECOYS = ["CO", "C(=O)OC", "C(=O)N", "N", "C(=O)C", "OC", "Cl", "C#N", "C", "F"]
ACID = Chem.MolFromSmarts("[CX3](=O)[OX2H1]")
SVG_NS = "{http://www.w3.org/2000/svg}"


def acid_table(seed: int = 0) -> pd.DataFrame:
    """About 70 molecules, half of them carboxylic acids (columns smiles, target)."""
    rng = np.random.default_rng(seed)
    rows = []
    for skeleton in SKELETONS:
        for k in range(6):
            first = "C(=O)O" if k % 2 == 0 else DECOYS[rng.integers(len(DECOYS))]
            smiles = skeleton.replace("*", first, 1).replace(
                "*", DECOYS[rng.integers(len(DECOYS))], 1)
            rows.append((Chem.MolToSmiles(Chem.MolFromSmiles(smiles)), int(k % 2 == 0)))
    return pd.DataFrame(rows, columns=["smiles", "target"]).drop_duplicates("smiles")


def acid_atoms(smiles: str) -> set[int]:
    mol = Chem.MolFromSmiles(smiles)
    return {a for match in mol.GetSubstructMatches(ACID) for a in match}


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("acids") / "acids.csv"
    acid_table().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def acids(csv_path):
    data = MoleculeFiles(path=str(csv_path), smiles_column="smiles").load_subject("all")
    fold = next(make_splitter("scaffold-kfold", 0, n_splits=3).folds(data.metadata, data.y))
    return data, fold


def fitted(name: str, data, fold, **params):
    estimator = make_pipeline(name, data.info).set_params(**params)
    return estimator.fit(data.X[fold.train], data.y[fold.train])


@pytest.fixture(scope="module")
def forest(acids):
    data, fold = acids
    return fitted("mol-morgan-rf", data, fold, model__n_estimators=100, model__random_state=0)


def test_top_shap_bit_is_the_carboxyl_group(acids, forest):
    data, fold = acids
    rows = explain_molecules(forest, data, fold, ["shap"], seed=0)
    bits = [r for r in rows if r["group_type"] == "bit"]
    assert len(bits) == 20 and all(r["method"] == "shap" for r in rows)
    assert [r["importance"] for r in bits] == sorted((r["importance"] for r in bits),
                                                     reverse=True)
    top = bits[0]
    # every test molecule setting the top bit is an acid, and the bit is read as evidence for
    # the acid class
    X = forest.named_steps["features"].transform(data.X[fold.test])
    carriers = np.asarray(data.y)[fold.test][X[:, int(top["group"])] > 0]
    assert top["n_carriers"] == len(carriers) > 0 and set(carriers.tolist()) == {1}
    assert top["direction"] > 0
    # its environment lies in the carboxyl group of the example molecule
    mol = Chem.MolFromSmiles(top["example_smiles"])
    env = Chem.FindAtomEnvironmentOfRadiusN(mol, top["example_radius"], top["example_atom"])
    atoms = {top["example_atom"]} | {a for b in env for a in (
        mol.GetBondWithIdx(b).GetBeginAtomIdx(), mol.GetBondWithIdx(b).GetEndAtomIdx())}
    assert len(atoms & acid_atoms(top["example_smiles"])) >= 2
    # and the whole C(=O)OH is the fragment of one of the three most important bits
    fragments = [Chem.MolFromSmiles(r["fragment"], sanitize=False) for r in bits[:3]]
    for fragment in fragments:
        fragment.UpdatePropertyCache(strict=False)
    assert any(f.HasSubstructMatch(ACID) for f in fragments)
    assert not Chem.MolFromSmiles("[CH3][C](=[O])[O][CH3]", sanitize=False).HasSubstructMatch(
        ACID)  # an ester's fragment does not pass for an acid


def test_bit_substructures_count_environments_and_note_collisions():
    smiles = ["OCC", "OCCC", "CCN"]
    infos = bit_info_maps([Chem.MolFromSmiles(s) for s in smiles], 2, 2048)
    hydroxyl = next(b for b, envs in infos[0].items() if (0, 0) in envs)
    found = bit_substructures(smiles, hydroxyl, 2, 2048)
    assert found["fragment"] == "[OH]" and found["count"] == 2 and found["n_molecules"] == 2
    assert found["collision"] == "" and found["example"] == ("OCC", 0, 0)
    # folded onto 2 bits, many environments share each bit: the collision is reported
    folded = bit_substructures(smiles, 0, 2, 2)
    assert len(folded["environments"]) > 1 and folded["collision"].startswith(
        f"{len(folded['environments'])} environments")
    assert bit_substructures(["CC"], hydroxyl, 2, 2048)["example"] is None


def test_svgs_parse_and_highlight_atoms():
    mol = Chem.MolFromSmiles("CCC(=O)O")
    info = bit_info_maps([mol], 2, 2048)[0]
    bit = next(b for b, envs in info.items() if (2, 1) in envs)
    scores = np.array([0.0, 0.01, 0.2, 0.1, -0.3])
    for svg in (draw_bit_svg(mol, bit, info), draw_atom_svg(mol, scores)):
        root = ET.fromstring(svg.split("?>", 1)[1])
        assert root.tag == f"{SVG_NS}svg"
        highlighted = [e for e in root.iter(f"{SVG_NS}ellipse")
                       if "atom-" in e.get("class", "") and "#FFFFFF" not in e.get("style")]
        assert highlighted
        assert str(inline_svg(svg)).startswith("<svg")
    colours = {e.get("class").strip(): e.get("style").split(";")[0] for e in ET.fromstring(
        draw_atom_svg(mol, scores).split("?>", 1)[1]).iter(f"{SVG_NS}ellipse")}
    assert colours == {"atom-2": "fill:#FF7777", "atom-3": "fill:#FFBBBB",
                       "atom-4": "fill:#3333FF"}  # red up, blue down, none under 5 %
    with pytest.raises(InputError, match="svg"):
        inline_svg("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    with pytest.raises(InputError, match="svg"):
        inline_svg("<svg xmlns='http://www.w3.org/2000/svg' onload='x()'/>")
    with pytest.raises(InputError, match="scores"):
        draw_atom_svg(mol, scores[:3])


def test_atom_attributions_peak_on_the_acid_and_sum_to_the_bits(acids, forest):
    data, fold = acids
    test_smiles = [str(s) for s, y in zip(data.X[fold.test], data.y[fold.test],
                                          strict=True) if y == 1]
    found = atom_attributions(forest, test_smiles)
    for item in found:
        assert int(np.argmax(item["scores"])) in acid_atoms(item["smiles"])
        assert "<svg" in item["svg"]
    result = bit_importance(forest, test_smiles, None, "shap")
    mol = Chem.MolFromSmiles(test_smiles[0])
    info = bit_info_maps([mol], 2, 2048)[0]
    values = result["per_molecule"][0]
    assert atom_scores(mol, values, info).sum() == pytest.approx(values[list(info)].sum())
    assert np.allclose(found[0]["scores"], atom_scores(mol, values, info))


def test_determinism_and_the_model_agnostic_fallback(acids, forest):
    data, fold = acids
    once = explain_molecules(forest, data, fold, ["shap"], seed=3)
    again = explain_molecules(fitted("mol-morgan-rf", data, fold, model__n_estimators=100,
                                     model__random_state=0), data, fold, ["shap"], seed=3)
    assert pd.DataFrame(once).equals(pd.DataFrame(again))
    # a logistic regression has no tree explainer: the seeded permutation explainer
    linear = fitted("mol-morgan-linear", data, fold)
    first = explain_molecules(linear, data, fold, ["shap"], seed=1)
    assert pd.DataFrame(first).equals(pd.DataFrame(explain_molecules(linear, data, fold,
                                                                     ["shap"], seed=1)))
    top = next(r for r in first if r["group_type"] == "bit")
    assert top["direction"] > 0 and acid_atoms(top["example_smiles"])
    examples = [r for r in first if r["group_type"] == "molecule"]
    assert len(examples) == 3 and examples[0]["label"] == "1"
    assert len(json.loads(examples[0]["atom_scores"])) == Chem.MolFromSmiles(
        examples[0]["group"]).GetNumAtoms()


def test_permutation_method_scores_the_carboxyl_bits(acids, forest):
    data, fold = acids
    rows = explain_molecules(forest, data, fold, ["permutation"], seed=0, n_repeats=3)
    assert rows and all(r["group_type"] == "bit" and r["n_repeats"] == 3 for r in rows)
    accuracy = forest.score(data.X[fold.test], data.y[fold.test])
    assert all(r["baseline"] == pytest.approx(accuracy) for r in rows)
    assert acid_atoms(rows[0]["example_smiles"])  # the bit that matters most is an acid's


def test_unsupported_methods_and_pipelines(acids, forest):
    data, fold = acids
    with pytest.raises(InputError, match=r"(?s)molecules data.*patterns"):
        explain_fold("mol-morgan-rf", forest, data, fold, ["shap", "patterns"])
    with pytest.raises(InputError, match="molecules data"):
        explain_molecules(forest, data, fold, ["saliency"])
    with pytest.raises(InputError, match="method"):
        bit_importance(forest, data.X[fold.test], data.y[fold.test], "lime")
    maccs = fitted("mol-maccs-rf", data, fold, model__n_estimators=10)
    assert explain_molecules(maccs, data, fold, ["shap"]) == []
    with pytest.raises(InputError, match="MorganFingerprint"):
        bit_importance(maccs, data.X[fold.test], data.y[fold.test])


def test_runner_explains_molecules_into_the_report(tmp_path, csv_path):
    config = RunConfig(datasets=[("molecule-files", {"path": str(csv_path),
                                                     "smiles_column": "smiles"})],
                       pipelines=["mol-morgan-rf"], protocol="scaffold-kfold",
                       protocol_params={"n_splits": 3}, explain=["shap"], out=tmp_path,
                       jobs=1)
    outcome = run_comparison(config)
    assert not outcome.errors and outcome.total("explained") == 3
    rows = ImportanceStore(tmp_path).table()
    assert set(rows["group_type"]) == {"bit", "molecule"}
    assert set(rows["result_key"]) == set(ResultStore(tmp_path).table()["key"])
    html = build_report(tmp_path).read_text()
    section = html[html.index('id="molecule-interpretability"'):]
    assert "mol-morgan-rf (shap, 3 folds)" in section and "mean |SHAP|" in section
    assert section.count("<svg") >= 10 + 3  # top bits and example molecules, inline
    assert "&lt;svg" not in html
