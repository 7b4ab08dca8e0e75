"""The molecule part of the interpretability section: fingerprint bits and atom attributions.

:func:`molecule_context` reads the ``"bit"`` and ``"molecule"`` importance rows that
:func:`neurocompare.explain.molecules.explain_molecules` stores and returns, per dataset and
(pipeline, method), the most important Morgan bits over the folds (importance averaged over
every explained fold, a fold whose stored top bits lack the bit counting 0), each with its
fragment, direction, test molecules carrying it, collision note and an RDKit drawing of the
environment, plus atom-attribution drawings of example test molecules.

The drawings are SVG that RDKit generates here from stored numbers (bit, centre atom, radius,
atom scores) and a canonical SMILES; they are inlined in the page. Before being marked safe
(:func:`neurocompare.report.rendering.trusted`) each is parsed and checked by
:func:`inline_svg`: an ``<svg>`` root and no scripts, foreign objects, event handlers or
external links. Every other value (SMILES, fragments, names) is escaped by the template.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from neurocompare._errors import input_error
from neurocompare.explain.molecules import draw_atom_svg, draw_bit_svg
from neurocompare.report.rendering import trusted

__all__ = ["MOLECULE_GROUP_TYPES", "inline_svg", "molecule_context"]

logger = logging.getLogger(__name__)

#: Group types of molecule importance rows (the EEG part of the section skips them).
MOLECULE_GROUP_TYPES = ("bit", "molecule")
_SVG = "{http://www.w3.org/2000/svg}"
_FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed"}


def inline_svg(svg: str) -> Markup:
    """An SVG document as safe inline markup, after checking that it is one.

    Parameters
    ----------
    svg : str
        An SVG document (an XML declaration is dropped).

    Returns
    -------
    Markup
        The ``<svg>`` element, marked safe.
    """
    text = svg.split("?>", 1)[1] if svg.lstrip().startswith("<?xml") else svg
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise input_error("svg", "a well-formed SVG document", f"{exc}") from exc
    if root.tag != f"{_SVG}svg":
        raise input_error("svg", "an <svg> root element", root.tag)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        bad = [k for k, v in element.attrib.items()
               if k.rsplit("}", 1)[-1].lower().startswith("on")
               or (k.endswith("href") and not v.startswith("#"))]
        if tag in _FORBIDDEN or bad:
            raise input_error("svg", "drawing elements only (no scripts, foreign objects, "
                              "event handlers or external links)", tag if not bad else bad)
    return trusted([text.strip()])[0]


def _bit_svg(row: Mapping[str, Any]) -> Markup | None:
    smiles, atom, radius = row["example_smiles"], row["example_atom"], row["example_radius"]
    if not isinstance(smiles, str) or not smiles or not np.isfinite(atom) or atom < 0:
        return None
    bit = int(row["group"])
    return inline_svg(draw_bit_svg(smiles, bit, {bit: ((int(atom), int(radius)),)}))


def _bit_rows(part: pd.DataFrame, n_folds: int, top: int) -> list[dict[str, Any]]:
    """The ``top`` bits by importance averaged over ``n_folds`` (absent = 0)."""
    out = []
    totals = part.groupby("group", sort=True)["importance"].sum() / max(n_folds, 1)
    for bit in totals.sort_values(ascending=False, kind="stable").index[:top]:
        rows = part[part["group"] == bit]
        best = rows.sort_values("fragment_count", ascending=False, kind="stable").iloc[0]
        notes = [str(n) for n in rows["collision"].fillna("") if n]
        direction = rows["direction"].astype(float).mean()
        out.append({"bit": str(bit), "importance": float(totals[bit]),
                    "direction": f"{direction:+.3g}" if np.isfinite(direction) else "-",
                    "fragment": str(best["fragment"]),
                    "n_carriers": int(rows["n_carriers"].fillna(0).sum()),
                    "n_folds": len(rows), "collision": max(notes, key=len, default=""),
                    "svg": _bit_svg(best)})
    return out


def _example_rows(part: pd.DataFrame, n_examples: int) -> list[dict[str, Any]]:
    """Atom-attribution drawings of the example molecules of the first stored fold."""
    if part.empty:
        return []
    first = part[part["fold"] == sorted(part["fold"].astype(str))[0]]
    out = []
    for row in first.head(n_examples).to_dict("records"):
        scores = json.loads(row["atom_scores"])
        out.append({"smiles": str(row["group"]), "label": str(row.get("label", "")),
                    "total": float(row["importance"]), "fold": str(row["fold"]),
                    "svg": inline_svg(draw_atom_svg(str(row["group"]), scores))})
    return out


def molecule_context(rows: pd.DataFrame, top: int = 10, n_examples: int = 3
                     ) -> list[dict[str, Any]]:
    """Values of the molecule part of ``templates/interpretability.html``.

    Parameters
    ----------
    rows : DataFrame
        Importance rows (any; only ``group_type`` ``"bit"`` and ``"molecule"`` are read).
    top : int
        Bits shown per (pipeline, method).
    n_examples : int
        Atom-attribution drawings per (pipeline, method).

    Returns
    -------
    list of dict
        Per dataset: ``name`` and ``pipelines``, each with ``pipeline``, ``method``,
        ``n_folds``, ``bits`` (bit, importance, direction, fragment, n_carriers, n_folds,
        collision, svg) and ``examples`` (smiles, label, total, fold, svg).
    """
    if rows is None or rows.empty or "group_type" not in rows.columns:
        return []
    mols = rows[rows["group_type"].isin(MOLECULE_GROUP_TYPES)]
    out = []
    for name, data in mols.groupby(mols["dataset"].astype(str), sort=True):
        pipelines = []
        for (pipeline, method), part in data.groupby(["pipeline", "method"], sort=True):
            bits = part[part["group_type"] == "bit"]
            n_folds = part[["subject", "session", "fold"]].drop_duplicates().shape[0]
            pipelines.append({
                "pipeline": str(pipeline), "method": str(method), "n_folds": n_folds,
                "importance_label": "mean |SHAP|" if method == "shap" else "mean score drop",
                "bits": _bit_rows(bits, n_folds, top) if len(bits) else [],
                "examples": _example_rows(part[part["group_type"] == "molecule"],
                                          n_examples)})
        out.append({"name": str(name), "pipelines": pipelines})
    return out
