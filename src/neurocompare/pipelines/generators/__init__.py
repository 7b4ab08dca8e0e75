"""SMILES generators: estimators that learn a set of molecules and sample new strings.

Deep generators (recurrent networks over SMILES tokens, :mod:`.recurrent`) and traditional
ones (token n-grams, :mod:`.ngram`; BRICS fragment recombination, :mod:`.brics`; the
training set itself, :mod:`.training_set`) share one contract, :class:`.base.SmilesGenerator`:
``fit(X, y=None, X_valid=None)`` then ``sample(n_samples, random_state)``. The explicit
registry is :data:`.catalogue.GENERATOR_SPECS`.
"""
