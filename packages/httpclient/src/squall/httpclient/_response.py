"""HTTPResponse: what a fetch returns."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

from squall.httputil import HTTPHeaders, responses

from ._errors import HTTPClientError

if TYPE_CHECKING:
    from ._request import HTTPRequest

__all__ = ["HTTPResponse"]


class HTTPResponse:
    """The result of an HTTP fetch.

    Args:
        request: The `HTTPRequest` that was fetched (after redirects, the
            last one; its ``original_request`` is the first).
        code: The status code, or 599 when no response arrived.
        headers: The response headers.
        buffer: The body as a file-like object (read lazily into `body`).
        effective_url: The final URL after redirects; defaults to ``request.url``.
        error: The exception, if any. A non-2xx ``code`` without an ``error``
            gets an `HTTPClientError` made from it.
        request_time: Seconds from the start of the request to the end of the
            response.
        time_info: Timing details, e.g. from curl (``namelookup``,
            ``connect``, ``starttransfer``, ``total``...; seconds).
        reason: The reason phrase; defaults to the standard phrase for ``code``.
        start_time: ``time.time()`` when the request started.

    Attributes:
        request: See above.
        code: See above.
        reason: See above.
        headers: See above.
        effective_url: See above.
        error: See above.
        request_time: See above.
        start_time: See above.
        time_info: See above.
    """

    # The 599 answers made locally (timeouts, refused connections...) are
    # raised even with raise_error=False; a server's non-2xx answer is not.
    _error_is_response_code = False

    def __init__(
        self,
        request: HTTPRequest,
        code: int,
        headers: HTTPHeaders | None = None,
        buffer: io.BytesIO | None = None,
        effective_url: str | None = None,
        error: BaseException | None = None,
        request_time: float | None = None,
        time_info: dict[str, float] | None = None,
        reason: str | None = None,
        start_time: float | None = None,
    ) -> None:
        self.request = request
        self.code = code
        self.reason = reason or responses.get(code, "Unknown")
        self.headers = headers if headers is not None else HTTPHeaders()
        self._buffer = buffer
        self._body: bytes | None = None
        self.effective_url = effective_url if effective_url is not None else request.url
        self.start_time = start_time if start_time is not None else time.time()
        self.request_time = request_time
        self.time_info = time_info or {}
        if error is None:
            if code < 200 or code >= 300:
                self._error_is_response_code = True
                self.error: BaseException | None = HTTPClientError(
                    code, message=self.reason, response=self
                )
            else:
                self.error = None
        else:
            self.error = error

    @classmethod
    def _from_body(
        cls,
        request: HTTPRequest,
        code: int,
        reason: str,
        headers: HTTPHeaders,
        body: bytes,
        effective_url: str,
        start_time: float,
        request_time: float,
        time_info: dict[str, float] | None = None,
    ) -> HTTPResponse:
        """Build a response whose body is already in memory (the back ends' fast path)."""
        self = cls.__new__(cls)
        self.request = request
        self.code = code
        self.reason = reason or responses.get(code, "Unknown")
        self.headers = headers
        self._buffer = None
        self._body = body
        self.effective_url = effective_url
        self.start_time = start_time
        self.request_time = request_time
        self.time_info = time_info or {}
        if 200 <= code < 300:
            self.error = None
        else:
            self._error_is_response_code = True
            self.error = HTTPClientError(code, message=self.reason, response=self)
        return self

    @property
    def buffer(self) -> io.BytesIO | None:
        """The body as a `io.BytesIO` (``None`` if there is no body at all)."""
        if self._buffer is None and self._body is not None:
            self._buffer = io.BytesIO(self._body)
        return self._buffer

    @buffer.setter
    def buffer(self, value: io.BytesIO | None) -> None:
        self._buffer = value
        self._body = None

    @property
    def body(self) -> bytes:
        """The response body as bytes (``b""`` when there is none)."""
        if self._body is None:
            if self._buffer is None:
                return b""
            self._body = self._buffer.getvalue()
        return self._body

    def rethrow(self) -> None:
        """Raise `error` if the request failed; do nothing otherwise.

        Raises:
            BaseException: The stored `error`.
        """
        if self.error is not None:
            raise self.error

    def __repr__(self) -> str:
        args: dict[str, Any] = {
            "code": self.code,
            "reason": self.reason,
            "effective_url": self.effective_url,
        }
        if self.error is not None:
            args["error"] = self.error
        inner = ", ".join(f"{k}={v!r}" for k, v in args.items())
        return f"HTTPResponse({inner})"
