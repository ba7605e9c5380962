"""Shared set-up of squall.websocket's tests.

Servers come from squall-testing's pytest plugin (a test-only sibling, see
pyproject.toml): ``async def`` tests run on the test's `IOLoop`, ``app`` +
``http_port`` serve a ``squall.web.Application`` with the real
``squall.httpserver.HTTPServer``, and ``serve(app).port`` starts one more.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Tests import the raw-frame helpers in wsraw.py (importlib mode does not
# put this directory on sys.path by itself).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Work left on the loop when a test ends (a timer, a task) fails the test here."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.filterwarnings("error::squall.testing.LeakWarning"))
