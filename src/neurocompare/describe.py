"""What a registered dataset, pipeline or protocol accepts: its parameters, one row each.

``neurocompare datasets NAME`` (and ``pipelines NAME``, ``protocols NAME``) print these rows;
they come from the same source as the documentation, the numpydoc ``Parameters`` section of
the class docstring, so a parameter's help is written once. Pure functions: nothing here
prints, loads data or fits.

* A dataset's parameters are its dataclass fields (default, or ``required``).
* A protocol's are the constructor parameters of its splitter that the protocol lets a run
  set (``--protocol-param``), with the defaults the protocol gives them; ``run seed`` marks a
  default taken from the run's ``--seed``.
* A pipeline's are the nested ``step__param`` parameters of its estimator, built for an
  example description of data of its first kind and task, with their help taken from each
  step's own docstring; plus the search space a tuned run explores.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from neurocompare.data.containers import SignalInfo
from neurocompare.data.registry import DATASETS, make_dataset
from neurocompare.pipelines.registry import get_spec, make_pipeline
from neurocompare.protocols.registry import PROTOCOLS, make_splitter

__all__ = ["Description", "Param", "describe_dataset", "describe_pipeline",
           "describe_protocol", "docstring_params", "one_line", "plain"]

#: The default shown for a parameter that must be given.
REQUIRED = "required"
#: The default shown for a protocol parameter that takes the run's ``--seed``.
RUN_SEED = "run seed"


class Param(NamedTuple):
    """One parameter, a row of text: its name, type, default and a line of help."""

    name: str
    type: str
    default: str
    help: str


@dataclass(frozen=True)
class Description:
    """A registered item: its one-line summary, a few facts and its parameters.

    Attributes
    ----------
    name : str
    summary : str
        The registry's line of description.
    facts : tuple of (str, str)
        Labelled facts (kind, family, scope, ...), in display order.
    params : tuple of Param
    """

    name: str
    summary: str
    facts: tuple[tuple[str, str], ...]
    params: tuple[Param, ...]


# -- docstrings --------------------------------------------------------------------------
_HEADER = re.compile(r"^(\S[^\n]*)\n-{3,}[ \t]*$", re.M)
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.")


def _sections(doc: str) -> dict[str, str]:
    """numpydoc section title -> its body (dedented text up to the next section)."""
    text = inspect.cleandoc(doc or "")
    headers = list(_HEADER.finditer(text))
    ends = [match.start() for match in headers[1:]] + [len(text)]
    return {match.group(1).strip(): text[match.end():end]
            for match, end in zip(headers, ends, strict=False)}


def one_line(text: str) -> str:
    """The first sentence of ``text`` (its whitespace collapsed), for a table cell.

    A sentence ends at a full stop followed by a space, except after ``e.g.`` and similar;
    ``:`` and ``;`` do not end it. Without a full stop, the whole text.
    """
    text = " ".join(text.split())
    for match in re.finditer(r"\.(\s|$)", text):
        head = text[:match.start() + 1]
        if not head.endswith(_ABBREVIATIONS):
            return head
    return text


def plain(text: str) -> str:
    """reStructuredText inline markup as Markdown-style text: double backticks become single
    ones; a role such as ``:class:`~a.b.C``` becomes its target in backticks (``~``: the last
    name only)."""
    def role(match: re.Match) -> str:
        target = match.group(2)
        return f"`{target.rpartition('.')[2] if match.group(1) else target}`"

    return re.sub(r":[a-z]+:`(~?)([^`]+)`", role, text).replace("``", "`")


def _entries(body: str) -> dict[str, tuple[str, str]]:
    """``name : type`` entries of a Parameters section -> (type, description)."""
    out: dict[str, tuple[str, str]] = {}
    names: list[str] = []
    lines = [line for line in body.splitlines() if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    for line in lines:
        line = line[indent:]
        if not line[0].isspace():
            head, _, kind = line.partition(" : ")
            names = [n.strip() for n in head.split(",") if n.strip()
                     and not n.strip().startswith("*")]
            for name in names:
                out[name] = (kind.strip(), "")
        else:
            for name in names:
                kind, text = out[name]
                out[name] = (kind, f"{text} {line.strip()}".strip())
    return out


def docstring_params(cls: type) -> dict[str, tuple[str, str]]:
    """Parameter name -> (type, one line of help) from the ``Parameters`` sections of the
    docstrings of ``cls`` and its bases, class or ``__init__`` (the nearest class documenting
    a name wins).

    A type ending in ``, default=...``, ``, optional`` or ``, optional (default=...)``
    keeps only the type.
    """
    out: dict[str, tuple[str, str]] = {}
    for klass in reversed(inspect.getmro(cls)):
        init = klass.__dict__.get("__init__")
        for doc in (getattr(init, "__doc__", None), klass.__dict__.get("__doc__")):
            body = _sections(doc if isinstance(doc, str) else "").get("Parameters", "")
            for name, (kind, text) in _entries(body).items():
                kind = re.split(r",\s*(?:optional\s*)?\(?default\b", kind)[0]
                out[name] = (kind.removesuffix(", optional").strip(), plain(one_line(text)))
    return out


# -- values ------------------------------------------------------------------------------
def _show(value: Any, limit: int = 60) -> str:
    """A short text for a default value (a class or function by its name)."""
    if inspect.isclass(value) or inspect.isfunction(value):
        return value.__qualname__
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _annotation(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty or annotation is dataclasses.MISSING:
        return ""
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__",
                                                                  str(annotation))


# -- datasets ----------------------------------------------------------------------------
def describe_dataset(name: str) -> Description:
    """The parameters of dataset ``name`` (the error of an unknown name lists the known)."""
    if name not in DATASETS:
        make_dataset(name)  # raises the registry's error, which lists the registered names
    cls = DATASETS[name]
    documented = docstring_params(cls)
    params = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        if field.default is not dataclasses.MISSING:
            default = _show(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            default = _show(field.default_factory())
        else:
            default = REQUIRED
        kind, text = documented.get(field.name, ("", ""))
        params.append(Param(field.name, kind or _annotation(field.type), default, text))
    facts = [("kind", cls.kind), ("class", f"{cls.__module__}.{cls.__qualname__}")]
    if cls.loading_unit == "dataset":
        facts.append(("loading", "the whole dataset at once (not subject by subject)"))
    if cls.scope_note:
        facts.append(("splitting", " ".join(cls.scope_note.split())))
    return Description(name, cls.description, tuple(facts), tuple(params))


# -- protocols ---------------------------------------------------------------------------
def _settable(name: str, param: str, value: Any) -> bool:
    """Whether protocol ``name`` lets a run set ``param`` (a value its recipe fixes, such as
    the wrapped splitter of a learning curve, cannot be given again)."""
    try:
        PROTOCOLS[name].build(42, **{param: value})
    except TypeError:
        return False
    return True


def describe_protocol(name: str) -> Description:
    """The parameters of protocol ``name`` (the error of an unknown name lists the known)."""
    splitter = make_splitter(name, 42)
    other = make_splitter(name, 43)
    cls = type(splitter)
    documented = docstring_params(cls)
    params = []
    for param in inspect.signature(cls).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = getattr(splitter, param.name, param.default)
        if not _settable(name, param.name, value):
            continue
        if getattr(other, param.name, value) != value:
            default = RUN_SEED
        else:
            default = REQUIRED if value is inspect.Parameter.empty else _show(value)
        kind, text = documented.get(param.name, ("", ""))
        params.append(Param(param.name, kind or _annotation(param.annotation), default, text))
    scope = ("each subject on its own" if splitter.scope == "subject"
             else "every subject together")
    facts = (("splitter", f"{cls.__module__}.{cls.__qualname__}"), ("splits", scope))
    return Description(name, PROTOCOLS[name].description, facts, tuple(params))


# -- pipelines ---------------------------------------------------------------------------
#: Example ``info.extra`` entries for pipelines that require them: an SSVEP-like rest class
#: and stimulation frequencies; a broadband and a filter-bank channel group.
_EXAMPLE_EXTRA: dict[str, Any] = {
    "stim_freqs": {"10Hz": 10.0, "15Hz": 15.0, "20Hz": 20.0},
    "channel_groups": {"1-45Hz": [0], "9.5-10.5Hz": [0]},
}


def example_info(kind: str, task: str, requires: tuple[str, ...] = ()) -> SignalInfo:
    """A description of data of ``kind`` and ``task`` to build a pipeline for (128 Hz
    signals, two classes; four with a rest class when stimulation frequencies are needed)."""
    classes: tuple[str, ...] = ()
    if task == "classification":
        classes = ("rest", "10Hz", "15Hz", "20Hz") if "stim_freqs" in requires else ("a", "b")
    sfreq = 128.0 if kind in ("epochs", "timeseries") else None
    extra = {key: _EXAMPLE_EXTRA[key] for key in requires if key in _EXAMPLE_EXTRA}
    return SignalInfo(kind=kind, task=task, class_names=classes, sfreq=sfreq, extra=extra)


#: A Pipeline's own parameters: how it runs, not what it learns.
_PIPELINE_OWN = frozenset(("steps", "memory", "verbose", "transform_input"))


def _pipeline_params(estimator: BaseEstimator) -> list[Param]:
    """The leaf ``step__param`` parameters of ``estimator`` (a Pipeline's own ``memory``,
    ``verbose``... left out), each helped by its step's docstring."""
    values = estimator.get_params(deep=True)
    docs: dict[type, dict[str, tuple[str, str]]] = {}
    params = []
    for key, value in values.items():
        owner_key, _, param = key.rpartition("__")
        owner = type(values[owner_key] if owner_key else estimator)
        if isinstance(value, BaseEstimator) or (issubclass(owner, Pipeline)
                                                 and param in _PIPELINE_OWN):
            continue
        if owner not in docs:
            docs[owner] = docstring_params(owner)
        kind, text = docs[owner].get(param, ("", ""))
        kind = kind.replace("typing.", "") or ("" if value is None else type(value).__name__)
        params.append(Param(key, kind, _show(value), text))
    return params


