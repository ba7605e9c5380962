"""Helpers for squall.web's tests that squall-testing's plugin does not provide.

The plugin serves the ``app`` fixture on the test's own loop, so everything
here is ``async`` (a blocking socket would wait for a server that cannot run).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["cookies_of", "raw_exchange", "response_complete", "wait_until"]


def cookies_of(response: Any) -> dict[str, str]:
    """The ``Set-Cookie`` headers of ``response`` as ``{name: whole header value}``."""
    out: dict[str, str] = {}
    for value in response.headers.get_list("Set-Cookie"):
        out[value.split("=", 1)[0]] = value
    return out


def response_complete(data: bytes) -> bool:
    """Whether ``data`` holds a whole response (by Content-Length, or a last chunk)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return body.endswith(b"0\r\n\r\n")


async def raw_exchange(port: int, data: bytes, timeout: float = 4.0, *, until_close: bool = False) -> bytes:
    """Send ``data`` to 127.0.0.1:``port``; return the answer.

    Reads until the server closes the connection or, unless the request
    says ``Connection: close`` or ``until_close`` is true, until one whole
    response has arrived.

    Raises:
        AssertionError: if neither happens within ``timeout`` seconds
            (with what had arrived).
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    chunks: list[bytes] = []
    try:
        writer.write(data)
        while True:
            remaining = deadline - loop.time()
            try:
                chunk = await asyncio.wait_for(reader.read(65536), max(remaining, 0))
            except asyncio.TimeoutError:
                raise AssertionError(
                    f"no complete answer within {timeout}s; received {b''.join(chunks)!r}"
                ) from None
            if not chunk:
                break
            chunks.append(chunk)
            if until_close or b"Connection: close" in data:
                continue
            if response_complete(b"".join(chunks)):
                break
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass  # the server may have reset the connection; the answer is what counts
    return b"".join(chunks)


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
