"""Shared set-up of squall.web's tests.

Servers come from squall-testing's pytest plugin (a test-only sibling, see
pyproject.toml): a test module defines ``app``; ``fetch`` (``await``-ed in
``async def`` tests, called directly in plain ones), ``http_port`` and
``serve(other_app)`` do the rest, with the real ``squall.httpserver`` on the
test's own loop. What the plugin does not provide lives in websupport.py
(raw requests over asyncio streams, ``wait_until``, ``cookies_of``), plus the
``raw_request`` fixture below.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

# Tests import helpers from websupport.py (importlib mode does not put this
# directory on sys.path by itself).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import websupport  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Work left on the loop when a test ends (a timer, a task) fails the test here."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.filterwarnings("error::squall.testing.LeakWarning"))


@pytest.fixture
def raw_request(http_port: int) -> Callable[..., Awaitable[bytes]]:
    """``await raw_request(data)``: send raw bytes to the ``app`` server, return its answer.

    Reads one whole response (or until the server closes the connection
    when the request says ``Connection: close``, or ``until_close=True``);
    see `websupport.raw_exchange`.
    """

    async def exchange(data: bytes, timeout: float = 4.0, *, until_close: bool = False) -> bytes:
        return await websupport.raw_exchange(http_port, data, timeout, until_close=until_close)

    return exchange
