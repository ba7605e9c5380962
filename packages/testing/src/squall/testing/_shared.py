"""Closing the per-loop shared AsyncHTTPClient together with a test's loop."""

from __future__ import annotations

from squall.ioloop import IOLoop

__all__ = ["close_shared_client"]


def close_shared_client(io_loop: IOLoop) -> None:
    """Close the ``AsyncHTTPClient()`` instance shared on ``io_loop``, if any.

    The shared client lives as long as its loop (its idle-connection sweep
    is a timer on it), so code under test that uses ``AsyncHTTPClient()``
    would otherwise always be reported as leaving a timer behind.
    """
    if io_loop.asyncio_loop.is_closed() or IOLoop.current(instance=False) is not io_loop:
        return
    from squall.httpclient import AsyncHTTPClient

    # Returns the loop's shared instance (building an idle one if there was
    # none, which costs nothing to close).
    AsyncHTTPClient().close()
