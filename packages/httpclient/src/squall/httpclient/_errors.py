"""The client's exceptions: HTTPClientError (alias HTTPError) and its 599 subclasses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from squall.httputil import responses

if TYPE_CHECKING:
    from ._response import HTTPResponse

__all__ = ["HTTPClientError", "HTTPError", "HTTPStreamClosedError", "HTTPTimeoutError"]


class HTTPClientError(Exception):
    """A fetch failed: the server answered with a non-2xx status, or no answer came.

    A server's answer gives its status ``code`` and the `HTTPResponse` in
    ``response``. When no (complete) answer was received, ``code`` is 599
    (a status no server sends) and the message says what went wrong: the
    host name could not be resolved, the connection was refused, the TLS
    certificate could not be verified (and why), the response was malformed
    or too large, or a timeout expired (and in which phase).

    Args:
        code: The HTTP status code, or 599 for a failure without an answer.
        message: What went wrong; by default the status code's reason phrase.
        response: The response, when there is one.

    Attributes:
        code: See above.
        message: See above.
        response: See above (``None`` for most 599 errors).
    """

    def __init__(
        self,
        code: int,
        message: str | None = None,
        response: HTTPResponse | None = None,
    ) -> None:
        self.code = code
        self.message = message or responses.get(code, "Unknown")
        self.response = response
        super().__init__(code, message, response)

    def __str__(self) -> str:
        return f"HTTP {self.code}: {self.message}"

    # Exceptions are copied by the traceback machinery; keep repr readable.
    __repr__ = __str__


HTTPError = HTTPClientError
"""Tornado's older name for `HTTPClientError`."""


class HTTPTimeoutError(HTTPClientError):
    """A timeout expired before the response was complete (code 599).

    The message says which phase timed out: waiting for a free connection
    slot, connecting, or waiting for (or reading) the response.

    Args:
        message: What timed out.
    """

    def __init__(self, message: str) -> None:
        super().__init__(599, message=message)


class HTTPStreamClosedError(HTTPClientError):
    """The connection closed before the response was complete (code 599).

    Args:
        message: What was going on when the connection closed.
    """

    def __init__(self, message: str) -> None:
        super().__init__(599, message=message)
