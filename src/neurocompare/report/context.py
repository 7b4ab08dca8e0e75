"""What every section of a report shares: the figure folder and the dataset records.

The main report (:mod:`neurocompare.report.build`) and its sections
(:mod:`~neurocompare.report.data_efficiency`, :mod:`~neurocompare.report.interpretability`)
import these; none of them imports another section's module for them.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["FigureFolder", "records_by_name", "safe_name"]


def safe_name(name: str) -> str:
    """A file-name-safe version of a dataset or figure name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "unnamed"


class FigureFolder:
    """Save figures as PNG + SVG in one folder and return PNG data URIs for embedding.

    Parameters
    ----------
    folder : Path
        Created when missing, e.g. ``<out>/report/figures``.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, fig: Figure, name: str) -> str:
        """Write ``<safe name>.svg`` and ``.png``, close ``fig``, return the PNG data URI."""
        stem = safe_name(name)
        fig.savefig(self.folder / f"{stem}.svg")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        (self.folder / f"{stem}.png").write_bytes(buffer.getvalue())
        plt.close(fig)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def records_by_name(runs: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Dataset name -> dataset record over the run manifests (a later run's record wins).

    Parameters
    ----------
    runs : iterable of mapping
        Run manifests (:func:`neurocompare.records.manifest.read_runs`), each with an
        optional ``datasets`` list of records carrying a ``name``.
    """
    out = {}
    for run in runs:
        for record in run.get("datasets", []):
            out[record["name"]] = record
    return out
