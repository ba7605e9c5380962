"""Opt-in uvloop support (the ``[uvloop]`` extra)."""

from __future__ import annotations

import asyncio


def install_uvloop() -> None:
    """Make every new event loop (including those from ``IOLoop()``) a uvloop loop.

    Call it once at start-up, before creating any IOLoop.

    Raises:
        ImportError: uvloop is not installed; install ``squall-ioloop[uvloop]``.
    """
    try:
        import uvloop
    except ImportError as exc:
        raise ImportError(
            "install_uvloop() needs the uvloop package: pip install 'squall-ioloop[uvloop]'"
        ) from exc
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
