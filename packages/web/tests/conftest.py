"""Shared set-up of squall.web's tests.

Servers come from squall-testing's pytest plugin (a test-only sibling, see
pyproject.toml): a test module defines ``app``; ``fetch`` (``await``-ed in
``async def`` tests, called directly in plain ones), ``http_port`` and
``serve(other_app)`` do the rest, with the real ``squall.httpserver`` on the
test's own loop; ``raw_request(data)`` sends raw bytes to the ``app``
server. ``squall.testing.wait_until`` lets the loop run until an
after-effect shows. websupport.py has ``cookies_of``.
"""

from __future__ import annotations

import os
import sys

import pytest

# Tests import helpers from websupport.py (importlib mode does not put this
# directory on sys.path by itself).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def squall_leaks() -> str:
    """Work left on the loop when a test ends (a timer, a task) fails the test here."""
    return "error"
