"""Protocols: splitters over the metadata table, budgets, metrics and cost."""
