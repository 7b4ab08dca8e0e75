"""The results store and its keys: round trips, atomic writes, parameter-sensitive keys."""

import numpy as np
import pandas as pd
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.pipeline import Pipeline

from neurocompare import InputError
from neurocompare.pipelines.eeg.spectral import BandPower
from neurocompare.records.keys import canonical_params, params_key, unit_key
from neurocompare.records.store import ResultBuffer, ResultStore


def test_store_round_trip_and_query(tmp_path):
    store = ResultStore(tmp_path)
    rows = [{"dataset": "d", "pipeline": p, "subject": "1", "session": "0", "fold": f"f{i}",
             "accuracy": 0.5 + i / 10, "confusion": "[[1, 0], [0, 1]]"}
            for i, p in enumerate(["a", "b"])]
    for row in rows:
        store.write(unit_key(**row), [row])
    table = store.table()
    assert table["accuracy"].tolist() == [0.5, 0.6]
    assert store.query("SELECT count(*) AS n FROM results WHERE pipeline = 'b'")["n"][0] == 1
    assert not list(store.folder.glob(".*.tmp"))
    # rewriting a key replaces, never duplicates
    store.write(unit_key(**rows[0]), [rows[0] | {"accuracy": 0.9}])
    assert len(store.table()) == 2 and 0.9 in store.table()["accuracy"].tolist()
    exported = store.export(tmp_path / "all.parquet")
    assert exported.stat().st_size > 0


def test_partial_files_are_cleaned_and_ignored(tmp_path):
    store = ResultStore(tmp_path)
    store.write("k1", [{"dataset": "d", "pipeline": "a", "subject": "1", "session": "0",
                        "fold": "x", "accuracy": 1.0}])
    (store.folder / ".k2.abc.tmp").write_bytes(b"half a parquet file")
    assert store.keys() == {"k1"}
    assert store.clean_partial() == 1
    with pytest.raises(InputError, match="no results"):
        ResultStore(tmp_path / "empty").table()


def _pipe(shrinkage="auto", bands=None):
    return Pipeline([("bp", BandPower(sfreq=128.0, bands=bands)),
                     ("lda", LinearDiscriminantAnalysis(solver="eigen", shrinkage=shrinkage))])


def test_params_key_is_stable_and_sensitive_at_any_depth():
    assert params_key(_pipe()) == params_key(_pipe())
    assert params_key(_pipe()) != params_key(_pipe(shrinkage=0.5))
    assert params_key(_pipe()) != params_key(_pipe(bands={"mu": (8, 13)}))
    params = canonical_params(_pipe(bands={"mu": np.array([8, 13])}))
    assert params["class"] == "sklearn.pipeline.Pipeline"
    assert unit_key(a=1, b="x") == unit_key(b="x", a=1) != unit_key(a=2, b="x")


def _rows(n, start=0):
    return [{"dataset": "d", "pipeline": "a", "subject": "1", "session": "0", "fold": f"f{i}",
             "accuracy": i / 100, "key": f"k{i}"} for i in range(start, start + n)]


def test_batched_results_are_found_by_key_and_read_back(tmp_path):
    store = ResultStore(tmp_path)
    single = store.write_many(_rows(1))
    assert single.name == "k0.parquet"  # one result alone keeps the one-file-per-key layout
    batch = store.write_many(_rows(4, start=1))
    assert batch.name.startswith("batch-") and len(list(store.folder.glob("*.parquet"))) == 2
    assert store.keys() == {f"k{i}" for i in range(5)}
    assert store.has("k3") and store.has("k0") and not store.has("k9")
    assert store.table()["accuracy"].tolist() == [0.0, 0.01, 0.02, 0.03, 0.04]
    with pytest.raises(InputError, match="rows"):
        store.write_many([{"accuracy": 1.0}])


