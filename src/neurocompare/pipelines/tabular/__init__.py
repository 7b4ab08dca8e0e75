"""Pipelines for clinical and structural feature tables."""
