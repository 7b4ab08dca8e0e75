"""Connectome and ROI time-series pipelines (fMRI)."""