def test_result_buffer_writes_slow_results_at_once_and_fast_ones_together(tmp_path):
    store = ResultStore(tmp_path / "fast")
    with ResultBuffer(store, flush_s=3600) as buffer:
        for row in _rows(6):
            buffer.add(row)
        assert not store.keys()  # gathered, not yet written
    assert store.keys() == {f"k{i}" for i in range(6)}
    assert len(list(store.folder.glob("*.parquet"))) == 1
    slow = ResultStore(tmp_path / "slow")
    with ResultBuffer(slow, flush_s=0) as buffer:  # every result took longer than flush_s
        for i, row in enumerate(_rows(3)):
            buffer.add(row)
            assert len(slow.keys()) == i + 1  # stored as soon as it is done
    # an exception inside the block still stores what was finished
    failed = ResultStore(tmp_path / "failed")
    with pytest.raises(KeyboardInterrupt), ResultBuffer(failed, flush_s=3600) as buffer:
        buffer.add(_rows(1)[0])
        raise KeyboardInterrupt
    assert failed.keys() == {"k0"}


def test_a_batch_keeps_columns_only_some_rows_have(tmp_path):
    store = ResultStore(tmp_path)
    store.write_many([{"key": "a", "dataset": "d", "pipeline": "lda", "accuracy": 0.6},
                      {"key": "b", "dataset": "d", "pipeline": "net", "accuracy": 0.7,
                       "train_epochs": 12}])
    table = store.table().set_index("key")
    assert table.loc["b", "train_epochs"] == 12 and pd.isna(table.loc["a", "train_epochs"])


def _three_files(store: ResultStore) -> None:
    store.write_many(_rows(1))  # k0.parquet
    store.write_many(_rows(4, start=1))
    store.write_many([row | {"train_epochs": 3} for row in _rows(3, start=5)])


def test_compaction_merges_every_file_into_one_keeping_rows_and_keys(tmp_path):
    store = ResultStore(tmp_path)
    _three_files(store)
    (store.folder / ".batch-x.abc.tmp").write_bytes(b"a killed write")
    before, keys = store.table(), store.keys()
    merged = store.compact()
    assert [p.name for p in store.folder.glob("*.parquet")] == [merged.name]
    assert store.keys() == keys and store.has("k0") and store.has("k7")
    assert store.table().equals(before)  # same rows, columns, types and order
    assert store.compact() is None  # nothing left to merge


def test_a_compaction_killed_before_removing_old_files_shows_no_duplicate(tmp_path,
                                                                         monkeypatch):
    """The merged file is complete before any old file goes: a kill in between leaves
    every key in two files, and readers still see one row per key."""
    from pathlib import Path

    store = ResultStore(tmp_path)
    _three_files(store)
    before = store.table()
    unlink = Path.unlink

    def killed(path, missing_ok=False):
        if path.suffix == ".parquet":
            raise KeyboardInterrupt  # the kill, right after the merged file was renamed
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", killed)
    with pytest.raises(KeyboardInterrupt):
        store.compact()
    monkeypatch.setattr(Path, "unlink", unlink)
    assert len(list(store.folder.glob("*.parquet"))) == 4  # 3 old + the merged one
    assert store.table().equals(before)
    assert store.values("train_epochs", ["k5", "k0", "k9"]) == {"k5": 3}
    store.compact()  # the next run's compaction finishes the job
    assert len(list(store.folder.glob("*.parquet"))) == 1 and store.table().equals(before)


def test_a_key_in_two_files_is_read_from_the_newer_one_only(tmp_path):
    """Two runs that computed the same keys at once: one row per key, the newest file's."""
    import os

    store = ResultStore(tmp_path)
    old = store.write_many(_rows(3))  # k0, k1, k2
    newer = store.write_many([row | {"accuracy": 0.5} for row in _rows(2, start=1)])
    os.utime(old, ns=(1, 1))  # whatever the clock resolution: old is older
    table = store.table().set_index("key")
    assert list(table.index) == ["k0", "k1", "k2"]
    assert table["accuracy"].tolist() == [0.0, 0.5, 0.5]
    assert store.values("accuracy", ["k0", "k2"]) == {"k0": 0.0, "k2": 0.5}
    assert store.compact() is not None and not old.exists() and not newer.exists()
    assert store.table().set_index("key")["accuracy"].tolist() == [0.0, 0.5, 0.5]
