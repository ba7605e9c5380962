"""The shapes of WSGI (PEP 3333) and ASGI 3 applications, as typing aliases.

They are structural: any callable of the right shape is accepted. They live
in one small module so the contract between this package and the servers and
frameworks it talks to can be reviewed in one place.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Optional, Protocol, Union

__all__ = [
    "ExcInfo",
    "WSGIEnviron",
    "StartResponse",
    "WSGIApp",
    "ASGIScope",
    "ASGIMessage",
    "ASGIReceive",
    "ASGISend",
    "ASGIApp",
]

ExcInfo = tuple[type[BaseException], BaseException, Optional[types.TracebackType]]
"""The triple of `sys.exc_info()` for an exception being handled."""

WSGIEnviron = dict[str, Any]
"""The WSGI ``environ`` dict."""


class StartResponse(Protocol):
    """The ``start_response`` callable a WSGI server passes to the application."""

    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: Union[ExcInfo, tuple[None, None, None], None] = ...,
        /,
    ) -> Callable[[bytes], object]: ...


WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]
"""A WSGI application: ``app(environ, start_response) -> iterable of bytes``."""

ASGIScope = MutableMapping[str, Any]
"""The ASGI connection scope."""

ASGIMessage = MutableMapping[str, Any]
"""One ASGI event (``{"type": "http.request", ...}``)."""

ASGIReceive = Callable[[], Awaitable[ASGIMessage]]
"""The ASGI ``receive`` awaitable callable."""

ASGISend = Callable[[ASGIMessage], Awaitable[None]]
"""The ASGI ``send`` awaitable callable."""

ASGIApp = Callable[[ASGIScope, ASGIReceive, ASGISend], Awaitable[None]]
"""An ASGI 3 application: ``await app(scope, receive, send)``."""
