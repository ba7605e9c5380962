"""Shared set-up of squall.websocket's tests.

Servers come from squall-testing's pytest plugin (a test-only sibling, see
pyproject.toml): ``async def`` tests run on the test's `IOLoop`, ``app`` +
``http_port`` serve a ``squall.web.Application`` with the real
``squall.httpserver.HTTPServer``, and ``serve(app).port`` starts one more.
"""

from __future__ import annotations

import os
import sys

import pytest

# Tests import the raw-frame helpers in wsraw.py (importlib mode does not
# put this directory on sys.path by itself).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def squall_leaks() -> str:
    """Work left on the loop when a test ends (a timer, a task) fails the test here."""
    return "error"
