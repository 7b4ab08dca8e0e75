"""What ``neurocompare datasets|pipelines|protocols [NAME]`` print, as rich renderables.

Without a name, one table per registry; with one, that item's line of description, its
facts and a table of its parameters (:mod:`neurocompare.describe` gives the rows). Cells are
plain text, never rich markup, so a ``[seed, s]`` in a docstring shows as written.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from neurocompare.data.registry import DATASETS
from neurocompare.describe import (
    Description,
    describe_dataset,
    describe_pipeline,
    describe_protocol,
)
from neurocompare.pipelines.registry import PIPELINES
from neurocompare.protocols.registry import PROTOCOLS

__all__ = ["datasets", "description", "pipelines", "protocols"]


def _table(title: str, columns: tuple[str, ...], rows) -> Table:
    view = Table(*columns, title=title)
    for row in rows:
        view.add_row(*(Text(str(cell)) for cell in row))
    return view


def description(what: str, item: Description) -> RenderableType:
    """One registered item: its line of description, facts and a table of parameters."""
    lines = [Text(f"{item.name} ({what}): {item.summary}", style="bold")]
    lines += [Text(f"  {label}: {value}") for label, value in item.facts]
    if not item.params:
        return Group(*lines, Text("No parameters."))
    return Group(*lines, _table(f"Parameters of {item.name}",
                                ("name", "type", "default", "description"), item.params))


def datasets(name: str | None = None) -> RenderableType:
    """The dataset table, or dataset ``name``'s parameters."""
    if name is not None:
        return description("dataset", describe_dataset(name))
    return _table("Datasets", ("name", "kind", "description"),
                  ((n, cls.kind, cls.description) for n, cls in DATASETS.items()))


def pipelines(name: str | None = None) -> RenderableType:
    """The pipeline table, or pipeline ``name``'s facts, search space and parameters."""
    if name is not None:
        return description("pipeline", describe_pipeline(name))
    return _table("Pipelines", ("name", "family", "data", "description"),
                  ((n, s.family, ",".join(s.kinds), s.description)
                   for n, s in PIPELINES.items()))


def protocols(name: str | None = None) -> RenderableType:
    """The protocol table, or protocol ``name``'s parameters."""
    if name is not None:
        return description("protocol", describe_protocol(name))
    return _table("Protocols", ("name", "description"),
                  ((n, s.description) for n, s in PROTOCOLS.items()))
