"""Tidy result rows and the store that keeps them (Parquet files queried with DuckDB)."""

from neurocompare.records.keys import params_key, unit_key
from neurocompare.records.store import ResultStore

__all__ = ["ResultStore", "params_key", "unit_key"]
