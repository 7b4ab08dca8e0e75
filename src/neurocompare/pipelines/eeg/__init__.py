"""pipelines/eeg."""
