"""Drug-target interaction pipelines: pair featurisers and kernels, KronRLS, SimBoost-style
boosting, and the deep pair networks (DeepDTA, GraphDTA-style, MLP)."""
