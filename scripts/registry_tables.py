"""Regenerate the registry tables of README.md (datasets, pipelines, protocols, generators,
corpora).

Usage: .venv/bin/python scripts/registry_tables.py [--check]
With --check, exit 1 if README.md is out of date (the test suite runs this).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from neurocompare.data.registry import DATASETS
from neurocompare.data.smiles_corpus import CORPORA
from neurocompare.pipelines.generators.catalogue import GENERATOR_SPECS
from neurocompare.pipelines.registry import PIPELINES
from neurocompare.protocols.registry import PROTOCOLS

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- registry:start -->", "<!-- registry:end -->"


def tables() -> str:
    """Markdown tables of every registered dataset, pipeline, protocol, generator and corpus."""
    lines = ["### Datasets", "",
             "Folder: where the dataset's `root` defaults to, under the data root "
             "(`--data-root`); — for loaders of your own files, given by path.", "",
             "| name | kind | folder | description |", "|---|---|---|---|"]
    lines += [f"| `{n}` | {c.kind} | {f'`{c.data_folder}`' if c.data_folder else '—'} "
              f"| {c.description} |" for n, c in DATASETS.items()]
    lines += ["", "### Pipelines", "", "| name | family | description |", "|---|---|---|"]
    lines += [f"| `{n}` | {s.family} | {s.description} |" for n, s in PIPELINES.items()]
    lines += ["", "### Protocols", "", "| name | description |", "|---|---|"]
    lines += [f"| `{n}` | {s.description} |" for n, s in PROTOCOLS.items()]
    lines += ["", "### Molecule generators (`neurocompare generate`)", "",
              "| name | family | description |", "|---|---|---|"]
    lines += [f"| `{n}` | {s.family} | {s.description} |" for n, s in GENERATOR_SPECS.items()]
    lines += ["", "### SMILES corpora (`neurocompare generate --corpus`)", "",
              "| name | description |", "|---|---|"]
    lines += [f"| `{n}` | {c.description} |" for n, c in CORPORA.items()]
    return "\n".join(lines)


def render(text: str) -> str:
    """Return ``text`` with the block between the markers replaced by :func:`tables`."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{tables()}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = README.read_text()
    new = render(text)
    if args.check:
        if new != text:
            sys.stderr.write("README.md registry tables are stale: run "
                             "scripts/registry_tables.py\n")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
