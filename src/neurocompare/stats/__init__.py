"""Statistics: pure functions over the tidy results table."""
