"""Pipelines: every method as a scikit-learn estimator, and the registry."""
