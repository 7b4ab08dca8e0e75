"""The importance store: tidy importance rows of explained folds under ``<out>/importance``."""

from __future__ import annotations

from pathlib import Path

from neurocompare.records.store import ResultStore

__all__ = ["ImportanceStore"]


class ImportanceStore(ResultStore):
    """Importance rows under ``<root>/importance`` (a :class:`ResultStore` in another folder).

    Each stored set of rows is keyed by the result it explains, the methods and their options
    (:func:`neurocompare.explain.run.importance_key`). Query with DuckDB:
    ``read_parquet('<out>/importance/*.parquet', union_by_name=true)``; in :meth:`query` the
    view is still called ``results``.
    """

    #: One importance row per (result, method, group type, group): a complete order.
    ORDER_BY = ("dataset", "pipeline", "subject", "session", "fold", "key", "method",
                "group_type", "group")

    @property
    def folder(self) -> Path:
        """Folder holding the importance Parquet files."""
        return self.root / "importance"
