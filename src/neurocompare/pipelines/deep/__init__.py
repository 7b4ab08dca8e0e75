"""Deep pipelines (braindecode models and recurrent networks) behind one scikit-learn classifier."""
