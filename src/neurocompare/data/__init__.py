"""Data: loaders, the one data model (NeuralData), epoching and the dataset registry."""
