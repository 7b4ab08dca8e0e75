"""Molecule pipelines: SMILES featurisers (fingerprints, descriptors, Mol2Vec), the
traditional catalogue, and the deep molecule networks."""
