"""squall.testing: test helpers and a pytest plugin for squall applications."""
