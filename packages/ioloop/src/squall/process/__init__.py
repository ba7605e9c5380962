"""squall.process."""
