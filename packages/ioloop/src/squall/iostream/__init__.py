"""squall.iostream."""
