"""Scaffold and time splits: TDC's algorithm, scaffolds never straddle a split, sizes, errors."""

from __future__ import annotations

from collections import defaultdict
from random import Random

import numpy as np
import pandas as pd
import pytest

from neurocompare._errors import InputError
from neurocompare.protocols.data_budget import LearningCurve
from neurocompare.protocols.registry import PROTOCOLS, make_splitter
from neurocompare.protocols.scaffold import (
    ScaffoldKFold,
    ScaffoldSplit,
    TimeSplit,
    balanced_scaffold_split,
)

NAMES = ("scaffold", "scaffold-kfold", "time-split")


def _molecules(n=400, seed=0):
    """Metadata of a molecule set: scaffold sizes skewed as in real sets (many singletons,
    a few series of up to n/12 analogues, above half the validation size), dates, labels."""
    rng = np.random.default_rng(seed)
    sizes = rng.zipf(1.8, n).clip(1, n // 12)
    scaffolds = np.repeat([f"S{i}" for i in range(n)], sizes)[:n]
    meta = pd.DataFrame({"subject": "all", "session": "0", "run": "0",
                         "scaffold": rng.permutation(scaffolds),
                         "date": pd.Timestamp("2010-01-01")
                         + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")})
    y = rng.integers(0, 2, n)
    return meta, y


def _tdc_reference(scaffold_list, seed, frac):
    """TDC's ``create_scaffold_split`` loop (mims-harvard/TDC ``tdc/utils/split.py``, commit
    0262f79), transcribed with its own data structures, scaffolds given instead of SMILES."""
    random = Random(seed)
    scaffolds = defaultdict(set)
    for i, scaffold in enumerate(scaffold_list):
        scaffolds[scaffold].add(i)
    train, val, test = [], [], []
    n = len(scaffold_list)
    train_size, val_size = int(n * frac[0]), int(n * frac[1])
    test_size = n - train_size - val_size
    big_index_sets, small_index_sets = [], []
    for index_set in scaffolds.values():
        if len(index_set) > val_size / 2 or len(index_set) > test_size / 2:
            big_index_sets.append(index_set)
        else:
            small_index_sets.append(index_set)
    random.seed(seed)
    random.shuffle(big_index_sets)
    random.shuffle(small_index_sets)
    for index_set in big_index_sets + small_index_sets:
        if len(train) + len(index_set) <= train_size:
            train += index_set
        elif len(val) + len(index_set) <= val_size:
            val += index_set
        else:
            test += index_set
    return sorted(train), sorted(val), sorted(test)


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("frac", [(0.7, 0.1, 0.2), (0.8, 0.0, 0.2), (0.6, 0.2, 0.2)])
def test_balanced_scaffold_split_is_tdcs(seed, frac):
    meta, _ = _molecules(seed=seed)
    ours = balanced_scaffold_split(meta["scaffold"].tolist(), frac, seed)
    assert [part.tolist() for part in ours] == list(_tdc_reference(meta["scaffold"].tolist(),
                                                                   seed, frac))


def test_scaffold_split_keeps_scaffolds_whole_with_the_stated_sizes():
    meta, y = _molecules(n=1000)
    n, largest = len(meta), meta["scaffold"].value_counts().max()
    folds = list(make_splitter("scaffold", seed=3).folds(meta, y))
    assert len(folds) == 5
    for r, fold in enumerate(folds):
        train_sc, test_sc = set(meta.scaffold[fold.train]), set(meta.scaffold[fold.test])
        assert not train_sc & test_sc
        assert fold.extra["split_seed"] == 3 + r and fold.extra["repeat"] == r
        _, valid, test = balanced_scaffold_split(meta["scaffold"].tolist(), seed=3 + r)
        assert fold.test.tolist() == test.tolist()
        assert not set(meta.scaffold[valid]) & (train_sc | test_sc)
        assert len(fold.train) + len(valid) + len(fold.test) == n
        assert int(0.7 * n) - largest < len(fold.train) <= int(0.7 * n)   # filled to 70 %
        assert len(valid) <= int(0.1 * n) and fold.extra["n_valid"] == len(valid)
        assert abs(len(fold.test) - 0.2 * n) <= largest                     # about 20 %
    assert len({f.digest for f in folds}) == 5                              # seeds differ
    again = [f.digest for f in make_splitter("scaffold", seed=3).folds(meta, y)]
    assert again == [f.digest for f in folds]


def test_scaffold_split_valid_option_and_fractions():
    meta, y = _molecules()
    dropped = next(ScaffoldSplit(n_repeats=1, random_state=0).folds(meta, y))
    added = next(ScaffoldSplit(n_repeats=1, random_state=0, valid="train").folds(meta, y))
    assert added.test.tolist() == dropped.test.tolist()
    assert len(added.train) == len(dropped.train) + dropped.extra["n_valid"]
    assert len(added.train) + len(added.test) == len(meta)
    half = next(ScaffoldSplit(frac=(0.5, 0.0, 0.5), n_repeats=1).folds(meta, y))
    assert len(half.train) <= len(meta) // 2 and len(half.train) + len(half.test) == len(meta)


def test_scaffold_kfold_puts_every_scaffold_in_one_fold():
    meta, y = _molecules()
    folds = list(make_splitter("scaffold-kfold", seed=1).folds(meta, y))
    assert len(folds) == 5
    tested = np.sort(np.concatenate([f.test for f in folds]))
    assert tested.tolist() == list(range(len(meta)))
    for fold in folds:
        assert not set(meta.scaffold[fold.train]) & set(meta.scaffold[fold.test])
        assert abs(y[fold.test].mean() - y.mean()) < 0.1                  # stratified
    other = [f.digest for f in make_splitter("scaffold-kfold", seed=2).folds(meta, y)]
    assert other != [f.digest for f in folds]
    regression = np.random.default_rng(0).normal(size=len(meta))
    for fold in ScaffoldKFold(n_splits=4).folds(meta, regression):
        assert not set(meta.scaffold[fold.train]) & set(meta.scaffold[fold.test])


def test_time_split_trains_on_the_past():
    meta, y = _molecules()
    (fold,) = make_splitter("time-split").folds(meta, y)
    assert meta.date[fold.train].max() < meta.date[fold.test].min()
    assert len(fold.train) + len(fold.test) == len(meta)
    assert 0.75 * len(meta) <= len(fold.train) <= 0.8 * len(meta)
    # ties at the split date all go to test; numbers work as dates too
    years = meta.assign(date=np.repeat([2001, 2002, 2003, 2004], len(meta) // 4))
    (fold,) = TimeSplit(train_frac=0.6).folds(years, y)
    assert set(years.date[fold.train]) == {2001, 2002} and set(years.date[fold.test]) == {
        2003, 2004}
    assert fold.extra["split_date"] == "2003"


def test_registered_molecule_protocols_are_disjoint_stable_and_wrap_in_learning_curves():
    meta, y = _molecules()
    for name in NAMES:
        assert name in PROTOCOLS and PROTOCOLS[name].description
        splitter = make_splitter(name, seed=5)
        assert splitter.scope == "dataset"
        folds = list(splitter.folds(meta, y))
        assert folds and len({f.id for f in folds}) == len(folds)
        for fold in folds:
            assert not set(fold.train) & set(fold.test) and fold.subject == "all"
        assert [f.digest for f in make_splitter(name, seed=5).folds(meta, y)] == \
            [f.digest for f in folds]
    curve = list(LearningCurve(ScaffoldSplit(n_repeats=2), sizes=(0.5, 1.0),
                               n_repeats=1).folds(meta, y))
    base = list(ScaffoldSplit(n_repeats=2).folds(meta, y))
    assert len(curve) == 4 and {f.extra["base_fold"] for f in curve} == {f.id for f in base}
    for point in curve:
        source = next(f for f in base if f.id == point.extra["base_fold"])
        assert set(point.train) <= set(source.train) and point.digest == source.digest


def test_clear_errors():
    meta, y = _molecules()
    no_scaffold = meta.drop(columns="scaffold")
    with pytest.raises(InputError, match=r"metadata column 'scaffold': expected a column of "
                                         r"the metadata.*Molecule datasets"):
        list(make_splitter("scaffold").folds(no_scaffold, y))
    with pytest.raises(InputError, match="metadata column 'scaffold'"):
        list(make_splitter("scaffold-kfold").folds(no_scaffold, y))
    with pytest.raises(InputError, match=r"metadata column 'date': expected a column of "
                                         r"the metadata.*date_column"):
        list(make_splitter("time-split").folds(meta.drop(columns="date"), y))
    with pytest.raises(InputError, match="frac: expected three fractions"):
        list(ScaffoldSplit(frac=(0.7, 0.2)).folds(meta, y))
    with pytest.raises(InputError, match="frac: expected three fractions"):
        list(ScaffoldSplit(frac=(0.7, 0.2, 0.2)).folds(meta, y))
    with pytest.raises(InputError, match="n_repeats: expected a positive integer"):
        list(ScaffoldSplit(n_repeats=0).folds(meta, y))
    with pytest.raises(InputError, match="valid: expected one of 'drop', 'train'"):
        list(ScaffoldSplit(valid="test").folds(meta, y))
    with pytest.raises(InputError, match=r"n_splits: expected at most the number of "
                                         r"scaffolds \(2\)"):
        list(ScaffoldKFold(n_splits=3).folds(meta.assign(scaffold=["a", "b"] * 200), y))
    with pytest.raises(InputError, match="n_splits: expected an integer >= 2"):
        list(ScaffoldKFold(n_splits=1).folds(meta, y))
    with pytest.raises(InputError, match="train_frac: expected a fraction in"):
        list(TimeSplit(train_frac=1.0).folds(meta, y))
    with pytest.raises(InputError, match="expected dates earlier than the split date"):
        list(TimeSplit().folds(meta.assign(date=2020), y))
    with pytest.raises(InputError, match="expected a date on every row"):
        list(TimeSplit().folds(meta.assign(date=[None] + [2020] * 399), y))
    with pytest.raises(InputError, match="protocol 'scaffold' parameters"):
        make_splitter("scaffold", n_folds=3)


def test_learning_curve_on_a_regression_target_counts_samples():
    from neurocompare.protocols.data_budget import LearningCurve
    from neurocompare.protocols.scaffold import ScaffoldKFold

    rng = np.random.default_rng(0)
    n = 200
    meta = pd.DataFrame({"subject": "all", "session": "0", "run": "0",
                         "scaffold": [f"S{i % 40}" for i in range(n)]})
    y = rng.normal(size=n)  # 200 distinct values: no class may be mistaken for one
    curve = LearningCurve(ScaffoldKFold(n_splits=4, random_state=0), sizes=(0.25, 1.0),
                          n_repeats=1)
    folds = list(curve.folds(meta, y))
    by_size = {}
    for fold in folds:
        by_size.setdefault(fold.extra["size"], []).append(len(fold.train))
    assert by_size[1.0] == [150] * 4  # the whole training fold
    assert all(abs(k - 150 * 0.25) <= 1 for k in by_size[0.25])
