"""`RequestHandler`: one object per request, from routing to the last byte.

How a request runs (`RequestHandler._execute`): decode the path arguments,
check XSRF for unsafe methods, ``prepare()``, the HTTP method, then
``finish()`` unless the method is ``@asynchronous``. Each of ``prepare`` and
the method may return an awaitable; only then is a task created, so a plain
synchronous ``get`` runs start to finish inside the call that received the
request, with no coroutine machinery at all.

Output is buffered in ``_write_buffer`` until `flush` or `finish`; response
headers live in a plain dict (plus a list for repeated names) and become an
`HTTPHeaders` only when they are written. Cookies, signed cookies, XSRF,
authentication, templates and locale are further methods; they live in
the `CookieMixin` and `RenderMixin` modules beside this one.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import inspect
import logging
import re
import time
import traceback
import types
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from squall import escape
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine

from ._cookies import http_date
from ._errors import (
    Finish,
    HTTPError,
    MissingArgumentError,
    check_reason,
    reason_for,
)
from ._handler_cookies import CookieMixin
from ._handler_render import RenderMixin
from ._version import SERVER_HEADER

if TYPE_CHECKING:
    from ._application import Application

__all__ = ["RequestHandler"]

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

_time = time.time
try:
    # CPython's own SHA-1: for the short bodies that most responses have it
    # is cheaper than OpenSSL's (no per-object EVP context). Same digest.
    from _sha1 import sha1 as _sha1  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # a build without the built-in hashes
    _sha1 = hashlib.sha1

_F = TypeVar("_F", bound=Callable[..., Any])
_ARG_DEFAULT: Any = object()

# RFC 9110 5.5: no C0 controls but TAB, and no DEL, in a field value.
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# Control characters (other than TAB, LF, CR) in an argument become spaces.
_ARG_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_ETAG_LIST = re.compile(rb'\*|(?:W/)?"[^"]*"')
_DEFAULT_CONTENT_TYPE = "text/html; charset=UTF-8"
_JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
_REDIRECT_UNSAFE = ("//", "/\\")
# The handler method of each standard HTTP method (saves a str.lower()).
_METHOD_NAMES = {m: m.lower() for m in ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")}
_START_LINE_OK = ResponseStartLine("", 200, "OK")

# The Date header of responses made in the current second, and when that
# second ends: one time.time() and a comparison per response.
_date_text = ""
_date_until = 0.0


def _refresh_date(now: float) -> str:
    """Format the ``Date`` header for the second of ``now`` and keep it."""
    global _date_text, _date_until
    second = int(now)
    _date_text = http_date(second)
    _date_until = second + 1.0
    return _date_text


# Default ETags of short one-part bodies (a constant "OK", a fixed JSON
# document...): a dict lookup instead of a SHA-1. Bounded in count and body
# size; once full, other bodies are hashed every time.
_ETAGS: dict[bytes, str] = {}
_ETAGS_MAX = 1024
_ETAG_BODY_MAX = 256


# Header values that passed `_header_value` (short str only): a handler
# usually sets the same few values on every response. Bounded in count and
# size, so values taken from requests cannot grow it without limit.
_SAFE_VALUES: set[str] = set()
_SAFE_VALUES_MAX = 1024


@functools.lru_cache(maxsize=512)
def _normalize_name(name: str) -> str:
    if not _HEADER_NAME.match(name):
        raise ValueError(f"invalid header name {name[:100]!r}: a header name must be a token")
    return "-".join(part.capitalize() for part in name.split("-"))


def _header_value(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        text = value.decode("latin-1")
    elif isinstance(value, bool):
        raise TypeError(f"unsupported header value {value!r}")
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, datetime.datetime):
        return http_date(value)
    else:
        raise TypeError(f"unsupported header value {value!r}: use str, bytes, int or datetime")
    if _BAD_HEADER_VALUE.search(text):
        raise ValueError(
            f"unsafe header value {text[:100]!r}: it contains CR, LF, NUL or another "
            "control character (TAB is the only one allowed)"
        )
    if value.__class__ is str and len(text) <= 256 and len(_SAFE_VALUES) < _SAFE_VALUES_MAX:
        _SAFE_VALUES.add(text)
    return text


def safe_local_path(path: str) -> str:
    """Collapse leading slashes and backslashes so ``path`` stays on this site.

    ``//evil.example/x`` and ``/\\evil.example`` are protocol-relative URLs in
    a browser; a redirect built from a request path must never produce them
    (CVE-2023-28370).
    """
    if path.startswith(_REDIRECT_UNSAFE):
        return "/" + path.lstrip("/\\")
    return path


class RequestHandler(CookieMixin, RenderMixin):
    """Base class for HTTP request handlers.

    Subclass it and define methods named after the HTTP verbs (``get``,
    ``post``, ...), plain or ``async def``. A new instance is created for
    every request.

    Args:
        application: the `Application` that routed the request here.
        request: the request being handled.
        **kwargs: passed on to `initialize`.

    Attributes:
        application: the `Application`.
        request: the `HTTPServerRequest`.
        path_args: positional arguments decoded from the URL pattern.
        path_kwargs: keyword arguments decoded from named URL groups.
    """

    SUPPORTED_METHODS: tuple[str, ...] = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    _stream_request_body = False
    # With xsrf_cookies, safe requests hand out the XSRF cookie; handlers
    # whose responses are meant for shared caches (static files) do not.
    _sets_xsrf_cookie = True

    # Per-request state starts from these class-level defaults (immutable
    # values only); an instance attribute is created when one changes. This
    # keeps handler construction cheap.
    _headers_written = False
    _finished = False
    _auto_finish = True
    _new_cookies: dict[str, str] | None = None
    _transforms: list[Any] | None = None
    _multi_headers: dict[str, list[str]] | None = None
    _watching_close = False
    _connection_lost = False
    _status_code = 200
    _reason = "OK"

    def __init__(
        self, application: Application, request: HTTPServerRequest, **kwargs: Any
    ) -> None:
        self.application = application
        self.request = request
        self.path_args: list[Any] = []
        self.path_kwargs: dict[str, Any] = {}
        cls = type(self)
        if cls.clear is _BASE_CLEAR:
            # clear(), inlined: this runs for every request.
            now = _time()
            self._headers: dict[str, str] = {
                "Server": SERVER_HEADER,
                "Content-Type": _DEFAULT_CONTENT_TYPE,
                "Date": _date_text if now < _date_until else _refresh_date(now),
            }
            if cls.set_default_headers is not _BASE_SET_DEFAULT_HEADERS:
                self.set_default_headers()
            self._write_buffer: list[bytes] = []
            # _status_code and _reason: the class defaults (200 OK).
        else:
            self.clear()
        if kwargs or cls.initialize is not _BASE_INITIALIZE:
            self.initialize(**kwargs)

    def initialize(self, **kwargs: Any) -> None:
        """Hook for subclass initialization; receives the URL spec's kwargs.

        It should only store the arguments; it may not produce output.
        """

    @property
    def settings(self) -> dict[str, Any]:
        """The application settings (alias of ``self.application.settings``)."""
        return self.application.settings

    def _unimplemented_method(self, *args: Any, **kwargs: Any) -> Any:
        raise HTTPError(405)

    head: Callable[..., Any] = _unimplemented_method
    get: Callable[..., Any] = _unimplemented_method
    post: Callable[..., Any] = _unimplemented_method
    delete: Callable[..., Any] = _unimplemented_method
    patch: Callable[..., Any] = _unimplemented_method
    put: Callable[..., Any] = _unimplemented_method
    options: Callable[..., Any] = _unimplemented_method

    def prepare(self) -> Awaitable[None] | None:
        """Called before the HTTP method; may be ``async``.

        If it finishes the request (``finish``, ``redirect``, ``send_error``),
        the HTTP method is not called.
        """
        return None

    def on_finish(self) -> None:
        """Called after the response has been sent; for cleanup and logging."""

    def on_connection_close(self) -> None:
        """Called when the client closes the connection before the response ends.

        Override it to stop work for long-polling or streaming handlers. It is
        not called for connections that close after the response.
        """

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        """Receive a piece of the body (``@stream_request_body`` handlers only)."""
        raise NotImplementedError(
            f"{type(self).__name__} uses @stream_request_body but does not define data_received"
        )

    # ------------------------------------------------------------------
    # Output: status, headers, body

    def clear(self) -> None:
        """Reset all headers and the unflushed body to their defaults."""
        now = _time()
        self._headers = {
            "Server": SERVER_HEADER,
            "Content-Type": _DEFAULT_CONTENT_TYPE,
            "Date": _date_text if now < _date_until else _refresh_date(now),
        }
        self._multi_headers = None
        if type(self).set_default_headers is not RequestHandler.set_default_headers:
            self.set_default_headers()
        self._write_buffer = []
        self._status_code = 200
        self._reason = "OK"

    def set_default_headers(self) -> None:
        """Override to set headers on every response (including errors)."""

    def set_status(self, status_code: int, reason: str | None = None) -> None:
        """Set the response status.

        Args:
            status_code: an int from 100 to 599.
            reason: the reason phrase; defaults to the standard phrase of the
                code (``"Unknown"`` for codes without one).

        Raises:
            ValueError: the code is out of range, or the reason contains a
                control character.
        """
        if isinstance(status_code, bool) or not isinstance(status_code, int):
            raise TypeError(f"status code must be an int, not {status_code!r}")
        if not 100 <= status_code <= 599:
            raise ValueError(f"invalid HTTP status code {status_code}: use 100-599")
        self._status_code = status_code
        self._reason = reason_for(status_code) if reason is None else check_reason(reason)

    def get_status(self) -> int:
        """The response status code."""
        return self._status_code

    def set_header(self, name: str, value: Any) -> None:
        """Set a response header, replacing any previous value.

        Raises:
            ValueError: the name is not a token, or the value contains CR, LF,
                NUL or another control character (TAB is allowed).
            TypeError: the value is not a str, bytes, int or datetime.
        """
        name = _normalize_name(name)
        if value.__class__ is str and value in _SAFE_VALUES:
            self._headers[name] = value
        else:
            self._headers[name] = _header_value(value)
        if self._multi_headers is not None:
            self._multi_headers.pop(name, None)

    def add_header(self, name: str, value: Any) -> None:
        """Add a response header; unlike `set_header` it keeps earlier values.

        Raises:
            ValueError: see `set_header`.
        """
        name = _normalize_name(name)
        text = _header_value(value)
        if self._multi_headers is None:
            self._multi_headers = {}
        if name in self._headers:
            self._multi_headers.setdefault(name, []).append(text)
        else:
            self._headers[name] = text

    def clear_header(self, name: str) -> None:
        """Remove a response header (every value of it)."""
        name = _normalize_name(name)
        self._headers.pop(name, None)
        if self._multi_headers is not None:
            self._multi_headers.pop(name, None)

    def _response_headers(self) -> HTTPHeaders:
        if not self._multi_headers and not self._new_cookies:
            # One value per name (the usual case): HTTPHeaders copies a
            # plain dict in one step.
            return HTTPHeaders(self._headers)
        headers = HTTPHeaders()
        for name, value in self._headers.items():
            headers.add(name, value)
        if self._multi_headers:
            for name, values in self._multi_headers.items():
                for value in values:
                    headers.add(name, value)
        if self._new_cookies:
            for cookie in self._new_cookies.values():
                headers.add("Set-Cookie", cookie)
        return headers

    def write(self, chunk: str | bytes | dict[str, Any]) -> None:
        """Buffer ``chunk`` for output.

        A dict is written as JSON with ``Content-Type: application/json``. To
        send a JSON list, encode it yourself (lists are refused because old
        browsers let other sites read top-level JSON arrays).

        Raises:
            RuntimeError: the response is already finished.
            TypeError: ``chunk`` is not str, bytes or dict.
        """
        if self._finished:
            raise RuntimeError("cannot write() after finish(): the response is complete")
        data: Any = chunk  # callers may be untyped: check the type at run time
        if isinstance(data, bytes):
            self._write_buffer.append(data)
        elif isinstance(data, str):
            self._write_buffer.append(data.encode("utf-8"))
        elif isinstance(data, dict):
            self._write_buffer.append(escape.json_encode(data).encode("utf-8"))
            self._headers["Content-Type"] = _JSON_CONTENT_TYPE
        else:
            message = f"write() takes str, bytes or dict, not {type(data).__name__}"
            if isinstance(data, list):
                message += "; to send a JSON list, use set_header and json_encode"
            raise TypeError(message)

    def flush(self, include_footers: bool = False) -> asyncio.Future[None]:
        """Send the buffered output to the network.

        Returns:
            A future that completes when the data has been handed to the
            connection; while the client is slower than the handler it waits
            until the connection's buffer drains, so ``await self.flush()``
            after each piece keeps a large response out of memory.
        """
        buffer = self._write_buffer
        chunk = (buffer[0] if len(buffer) == 1 else b"".join(buffer)) if buffer else b""
        self._write_buffer = []
        if not self._headers_written:
            return self._send_head(chunk, include_footers)
        connection = self.request.connection
        assert connection is not None
        if self._transforms:
            for transform in self._transforms:
                chunk = transform.transform_chunk(chunk, include_footers)
        if chunk and self.request.method != "HEAD":
            return connection.write(chunk)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def _send_head(self, chunk: bytes, include_footers: bool) -> asyncio.Future[None]:
        """Write the status line and headers, with ``chunk`` as the first body part.

        A small response goes to the connection as one head-and-body write.
        """
        self._headers_written = True
        if not self._multi_headers and not self._new_cookies:
            headers = HTTPHeaders(self._headers)  # as _response_headers, one call less
        else:
            headers = self._response_headers()
        request = self.request
        status = self._status_code
        transforms = self._transforms
        if transforms:
            for transform in transforms:
                status, headers, chunk = transform.transform_first_chunk(
                    status, headers, chunk, include_footers
                )
            if status != self._status_code:
                self._status_code = status
                self._reason = reason_for(status)
        if request.method == "HEAD":
            chunk = b""
        reason = self._reason
        if status == 200 and reason == "OK":
            start_line = _START_LINE_OK
        else:
            start_line = ResponseStartLine("", status, reason)
        connection = request.connection
        assert connection is not None
        return connection.write_headers(start_line, headers, chunk or None)

    def finish(self, chunk: str | bytes | dict[str, Any] | None = None) -> asyncio.Future[None]:
        """Finish the response, optionally writing ``chunk`` first.

        Returns:
            A future that completes when the last data is handed to the
            connection.

        Raises:
            RuntimeError: `finish` was already called.
        """
        if self._finished:
            raise RuntimeError("finish() called twice: the response is already complete")
        if chunk is not None:
            self.write(chunk)
        request = self.request
        cls = type(self)
        head_pending = not self._headers_written
        if head_pending:
            headers = self._headers
            buffer = self._write_buffer
            status = self._status_code
            if status == 200:
                method = request.method
                if (method == "GET" or method == "HEAD") and "Etag" not in headers:
                    if (
                        cls.compute_etag is _BASE_COMPUTE_ETAG
                        and cls.set_etag_header is _BASE_SET_ETAG
                    ):
                        # The default ETag: a hex digest needs no header validation.
                        if len(buffer) == 1:
                            body = buffer[0]
                            if len(body) <= _ETAG_BODY_MAX and body.__class__ is bytes:
                                etag = _ETAGS.get(body)
                                if etag is None:
                                    etag = '"' + _sha1(body).hexdigest() + '"'
                                    if len(_ETAGS) < _ETAGS_MAX:
                                        _ETAGS[body] = etag
                                headers["Etag"] = etag
                            else:
                                headers["Etag"] = '"' + _sha1(body).hexdigest() + '"'
                        else:
                            digest = _sha1()
                            for part in buffer:
                                digest.update(part)
                            headers["Etag"] = '"' + digest.hexdigest() + '"'
                    else:
                        self.set_etag_header()
                    request_headers = request.headers
                    if (
                        cls.check_etag_header is not _BASE_CHECK_ETAG
                        or (
                            "If-None-Match" in request_headers._dict
                            if request_headers.__class__ is HTTPHeaders
                            else "If-None-Match" in request_headers
                        )
                    ) and self.check_etag_header():
                        self._write_buffer = []
                        self.set_status(304)
                        status = 304
                    buffer = self._write_buffer  # (an overridden method may replace it)
            if status in (204, 304) or status < 200:
                if any(buffer):
                    raise RuntimeError(f"a {status} response cannot have a body")
                self._write_buffer = buffer = []
                headers.pop("Content-Length", None)
                headers.pop("Transfer-Encoding", None)
                if status == 304:
                    # RFC 9110 15.4.5: no representation metadata on a 304.
                    headers.pop("Content-Type", None)
                    headers.pop("Content-Encoding", None)
                    headers.pop("Content-Language", None)
            elif "Content-Length" not in headers:
                headers["Content-Length"] = (
                    str(len(buffer[0])) if len(buffer) == 1 else str(sum(map(len, buffer)))
                )
        connection = request.connection
        assert connection is not None
        if head_pending and cls.flush is _BASE_FLUSH and not self._headers_written:
            # The whole response in one step: head and body in one write.
            buffer = self._write_buffer
            self._write_buffer = []
            chunk = (buffer[0] if len(buffer) == 1 else b"".join(buffer)) if buffer else b""
            if self._transforms or self._multi_headers or self._new_cookies:
                future = self._send_head(chunk, True)
            else:
                # _send_head, inlined for a plain response.
                self._headers_written = True
                status = self._status_code
                reason = self._reason
                if status == 200 and reason == "OK":
                    start_line = _START_LINE_OK
                else:
                    start_line = ResponseStartLine("", status, reason)
                future = connection.write_headers(
                    start_line,
                    HTTPHeaders(self._headers),
                    None if not chunk or request.method == "HEAD" else chunk,
                )
        else:
            future = self.flush(include_footers=True)
        if self._watching_close:
            connection.set_close_callback(None)
        connection.finish()
        self._finished = True
        self.application.log_request(self)
        if cls.on_finish is not _BASE_ON_FINISH:
            self.on_finish()
        # The template namespace refers back to the handler; drop it early.
        self.__dict__.pop("ui", None)
        return future

    # ------------------------------------------------------------------
    # Redirects and errors

    def redirect(self, url: str, permanent: bool = False, status: int | None = None) -> None:
        """Send a redirect to ``url`` (302, or 301 with ``permanent=True``).

        Raises:
            RuntimeError: headers were already sent.
            ValueError: ``status`` is not a 3xx code, or ``url`` contains
                control characters.
        """
        if self._headers_written:
            raise RuntimeError("cannot redirect after the headers were sent")
        if status is None:
            status = 301 if permanent else 302
        elif not 300 <= status <= 399:
            raise ValueError(f"redirect status must be 3xx, not {status}")
        self.set_status(status)
        self.set_header("Location", url)
        self.finish()

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        """Send an error page made by `write_error` (or `get_error_html`).

        Unflushed output and headers are discarded (cookies are kept). If the
        headers were already sent, the connection is closed instead, so the
        client sees a truncated response rather than a complete-looking one.

        Args:
            status_code: the HTTP status.
            **kwargs: passed to `write_error`; ``exc_info`` is the exception
                triple when an exception caused the error, ``reason`` a
                custom reason phrase.
        """
        if self._headers_written:
            gen_log.error("cannot send error response after headers were sent; closing")
            if not self._finished:
                self._abort_connection()
            return
        self.clear()
        reason = kwargs.get("reason")
        exc_info = kwargs.get("exc_info")
        if exc_info is not None:
            error = exc_info[1]
            if isinstance(error, HTTPError) and error.reason:
                reason = error.reason
            allow = getattr(error, "_allow", None)
            if allow:
                self._headers["Allow"] = allow
        try:
            self.set_status(status_code, reason=reason)
        except ValueError:
            self.set_status(500)
        try:
            legacy = getattr(self, "get_error_html", None)
            if legacy is not None:
                if exc_info is not None and "exception" not in kwargs:
                    kwargs["exception"] = exc_info[1]
                self.finish(legacy(status_code, **kwargs))
            else:
                self.write_error(status_code, **kwargs)
        except Exception:
            app_log.error("uncaught exception in write_error", exc_info=True)
        if not self._finished:
            self.finish()

    def _abort_connection(self) -> None:
        connection = self.request.connection
        close = getattr(connection, "close", None)
        if close is not None:
            # Cut the response short so the client sees it is incomplete.
            self._finished = True
            close()
            self.application.log_request(self)
            self.on_finish()
            return
        # Compatibility: without HTTPConnection.close() the best we can do is
        # end the response (as Tornado does); never leave the client hanging.
        try:
            self.finish()
        except Exception:
            gen_log.error("failed to end a partial response", exc_info=True)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Write the body of an error page; override for custom pages.

        The default is a one-line HTML page; with the ``serve_traceback``
        setting (on in ``debug``) and ``exc_info`` given, the traceback as
        plain text.
        """
        exc_info = kwargs.get("exc_info")
        if self.settings.get("serve_traceback") and exc_info:
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            for line in traceback.format_exception(*exc_info):
                self.write(line)
            self.finish()
            return
        message = escape.xhtml_escape(self._reason)
        self.finish(
            f"<html><title>{status_code}: {message}</title>"
            f"<body>{status_code}: {message}</body></html>"
        )

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        """Log an exception raised while handling the request.

        `HTTPError` is logged as a one-line warning (only if it has a
        ``log_message``); anything else as an error with its traceback.
        """
        if isinstance(value, HTTPError):
            if value.log_message:
                args = [value.status_code, self._request_summary(), *value.args]
                gen_log.warning("%d %s: " + value.log_message, *args)
        else:
            app_log.error(
                "uncaught exception %s",
                self._request_summary(),
                exc_info=(typ, value, tb),  # type: ignore[arg-type]
            )

    def _request_summary(self) -> str:
        return f"{self.request.method} {_log_safe(self.request.uri or '')} ({self.request.remote_ip})"

    def _handle_request_exception(self, error: BaseException) -> None:
        if isinstance(error, Finish):
            if not self._finished:
                self.finish(*error.args)
            return
        try:
            self.log_exception(type(error), error, error.__traceback__)
        except Exception:
            app_log.error("error while logging an exception", exc_info=True)
        if self._finished:
            return
        exc_info = (type(error), error, error.__traceback__)
        if isinstance(error, HTTPError):
            self.send_error(error.status_code, exc_info=exc_info)
        else:
            self.send_error(500, exc_info=exc_info)

    # ------------------------------------------------------------------
    # Input: arguments

    def get_argument(self, name: str, default: Any = _ARG_DEFAULT, strip: bool = True) -> Any:
        """The last value of the query or body argument ``name``.

        Raises:
            MissingArgumentError: the argument is missing and no default was
                given (the client gets a 400).
            HTTPError: 400 if the value is not valid UTF-8.
        """
        return self._get_argument(name, default, self.request.arguments, strip)

    def get_arguments(self, name: str, strip: bool = True) -> list[str]:
        """Every value of the query and body argument ``name`` (maybe empty)."""
        return self._get_arguments(name, self.request.arguments, strip)

    def get_query_argument(self, name: str, default: Any = _ARG_DEFAULT, strip: bool = True) -> Any:
        """Like `get_argument`, but only from the query string."""
        return self._get_argument(name, default, self.request.query_arguments, strip)

    def get_query_arguments(self, name: str, strip: bool = True) -> list[str]:
        """Like `get_arguments`, but only from the query string."""
        return self._get_arguments(name, self.request.query_arguments, strip)

    def get_body_argument(self, name: str, default: Any = _ARG_DEFAULT, strip: bool = True) -> Any:
        """Like `get_argument`, but only from the form-encoded body."""
        return self._get_argument(name, default, self.request.body_arguments, strip)

    def get_body_arguments(self, name: str, strip: bool = True) -> list[str]:
        """Like `get_arguments`, but only from the form-encoded body."""
        return self._get_arguments(name, self.request.body_arguments, strip)

    def _get_argument(
        self, name: str, default: Any, source: dict[str, list[bytes]], strip: bool
    ) -> Any:
        values = self._get_arguments(name, source, strip)
        if not values:
            if default is _ARG_DEFAULT:
                raise MissingArgumentError(name)
            return default
        return values[-1]

    def _get_arguments(
        self, name: str, source: dict[str, list[bytes]], strip: bool
    ) -> list[str]:
        values = []
        for raw in source.get(name, ()):
            value = self.decode_argument(raw, name=name)
            if isinstance(value, str):
                value = _ARG_CONTROL.sub(" ", value)
                if strip:
                    value = value.strip()
            values.append(value)
        return values

    def decode_argument(self, value: bytes | str, name: str | None = None) -> Any:
        """Decode an argument from the request (UTF-8 by default).

        Override to accept other encodings; also used for path arguments
        (with ``name=None`` for positional ones).

        Raises:
            HTTPError: 400 if the bytes are not valid UTF-8.
        """
        if isinstance(value, str):
            return value
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPError(
                400, "invalid UTF-8 in argument %s: %r", name or "from the URL path", value[:40]
            ) from None

    def reverse_url(self, name: str, *args: Any) -> str:
        """Alias of `Application.reverse_url`."""
        return self.application.reverse_url(name, *args)

    # ------------------------------------------------------------------
    # ETags

    def compute_etag(self) -> str | None:
        """The ETag of the buffered body (a SHA-1); return ``None`` to disable."""
        digest = hashlib.sha1()
        for part in self._write_buffer:
            digest.update(part)
        return '"' + digest.hexdigest() + '"'

    def set_etag_header(self) -> None:
        """Set the ``Etag`` header from `compute_etag`."""
        etag = self.compute_etag()
        if etag is not None:
            self.set_header("Etag", etag)

    def check_etag_header(self) -> bool:
        """Whether the request's ``If-None-Match`` matches the response ETag."""
        header = self.request.headers.get("If-None-Match")
        if not header:
            return False
        computed = self._headers.get("Etag", "").encode("latin-1")
        if not computed:
            return False
        candidates = _ETAG_LIST.findall(header.encode("latin-1", "replace"))
        if not candidates:
            return False
        if candidates[0] == b"*":
            return True
        # Weak comparison (RFC 9110 13.1.2): the W/ prefix is ignored.
        strip = computed[2:] if computed.startswith(b"W/") else computed
        return any((c[2:] if c.startswith(b"W/") else c) == strip for c in candidates)

    # ------------------------------------------------------------------
    # Execution

    def _execute(
        self,
        transforms: list[Any] | None,
        args: list[bytes | None],
        kwargs: dict[str, bytes | None],
        run_method: bool = True,
    ) -> Awaitable[None] | None:
        """Run the request; returns an awaitable only if the handler is async.

        With ``run_method=False`` (streaming bodies) it stops after
        ``prepare``; the dispatcher calls `_run_method` when the body is in.
        """
        if transforms is not None:
            self._transforms = transforms
        try:
            method: str = self.request.method  # type: ignore[assignment]
            if method not in self.SUPPORTED_METHODS:
                raise HTTPError(405)
            if args:
                self.path_args = [self.decode_argument(a) if a is not None else None for a in args]
            if kwargs:
                self.path_kwargs = {
                    k: self.decode_argument(v, name=k) if v is not None else None
                    for k, v in kwargs.items()
                }
            if self.application._xsrf_cookies:
                if method in ("GET", "HEAD", "OPTIONS"):
                    if (
                        self._sets_xsrf_cookie
                        and self._xsrf_cookie_name() not in self.request.cookies
                    ):
                        self.xsrf_token  # sets the cookie for every user
                else:
                    self.check_xsrf_cookie()
            cls = type(self)
            if cls.prepare is not _BASE_PREPARE:
                result = self.prepare()
                if result is not None and inspect.isawaitable(result):
                    return self._spawn(self._continue_after_prepare(result, run_method))
            if self._finished or not run_method:
                return None
            # The HTTP method (as in `_run_method`, here in the same frame:
            # this is the path of every request).
            func = getattr(self, _METHOD_NAMES.get(method) or method.lower(), None)
            if func is None or getattr(func, "__func__", None) is _UNIMPLEMENTED:
                raise self._method_not_allowed()
            path_args = self.path_args
            path_kwargs = self.path_kwargs
            if path_args or path_kwargs:
                result = func(*path_args, **path_kwargs)
            else:
                result = func()
            if result is not None and inspect.isawaitable(result):
                return self._spawn(self._await_method(result))
            if self._auto_finish and not self._finished:
                self.finish()
            return None
        except Exception as error:
            self._handle_request_exception(error)
            return None

    def _method_not_allowed(self) -> HTTPError:
        error = HTTPError(405)
        error._allow = _allowed_methods(type(self))  # type: ignore[attr-defined]
        return error

    def _method_function(self) -> Callable[..., Any]:
        method = self.request.method or ""
        func = getattr(self, method.lower(), None)
        if func is None or getattr(func, "__func__", None) is _UNIMPLEMENTED:
            raise self._method_not_allowed()
        return func  # type: ignore[no-any-return]

    def _run_method(self) -> Awaitable[None] | None:
        result = self._method_function()(*self.path_args, **self.path_kwargs)
        if result is not None and inspect.isawaitable(result):
            return self._spawn(self._await_method(result))
        if self._auto_finish and not self._finished:
            self.finish()
        return None

    def _spawn(self, coro: Any) -> asyncio.Future[None]:
        self._watch_close()
        task: asyncio.Future[None] = asyncio.ensure_future(coro)
        self._task = task
        return task

    def _watch_close(self) -> None:
        """Get `on_connection_close` if the client leaves while we still work."""
        if not self._finished and not self._watching_close:
            connection = self.request.connection
            if connection is not None:
                self._watching_close = True
                connection.set_close_callback(self._on_connection_lost)

    async def _continue_after_prepare(self, prepared: Awaitable[Any], run_method: bool) -> None:
        try:
            await prepared
            if self._finished or not run_method:
                return
            result = self._method_function()(*self.path_args, **self.path_kwargs)
            if result is not None and inspect.isawaitable(result):
                await result
            if self._auto_finish and not self._finished:
                self.finish()
        except Exception as error:
            self._handle_request_exception(error)

    async def _await_method(self, result: Awaitable[Any]) -> None:
        try:
            await result
            if self._auto_finish and not self._finished:
                self.finish()
        except Exception as error:
            self._handle_request_exception(error)

    def _on_connection_lost(self) -> None:
        """The client went away before the response was complete."""
        # The server may report it twice (close callback and delegate).
        if self._finished or self._connection_lost:
            return
        self._connection_lost = True
        try:
            self.on_connection_close()
        except Exception:
            app_log.error("uncaught exception in on_connection_close", exc_info=True)

    def async_callback(self, callback: _F, *args: Any, **kwargs: Any) -> _F:
        """Wrap ``callback`` so its exceptions reach this handler's error page.

        For ``@asynchronous`` handlers that pass callbacks to other code.
        """

        @functools.wraps(callback)
        def wrapper(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                return callback(*args, *call_args, **kwargs, **call_kwargs)
            except Exception as error:
                if self._finished:
                    raise
                self._handle_request_exception(error)
                return None

        return cast(_F, wrapper)


_BASE_COMPUTE_ETAG = RequestHandler.compute_etag
_BASE_SET_ETAG = RequestHandler.set_etag_header
_BASE_CHECK_ETAG = RequestHandler.check_etag_header
_BASE_FLUSH = RequestHandler.flush
_BASE_CLEAR = RequestHandler.clear
_BASE_PREPARE = RequestHandler.prepare
_BASE_SET_DEFAULT_HEADERS = RequestHandler.set_default_headers
_BASE_INITIALIZE = RequestHandler.initialize
_BASE_ON_FINISH = RequestHandler.on_finish
_UNIMPLEMENTED = RequestHandler._unimplemented_method


def _allowed_methods(cls: type[RequestHandler]) -> str:
    allowed = [
        m
        for m in cls.SUPPORTED_METHODS
        if getattr(cls, m.lower(), None) not in (None, RequestHandler._unimplemented_method)
    ]
    return ", ".join(allowed)


def _log_safe(text: str) -> str:
    """Escape control characters so request data cannot forge log lines."""
    if text.isprintable():
        return text
    return text.encode("unicode_escape").decode("ascii")
