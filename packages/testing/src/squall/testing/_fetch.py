"""The callable behind the pytest ``fetch`` fixture."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from squall.ioloop import IOLoop

from ._errors import LoopErrorLog
from ._run import run_with_timeout

if TYPE_CHECKING:
    from squall.httpclient import AsyncHTTPClient, HTTPResponse

__all__ = ["Fetch", "resolve_url"]


def resolve_url(base_url: str | Callable[[], str], path: str) -> str:
    """``base_url + path``; an absolute ``http(s)://`` URL is used as it is.

    ``base_url`` may be a function, called only for a relative path (so
    that the server behind it starts only when a test needs it).
    """
    if not isinstance(path, str):
        raise TypeError(f"fetch() takes a path such as '/index' (a str), not {type(path).__name__}")
    if path.startswith(("http://", "https://")):
        return path
    if not path.startswith("/"):
        raise ValueError(f"fetch() path must start with '/' (or be an absolute URL), got {path!r}")
    return (base_url if isinstance(base_url, str) else base_url()) + path


class Fetch:
    """Fetch paths from a test server with a client on the test's loop.

    Unlike ``AsyncHTTPClient.fetch``, redirects are not followed and bodies
    are not decompressed unless asked (``follow_redirects=True``,
    ``decompress_response=True``), and 4xx/5xx answers are returned.

    ``base_url`` may be a function that starts the server on first use:
    then fetching an absolute URL needs no server of the test's own.
    """

    def __init__(
        self,
        io_loop: IOLoop,
        client: AsyncHTTPClient,
        base_url: str | Callable[[], str],
        *,
        timeout: float,
        hint: str,
        errors: LoopErrorLog | None,
    ) -> None:
        self.io_loop = io_loop
        self.client = client
        self._base_url = base_url
        self.timeout = timeout
        self._hint = hint
        self._errors = errors

    @property
    def base_url(self) -> str:
        """``scheme://127.0.0.1:port`` of the server (started now if it was not yet)."""
        if not isinstance(self._base_url, str):
            self._base_url = self._base_url()
        return self._base_url

    @property
    def port(self) -> int:
        """The server's port (started now if it was not yet)."""
        return int(self.base_url.rsplit(":", 1)[1])

    def __call__(self, path: str, raise_error: bool = False, **kwargs: Any) -> Any:
        """Start fetching ``path``; see the ``fetch`` fixture.

        Returns:
            Inside a coroutine on the test's loop, an awaitable of the
            `HTTPResponse`; elsewhere, the `HTTPResponse` itself.
        """
        __tracebackhide__ = True  # pytest: show the test's frames, not ours
        url = resolve_url(lambda: self.base_url, path)
        # Show the application's answer as it is: a test asserts on the 302
        # and its Location, or on the gzip body and its Content-Encoding.
        kwargs.setdefault("follow_redirects", False)
        kwargs.setdefault("decompress_response", False)
        if url.startswith("https://") and "validate_cert" not in kwargs and "ca_certs" not in kwargs:
            kwargs["validate_cert"] = False  # the test certificate is self-signed
        loop = self.io_loop.asyncio_loop
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is not loop:
            raise RuntimeError(
                "fetch() was called on another event loop than the test's io_loop; "
                "request the io_loop fixture (or let squall's plugin run the async test)"
            )
        response = self.client.fetch(url, raise_error=raise_error, **kwargs)
        if running is not None:
            return response
        return run_with_timeout(
            loop,
            _wait(response),
            self.timeout,
            label=f"fetch({path!r})",
            hint=self._hint,
            errors=self._errors,
        )


async def _wait(response: Awaitable[HTTPResponse]) -> HTTPResponse:
    return await response
