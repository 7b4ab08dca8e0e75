"""Bad inputs (issue 19), second group: dataset specs of every loader. Each case is one
``error:`` line naming the parameter or file, exit status 2, no traceback, the store's keys
unchanged. Cases on the real datasets use the ``real_data`` fixture (skipped without them).
The table of outcomes is in ``test_bad_inputs.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests._bad_inputs import TINY, assert_bad_run_keeps_the_store, make_store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("store"))


#: A pipeline for each data kind.
EPOCHS, TIMESERIES, TABLES, MOLECULES, PAIRS = ("csp-lda", "fc-corr-lr", "tab-lr",
                                                "mol-morgan-rf", "dti-kronrls")


@pytest.mark.parametrize("spec, pipeline, message", [
    ("bogus", EPOCHS, "dataset: expected one of ['simulated-mi'"),
    ("simulated-mi:x", EPOCHS, "dataset: expected name:key=value,key=value"),
    ("simulated-mi:bogus=1", EPOCHS, "dataset 'simulated-mi' parameters: expected some of"),
    ("simulated-mi:n_subjects=0", EPOCHS, "n_subjects: expected a positive integer, got 0"),
    ("simulated-mi:n_subjects=abc", EPOCHS, "n_subjects: expected a positive integer, got "
                                            "'abc'"),
    ("simulated-mi:n_subjects=1,n_subjects=2", EPOCHS,
     "dataset 'simulated-mi': expected each parameter once, got 'n_subjects'"),
    ("simulated-mi:n_subjects=(1", EPOCHS,
     "dataset 'simulated-mi' parameter n_subjects: expected a Python literal"),
    ("simulated-mi:duration=0", EPOCHS, "duration: expected seconds after the cue"),
    ("simulated-mi:duration=-1", EPOCHS, "duration: expected seconds after the cue"),
    ("simulated-mi:effects='abc'", EPOCHS, "effects: expected values in [0, 1), got 'abc'"),
    ("simulated-mi:seed=-1", EPOCHS, "seed: expected an integer in [0, 2**32), got -1"),
    ("simulated-mi:sfreq=10", EPOCHS, "sfreq: expected at least 64 Hz"),
    ("simulated-mi:scenario='bogus'", EPOCHS, "scenario: expected one of 'erd'"),
    ("eeg-files", EPOCHS, ("dataset 'eeg-files' parameters",
                           "values for ['root', 'pattern', 'event_id']")),
    ("eeg-files:root='/nonexistent',pattern='{subject}.fif',event_id={'a': 1}", EPOCHS,
     "root: expected an existing directory, got '/nonexistent'"),
    ("eeg-files:root='{tmp}',pattern='x-*.fif',event_id={'a': 1}", EPOCHS,
     "pattern: expected a {subject} placeholder"),
    ("physionet-mi:root='/nonexistent'", EPOCHS, "root: expected an existing directory"),
    ("bids-eeg", EPOCHS, ("dataset 'bids-eeg' parameters", "values for ['root', 'event_id']")),
    ("bids-eeg:root='/nonexistent',event_id={'a': 'a'}", EPOCHS,
     "root: expected an existing directory"),
    ("moabb", EPOCHS, ("dataset 'moabb' parameters", "values for ['dataset']")),
    ("moabb:dataset='Bogus'", EPOCHS, "dataset: expected a dataset class name in "
                                      "moabb.datasets, got 'Bogus'"),
    ("arrays", EPOCHS, ("dataset 'arrays' parameters", "values for ['X', 'y', 'sfreq']")),
    ("arrays:X=1,y=2,sfreq=3", EPOCHS, "X: expected an array of shape (n_trials, n_channels"),
    ("ssvep-exoskeleton:root='/nonexistent'", EPOCHS, "dataset 'ssvep-exoskeleton': "
                                                      "expected at least one subject"),
    ("bonn-epilepsy:root='/nonexistent'", EPOCHS, "/nonexistent/A_Z: expected 100 segment"),
    ("abide-cc200:root='/nonexistent'", TIMESERIES,
     "abide-cc200: subject table: expected an existing file, got '/nonexistent/subjects.csv'"),
    ("timeseries-files", TIMESERIES, "timeseries-files: phenotype: expected a CSV/TSV/Parquet"),
    ("timeseries-files:phenotype='/nonexistent/p.csv'", TIMESERIES,
     "expected an existing file, got '/nonexistent/p.csv'"),
    ("nifti-atlas", TIMESERIES, "nifti-atlas: atlas: expected a labels NIfTI image path"),
    ("oasis-cross-sectional:root='/nonexistent'", TABLES,
     "oasis-cross-sectional: table: expected an existing file"),
    ("tabular", TABLES, "tabular: path: expected a CSV/TSV/Parquet table, got None"),
    ("tabular:path='/nonexistent/t.csv'", TABLES, "expected an existing file, got "
                                                  "'/nonexistent/t.csv'"),
    ("tdc-bbb-martins:root='/nonexistent'", MOLECULES,
     "molecule file: expected an existing file, got '/nonexistent/bbb_martins.tab'"),
    ("tdc-cyp3a4-veith:root='/nonexistent'", MOLECULES,
     "molecule file: expected an existing file, got '/nonexistent/"),
    ("molecule-files", MOLECULES, "molecule-files: path: expected a CSV/TSV/SDF file"),
    ("molecule-files:path='/nonexistent/m.csv'", MOLECULES,
     "molecule file: expected an existing file, got '/nonexistent/m.csv'"),
    ("molecule-external", MOLECULES, "train: expected a molecule dataset label"),
    ("molecule-external:train='bogus',test='bogus'", MOLECULES,
     "train: expected a molecule dataset, one of ['tdc-bbb-martins'"),
    ("davis:root='/nonexistent'", PAIRS, "davis: drugs.csv: expected an existing file"),
    ("kiba:root='/nonexistent'", PAIRS, "kiba: drugs.csv: expected an existing file"),
])
def test_a_bad_dataset_spec_is_one_line_and_keeps_the_store(tmp_path, monkeypatch, capsys,
                                                           store, spec, pipeline, message):
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store,
                                   ["-d", spec.replace("{tmp}", str(tmp_path)), "-p", pipeline],
                                   message)


@pytest.mark.parametrize("spec, pipeline, message", [
    ("ssvep-exoskeleton:bands='abc'", EPOCHS, "bands: expected at least one (low, high) band"),
    ("ssvep-exoskeleton:bands=((8, 4),)", EPOCHS, "bands: expected at least one (low, high)"),
    ("ssvep-exoskeleton:tmin=5,tmax=1", EPOCHS, "tmax: expected a time after tmin=5, got 1"),
    ("bonn-epilepsy:sets='A'", EPOCHS, "sets: expected two or more distinct letters of ABCDE"),
    ("bonn-epilepsy:sets='XYZ'", EPOCHS, "sets: expected one of 'A', 'B', 'C', 'D', 'E'"),
    ("bonn-epilepsy:window_s=-1", EPOCHS, "window_s: expected seconds between"),
    ("abide-cc200:qc='bogus'", TIMESERIES, "qc: expected one of '871', 'all', got 'bogus'"),
    ("abide-cc200:n_subjects=0", TIMESERIES, "n_subjects: expected an integer in 2..871"),
    ("abide-cc200:target='bogus'", TIMESERIES, "target: expected one of 'asd', 'age'"),
    ("oasis-cross-sectional:target='bogus'", TABLES, "target: expected one of 'dementia'"),
    ("oasis-longitudinal:visits='bogus'", TABLES, "visits: expected one of 'all', 'first'"),
    ("oasis-cross-sectional", TABLES,  # within-session on one row per subject and visit
     "expected trials of at least two classes"),
    ("tabular:path='{data}/oasis_mri_tabular/oasis_cross-sectional.csv',target='bogus'",
     TABLES, "oasis_cross-sectional.csv: expected columns ['bogus']"),
    ("tdc-clearance-microsome-az:log_target='abc'", MOLECULES,
     "log_target: expected True or False, got 'abc'"),
    ("moleculenet-esol:standardize='abc'", MOLECULES,
     "standardize: expected True or False, got 'abc'"),
    ("moleculenet-esol:duplicate_tolerance=-1", MOLECULES,
     "tolerance: expected a non-negative number"),
    ("moleculenet-esol", MOLECULES,  # the default protocol stratifies by class
     "expected class labels to stratify folds by, got 'a real-valued target'"),
    ("molecule-files:path='{data}/moleculenet_esol/delaney-processed.csv',task='bogus'",
     MOLECULES, "task: expected one of 'classification', 'regression', 'auto'"),
    ("molecule-files:path='{data}/moleculenet_esol/delaney-processed.csv',"
     "smiles_column='bogus'", MOLECULES, "delaney-processed.csv: expected columns ['bogus'"),
    ("molecule-external:train='tdc-bbb-martins',test='moleculenet-esol'", MOLECULES,
     "test: expected a classification dataset, as train (tdc-bbb-martins) is"),
    ("davis:n_drugs=0", PAIRS, "n_drugs: expected an integer in 2..68, got 0"),
    ("kiba:n_targets='abc'", PAIRS, "n_targets: expected an integer in 2..229, got 'abc'"),
])
def test_a_bad_parameter_of_a_real_dataset_is_one_line(monkeypatch, capsys, store, real_data,
                                                      spec, pipeline, message):
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store,
                                   ["-d", spec.replace("{data}", str(real_data)), "-p", pipeline],
                                   message)


# -- unreadable files -----------------------------------------------------------------------

def _random_bytes(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    return path


@pytest.mark.parametrize("name, spec, pipeline, reason", [
    ("table.csv", "tabular:path='{path}',target='y'", "tab-lr", "UnicodeDecodeError"),
    ("table.parquet", "tabular:path='{path}',target='y'", "tab-lr", "ArrowInvalid"),
    ("mols.csv", "molecule-files:path='{path}',target_column='y'", "mol-morgan-rf",
     "UnicodeDecodeError"),
])
def test_an_unreadable_table_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys, store,
                                                         name, spec, pipeline, reason):
    path = _random_bytes(tmp_path / name)
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store,
                                   ["-d", spec.format(path=path), "-p", pipeline],
                                   (f"{path}: expected", reason))


def test_a_table_whose_features_are_all_empty_is_one_line(tmp_path, monkeypatch, capsys,
                                                          store):
    rng = np.random.default_rng(0)
    path = tmp_path / "empty.csv"
    pd.DataFrame({"a": np.nan, "b": np.nan, "y": rng.integers(0, 2, 40)}).to_csv(path,
                                                                                index=False)
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store,
                                   ["-d", f"tabular:path='{path}',target='y'", "-p", "tab-lr"],
                                   ("tabular: features: expected at least one feature column "
                                    "with a value", "every feature column is empty"))


def test_a_truncated_abide_archive_is_one_line(tmp_path, monkeypatch, capsys, store,
                                               real_data):
    source = real_data / "abide_pcp_cc200"
    root = tmp_path / "abide"
    root.mkdir()
    for csv in source.glob("*.csv"):
        (root / csv.name).write_bytes(csv.read_bytes())
    archive = root / "cc200_timeseries_float16.npz"
    with (source / archive.name).open("rb") as handle:
        archive.write_bytes(handle.read(1_000_000))
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store,
                                   ["-d", f"abide-cc200:root='{root}'", "-p", TIMESERIES],
                                   (f"{archive}: expected", "BadZipFile"))


def test_every_loader_has_a_bad_input_case():
    from neurocompare.data.registry import DATASETS
    from neurocompare.data.smiles_corpus import CORPORA

    sources = Path(__file__).read_text() + (Path(__file__).parent
                                             / "test_bad_inputs_cli.py").read_text()
    assert TINY.split(":")[0] in sources
    missing = [name for name in [*DATASETS, *CORPORA] if f'"{name}' not in sources
               and f"'{name}" not in sources and f"-c\", \"{name}" not in sources]
    assert not missing, missing