def _space(spec: Any) -> str:
    if isinstance(spec, list):
        return "one of " + ", ".join(_show(v) for v in spec)
    kind, low, high = spec
    return {"log": "log-uniform", "float": "uniform", "int": "integer"}.get(kind, kind) \
        + f" in [{low:g}, {high:g}]"


def describe_pipeline(name: str) -> Description:
    """Pipeline ``name`` (a label ``name:step__param=value`` shows its values): family, data,
    tuned search space and the parameters of its estimator built for :func:`example_info` of
    its first kind and task."""
    spec = get_spec(name)
    info = example_info(spec.kinds[0], spec.tasks[0], spec.requires)
    estimator = make_pipeline(name, info)  # with the label's overrides, if any
    facts = [("family", spec.family), ("data kinds", ", ".join(spec.kinds)),
             ("tasks", ", ".join(spec.tasks))]
    if spec.requires:
        facts.append(("needs in the dataset info", ", ".join(spec.requires)))
    for param, space in spec.search_space.items():
        facts.append((f"tuned (--tune): {param}", _space(space)))
    facts.append(("parameters shown for", f"{info.kind} {info.task} data"
                  + (f" at {info.sfreq:g} Hz" if info.sfreq else "")
                  + "; set them as name:step__param=value"))
    return Description(spec.name, spec.description, tuple(facts),
                       tuple(_pipeline_params(estimator)))
