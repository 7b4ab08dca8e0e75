"""Splitters: disjoint, complete, grouped as declared, and stable across calls."""

import numpy as np
import pandas as pd
import pytest

from neurocompare import InputError
from neurocompare.protocols.registry import PROTOCOLS, make_splitter


def _metadata(n_subjects=3, n_sessions=2, n_trials=20):
    rows = [{"subject": s, "session": str(k), "run": str(t % 2), "onset": float(t),
             "site": "AB"[s % 2], "recording": f"{s}/{k}/{t // 2}",
             "scaffold": f"S{t % 10}", "date": float(t),
             "source": "train" if t < 3 * n_trials // 4 else "test",
             "drug_id": f"d{t % 7}", "target_id": f"t{(t + s) % 6}",
             "setting1": "test" if t % 5 == 0 else f"train{t % 5 - 1}"}
            for s in range(1, n_subjects + 1) for k in range(n_sessions) for t in range(n_trials)]
    meta = pd.DataFrame(rows)
    y = np.tile(np.repeat([0, 1], n_trials // 2), n_subjects * n_sessions)
    return meta, y


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_folds_are_disjoint_and_stable(name):
    meta, y = _metadata(n_subjects=5)
    params = {"subject-kfold": {"n_splits": 5},
              "learning-curve": {"sizes": (0.4, 1.0)}}.get(name, {})  # 10 % of 8 is too few
    splitter = make_splitter(name, seed=3, **params)
    folds = list(splitter.folds(meta, y))
    assert folds
    for fold in folds:
        assert not set(fold.train) & set(fold.test)
    again = [f.digest for f in make_splitter(name, seed=3, **params).folds(meta, y)]
    assert again == [f.digest for f in folds]
    assert len({f.id for f in folds}) == len(folds)


def test_within_session_covers_each_session_once_and_stratifies():
    meta, y = _metadata()
    folds = list(make_splitter("within-session").folds(meta, y))
    assert len(folds) == 3 * 2 * 5
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested) == list(range(len(meta)))
    for fold in folds:
        keys = meta.iloc[np.r_[fold.train, fold.test]][["subject", "session"]].drop_duplicates()
        assert len(keys) == 1  # train and test within one subject and session
        assert np.bincount(y[fold.test]).tolist() == [2, 2]


def test_cross_subject_and_grouped_never_share_subjects():
    meta, y = _metadata(n_subjects=5)
    for name in ("cross-subject", "grouped-subject-kfold"):
        for fold in make_splitter(name).folds(meta, y):
            assert not set(meta.subject[fold.train]) & set(meta.subject[fold.test])


def test_cross_session_and_time_ordered_splits():
    meta, y = _metadata()
    for fold in make_splitter("cross-session").folds(meta, y):
        assert not set(meta.session[fold.train]) & set(meta.session[fold.test])
        assert meta.subject[fold.train].nunique() == 1
    for fold in make_splitter("blocked").folds(meta, y):
        onsets = meta.onset[fold.test].to_numpy()
        assert np.all(np.diff(np.sort(onsets)) == 1)  # one contiguous block
    for fold in make_splitter("chronological").folds(meta, y):
        assert meta.onset[fold.train].max() < meta.onset[fold.test].min()


def test_sklearn_cross_validator_protocol():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    meta, y = _metadata(n_subjects=1, n_sessions=1)
    X = np.random.default_rng(0).standard_normal((len(y), 3)) + y[:, None]
    splitter = make_splitter("within-session")
    scores = cross_val_score(LogisticRegression(), X, y, cv=list(splitter.split(meta, y)))
    assert len(scores) == splitter.get_n_splits(meta) == 5


def test_clear_errors():
    meta, y = _metadata(n_trials=6)
    with pytest.raises(InputError, match="protocol: expected one of"):
        make_splitter("leave-nothing-out")
    with pytest.raises(InputError, match="at least n_splits=5 trials per class"):
        list(make_splitter("within-session").folds(meta, y))
    with pytest.raises(InputError, match="missing \\['session'\\]"):
        list(make_splitter("within-session").folds(meta.drop(columns="session"), y))
    with pytest.raises(InputError, match="two subjects"):
        list(make_splitter("cross-subject").folds(meta[meta.subject == 1], y[:12]))
    with pytest.raises(InputError, match="at least n_splits=7 trials"):
        list(make_splitter("blocked", n_splits=7).folds(meta, y))


def test_recording_kfold_keeps_every_window_of_a_recording_in_one_fold():
    meta, y = _metadata(n_subjects=2, n_sessions=1, n_trials=40)
    meta["recording"] = meta["subject"].astype(str) + "/" + (meta["onset"] // 4).astype(str)
    folds = list(make_splitter("recording-kfold", seed=1).folds(meta, y))
    assert len(folds) == 2 * 5
    for fold in folds:
        assert not set(meta.recording[fold.train]) & set(meta.recording[fold.test])
        assert meta.subject[np.r_[fold.train, fold.test]].nunique() == 1
    tested = np.sort(np.concatenate([f.test for f in folds]))
    assert tested.tolist() == list(range(len(meta)))
    # within-session k-fold over the same windows splits recordings (the leaky split)
    leaky = list(make_splitter("within-session", seed=1).folds(meta, y))
    assert any(set(meta.recording[f.train]) & set(meta.recording[f.test]) for f in leaky)
    with pytest.raises(InputError, match="by: expected a metadata column"):
        list(make_splitter("recording-kfold", by="tape").folds(meta, y))


def test_cross_run_tests_every_run_once_and_never_mixes_a_run():
    meta, y = _metadata(n_subjects=2, n_sessions=2, n_trials=12)
    meta["run"] = (meta["onset"] // 4).astype(int).astype(str)  # 3 runs of 4 trials
    folds = list(make_splitter("cross-run").folds(meta, y))
    assert len(folds) == 2 * 2 * 3
    tested = []
    for fold in folds:
        assert not set(meta.run[fold.train]) & set(meta.run[fold.test])
        assert meta.run[fold.test].nunique() == 1
        used = meta.iloc[np.r_[fold.train, fold.test]]
        assert len(used[["subject", "session"]].drop_duplicates()) == 1
        # training holds every other run of the session
        assert len(fold.train) == 8 and meta.run[fold.train].nunique() == 2
        tested.append(tuple(meta.loc[fold.test[0], ["subject", "session", "run"]]))
        assert fold.id.endswith(f"/run={tested[-1][2]}")
    assert len(set(tested)) == len(folds)
    assert sorted(np.concatenate([f.test for f in folds])) == list(range(len(meta)))


def test_cross_run_needs_two_runs_in_every_session():
    meta, y = _metadata(n_subjects=1, n_sessions=1)
    meta["run"] = "0"
    with pytest.raises(InputError, match=r"protocol 'cross-run': expected at least 2 runs "
                       r"per subject and session \(metadata column run\), got "
                       r"\"1 run \['0'\] in subject 1 session 0\""):
        list(make_splitter("cross-run").folds(meta, y))
    with pytest.raises(InputError, match=r"missing \['run'\]"):
        list(make_splitter("cross-run").folds(meta.drop(columns="run"), y))
