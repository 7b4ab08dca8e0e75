"""pipelines/sites."""
