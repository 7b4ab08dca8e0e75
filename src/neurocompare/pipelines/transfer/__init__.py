"""pipelines/transfer."""
