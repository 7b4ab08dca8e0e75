"""Property-based tests (hypothesis) of the two texts a user writes: ``name:key=value`` specs
(:mod:`neurocompare._spec`) and the TOML run configuration (``cli._read_config`` ->
``RunConfig`` -> ``check_config``). Whatever the text, the outcome is a parsed value or an
:class:`InputError`, never another exception. Derandomized, so every run draws the same
examples.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurocompare import cli
from neurocompare._errors import InputError
from neurocompare._spec import parse_choice, parse_value, split_top_level
from neurocompare.runner import RunConfig
from neurocompare.runner.config import check_config

FAST = settings(max_examples=150, derandomize=True, deadline=None)

# -- the spec parser ------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
SCALARS = (st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=12) | st.booleans() | st.none())
LITERALS = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=4) | st.lists(inner, max_size=4).map(tuple)
                   | st.dictionaries(st.text(max_size=6) | st.integers(-99, 99), inner,
                                     max_size=3)),
    max_leaves=8)
#: Text a user might type: the characters the parser cares about, weighted up.
TYPED = st.text(alphabet=st.sampled_from(list("ab1.-_ =:,'\"()[]{}\\ ")) | st.characters(),
                max_size=40)


@FAST
@given(NAMES, st.dictionaries(KEYS, LITERALS, max_size=5))
def test_a_spec_of_literal_values_round_trips(name, params):
    """Strings with commas, quotes, brackets and backslashes, nested tuples, lists and
    dicts: the value written with ``repr`` comes back equal."""
    spec = name + (":" + ",".join(f"{k}={v!r}" for k, v in params.items()) if params else "")
    assert parse_choice(spec) == (name, params)


@FAST
@given(TYPED)
def test_any_text_parses_or_is_an_input_error(text):
    try:
        name, params = parse_choice(text, "pipeline")
    except InputError as error:
        assert str(error).startswith(("pipeline", "choice"))
    else:
        assert isinstance(name, str) and isinstance(params, dict)
        assert all(isinstance(k, str) and k for k in params)


@FAST
@given(TYPED)
def test_any_value_text_is_a_literal_plain_text_or_an_error_naming_its_key(text):
    try:
        value = parse_value("net__lr", text)
    except InputError as error:
        assert str(error).startswith("net__lr: expected a Python literal")
    else:
        if isinstance(value, str) and value == text:  # kept as plain text
            assert not set(text) & set("'\"") and text[:1] not in "([{"


@FAST
@given(TYPED)
def test_top_level_pieces_join_back_to_the_text(text):
    assert ",".join(split_top_level(text)) == text


@pytest.mark.parametrize("text", ["'lsqr", "lsqr'", "(1, 2", "[1, 2]]", "{'a': 1",
                                  "{subject}.edf", "O'Brien"])
def test_a_mistyped_literal_is_an_error_not_a_string(text):
    with pytest.raises(InputError, match="lda__solver: expected a Python literal"):
        parse_value("lda__solver", text)


@pytest.mark.parametrize("text, value", [
    ("last", "last"), ("sub-{subject}.edf", "sub-{subject}.edf"), ("3", 3), ("1e-3", 1e-3),
    ("'a,b'", "a,b"), ("(0.5, 0.5)", (0.5, 0.5)), ("None", None), ("/data/x.csv", "/data/x.csv"),
])
def test_plain_text_and_literals_are_values(text, value):
    assert parse_value("key", text) == value


def test_a_key_given_twice_is_an_error_naming_it():
    with pytest.raises(InputError, match="dataset 'simulated-mi': expected each parameter "
                                         "once, got 'n_subjects'"):
        parse_choice("simulated-mi:n_subjects=1,n_subjects=2", "dataset")


# -- the TOML run configuration -------------------------------------------------------------

def _toml(value) -> str:
    """``value`` as a TOML value (basic strings in JSON's escaping, which TOML accepts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


TOML_SCALARS = (st.integers(-2**40, 2**40) | st.floats() | st.booleans()
                | st.text(max_size=15)
                | st.sampled_from(["csp-lda", "ts-lr", "permutation", "within-session",
                                   "simulated-mi", "loky", "tcp://host:8786", "all"]))
TOML_VALUES = st.recursive(
    TOML_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "n_splits", "n_repeats", "scoring", "x"]) | st.text(
            max_size=5), inner, max_size=3),
    max_leaves=6)
#: Keys whose value is a path or address: an arbitrary string there would create folders
#: (``out``) or dial out (``scheduler``), so strings come from a safe list.
SAFE = {"out": st.integers() | st.lists(st.integers(), max_size=2) | st.just(""),
        "scheduler": st.none() | st.integers() | st.sampled_from(["notaurl", "tcp://"])}
#: A few valid values per key, so examples also reach the checks behind the first one.
VALID = {"datasets": st.just([{"name": "simulated-mi", "n_subjects": 1}]),
         "pipelines": st.just(["csp-lda"]), "protocol_params": st.just({"n_splits": 3}),
         "jobs": st.just(1), "seed": st.just(7)}
SETTINGS = settings(max_examples=25, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _outcome(tmp_path: Path, values: dict) -> str:
    """Read ``values`` as a TOML run configuration and check it as ``neurocompare run``
    does; return "valid" or the error (any other exception fails the test)."""
    path = tmp_path / "run.toml"
    path.write_text("".join(f"{key} = {_toml(value)}\n" for key, value in values.items()
                            if value is not None), encoding="utf-8")
    try:
        raw = cli._read_config(path)
        raw.pop("report", None)  # a flag of the command, not a field of the run
        raw.setdefault("out", str(tmp_path / "out"))
        if "pipelines" in raw:
            raw["pipelines"] = cli._expand_pipelines(raw["pipelines"])
        check_config(RunConfig(**raw))
    except InputError as error:
        return str(error)
    return "valid"


@pytest.mark.parametrize("key", sorted(cli._CONFIG_KEYS))
@SETTINGS
@given(data=st.data())
def test_any_toml_value_of_a_key_gives_a_config_or_an_input_error(tmp_path, key, data):
    value = data.draw(SAFE.get(key, TOML_VALUES), label=key)
    others = {k: data.draw(v, label=k) for k, v in VALID.items() if k != key}
    assert _outcome(tmp_path, {key: value} | others)


@SETTINGS
@given(st.fixed_dictionaries({}, optional={key: SAFE.get(key, TOML_VALUES)
                                           for key in sorted(cli._CONFIG_KEYS)}))
def test_any_toml_configuration_gives_a_config_or_an_input_error(tmp_path, values):
    assert _outcome(tmp_path, values)


def test_the_toml_writer_of_these_tests_round_trips(tmp_path):
    path: Path = tmp_path / "run.toml"
    value = {"a\"b": [1, 2.5, "x,'y'\n", True, {"n": -3}], "c": "é\\"}
    path.write_text(f"protocol_params = {_toml(value)}\n", encoding="utf-8")
    assert cli._read_config(path)["protocol_params"] == value
