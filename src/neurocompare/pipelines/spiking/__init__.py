"""Spiking pipelines (snnTorch): encodings, LIF networks, ANN-to-SNN conversion."""
