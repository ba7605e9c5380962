"""Helpers for squall.web's tests that squall-testing's plugin does not provide.

The plugin serves the ``app`` fixture on the test's own loop, so everything
here is ``async`` (a blocking socket would wait for a server that cannot run).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["cookies_of", "wait_until"]


def cookies_of(response: Any) -> dict[str, str]:
    """The ``Set-Cookie`` headers of ``response`` as ``{name: whole header value}``."""
    out: dict[str, str] = {}
    for value in response.headers.get_list("Set-Cookie"):
        out[value.split("=", 1)[0]] = value
    return out


async def wait_until(condition: Callable[[], bool], timeout: float = 4.0) -> None:
    """Let the loop run until ``condition()`` holds (effects that follow a response).

    Raises:
        AssertionError: if it does not hold within ``timeout`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not reached within {timeout}s")
        await asyncio.sleep(0.005)
