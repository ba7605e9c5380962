"""squall.autoreload."""
