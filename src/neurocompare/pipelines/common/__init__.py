"""pipelines/common."""
