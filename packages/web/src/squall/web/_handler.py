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
authentication, templates and locale are further methods here; their
formats are in `_cookies`, `_signing` and `_xsrf`.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import hashlib
import http.cookies
import inspect
import logging
import os
import re
import sys
import time
import traceback
import types
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from squall import escape, locale as _locale_mod
from squall.httputil import HTTPHeaders, HTTPServerRequest, ResponseStartLine

from . import _signing, _xsrf
from ._cookies import format_set_cookie, http_date
from ._errors import (
    ConfigurationError,
    Finish,
    HTTPError,
    MissingArgumentError,
    check_reason,
    reason_for,
)
from ._version import SERVER_HEADER

if TYPE_CHECKING:
    from squall.template import BaseLoader

    from ._application import Application

__all__ = ["RequestHandler"]

app_log = logging.getLogger("squall.application")
gen_log = logging.getLogger("squall.general")

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

_date_cache: list[Any] = [0, ""]


def _http_date_now() -> str:
    """The ``Date`` header for now, formatted at most once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[1] = http_date(now)
        _date_cache[0] = now
    return cast(str, _date_cache[1])


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


class RequestHandler:
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
    _template_loader_cache: dict[str, BaseLoader]

    def __init__(
        self, application: Application, request: HTTPServerRequest, **kwargs: Any
    ) -> None:
        self.application = application
        self.request = request
        self.path_args: list[Any] = []
        self.path_kwargs: dict[str, Any] = {}
        self._headers_written = False
        self._finished = False
        self._auto_finish = True
        self._new_cookies: dict[str, str] | None = None
        self._transforms: list[Any] | None = None
        self.clear()
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
        self._headers: dict[str, str] = {
            "Server": SERVER_HEADER,
            "Content-Type": _DEFAULT_CONTENT_TYPE,
            "Date": _http_date_now(),
        }
        self._multi_headers: dict[str, list[str]] | None = None
        self.set_default_headers()
        self._write_buffer: list[bytes] = []
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
            connection (await it for flow control).
        """
        chunk = b"".join(self._write_buffer) if self._write_buffer else b""
        self._write_buffer = []
        connection = self.request.connection
        assert connection is not None
        if not self._headers_written:
            self._headers_written = True
            if self._transforms:
                headers_dict = self._headers
                for transform in self._transforms:
                    self._status_code, chunk = transform.transform_first_chunk(
                        self._status_code, headers_dict, chunk, include_footers
                    )
            if self.request.method == "HEAD":
                chunk = b""
            start_line = ResponseStartLine("", self._status_code, self._reason)
            return connection.write_headers(start_line, self._response_headers(), chunk or None)
        if self._transforms:
            for transform in self._transforms:
                chunk = transform.transform_chunk(chunk, include_footers)
        if chunk and self.request.method != "HEAD":
            return connection.write(chunk)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

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
        if not self._headers_written:
            status = self._status_code
            if (
                status == 200
                and self.request.method in ("GET", "HEAD")
                and "Etag" not in self._headers
            ):
                self.set_etag_header()
                if self.check_etag_header():
                    self._write_buffer = []
                    self.set_status(304)
                    status = 304
            if status in (204, 304) or status < 200:
                if any(self._write_buffer):
                    raise RuntimeError(f"a {status} response cannot have a body")
                self._write_buffer = []
                self._headers.pop("Content-Length", None)
                self._headers.pop("Transfer-Encoding", None)
                if status == 304:
                    # RFC 9110 15.4.5: no representation metadata on a 304.
                    self._headers.pop("Content-Type", None)
                    self._headers.pop("Content-Encoding", None)
                    self._headers.pop("Content-Language", None)
            elif "Content-Length" not in self._headers:
                self._headers["Content-Length"] = str(sum(map(len, self._write_buffer)))
        future = self.flush(include_footers=True)
        connection = self.request.connection
        assert connection is not None
        if self.__dict__.get("_watching_close"):
            connection.set_close_callback(None)
        connection.finish()
        self._finished = True
        self.application.log_request(self)
        self.on_finish()
        self._break_cycles()
        return future

    def _break_cycles(self) -> None:
        # The template namespace refers back to the handler; drop it early.
        self.__dict__.pop("ui", None)

    def render(self, template_name: str, **kwargs: Any) -> asyncio.Future[None]:
        """Render a template and finish the response with it.

        UI modules used by the template add their CSS and JavaScript to the
        page (in ``<head>`` and before ``</body>``).

        Returns:
            The future of `finish`.
        """
        if self._finished:
            raise RuntimeError("cannot render() after finish()")
        html = self.render_string(template_name, **kwargs)
        modules = self.__dict__.get("_active_modules")
        if modules:
            from ._uimodule import insert_module_resources

            html = insert_module_resources(self, html, modules.values())
        return self.finish(html)

    def render_string(self, template_name: str, **kwargs: Any) -> bytes:
        """Render a template to bytes with the handler's template namespace.

        Templates are found in `get_template_path` (by default the
        ``template_path`` setting, else the directory of the calling file).
        """
        template_path = self.get_template_path()
        if not template_path:
            template_path = _caller_directory()
        loader = self.application._template_loader_for(self, template_path)
        template = loader.load(template_name)
        namespace = self.get_template_namespace()
        namespace.update(kwargs)
        return template.generate(**namespace)

    def get_template_namespace(self) -> dict[str, Any]:
        """The names available to templates; override to add more."""
        namespace: dict[str, Any] = {
            "escape": escape.xhtml_escape,
            "xhtml_escape": escape.xhtml_escape,
            "url_escape": escape.url_escape,
            "json_encode": escape.json_encode,
            "squeeze": escape.squeeze,
            "linkify": escape.linkify,
            "datetime": datetime,
            "handler": self,
            "request": self.request,
            "current_user": self.current_user,
            "locale": self.locale,
            "_": self.locale.translate,
            "pgettext": self.locale.pgettext,
            "static_url": self.static_url,
            "xsrf_form_html": self.xsrf_form_html,
            "reverse_url": self.reverse_url,
        }
        namespace.update(self.ui)
        return namespace

    def get_template_path(self) -> str | None:
        """The directory templates are loaded from (``template_path`` setting)."""
        return cast("str | None", self.settings.get("template_path"))

    def create_template_loader(self, template_path: str) -> BaseLoader:
        """Create the template loader for ``template_path``.

        Uses the ``template_loader`` setting if given, else a
        `squall.template.Loader` with the ``autoescape`` and
        ``template_whitespace`` settings.
        """
        settings = self.settings
        if "template_loader" in settings:
            return cast("BaseLoader", settings["template_loader"])
        from squall.template import Loader

        kwargs: dict[str, Any] = {}
        if "autoescape" in settings:
            kwargs["autoescape"] = settings["autoescape"]
        if "template_whitespace" in settings:
            kwargs["whitespace"] = settings["template_whitespace"]
        return Loader(template_path, **kwargs)

    @functools.cached_property
    def ui(self) -> dict[str, Any]:
        """The UI methods (bound to this handler) and modules for templates."""
        from ._uimodule import UIModuleNamespace, bind_ui_method

        ui: dict[str, Any] = {
            name: bind_ui_method(self, method)
            for name, method in self.application.ui_methods.items()
        }
        modules = UIModuleNamespace(self, self.application.ui_modules)
        ui["_tt_modules"] = modules
        ui["modules"] = modules
        return _ObjectDict(ui)

    def static_url(self, path: str, include_host: bool | None = None, **kwargs: Any) -> str:
        """The URL of a static file under the ``static_path`` setting.

        Raises:
            ConfigurationError: the ``static_path`` setting is missing.
        """
        self.require_setting("static_path", "static_url")
        handler_class = self.settings.get("static_handler_class")
        make = getattr(handler_class, "make_static_url", None)
        if make is not None:
            base = make(self.settings, path, **kwargs)
        else:
            prefix = self.settings.get("static_url_prefix", "/static/")
            base = prefix + urllib.parse.quote(path)
        if include_host is None:
            include_host = getattr(self, "include_host", False)
        if include_host:
            return f"{self.request.protocol}://{self.request.host}{base}"
        return cast(str, base)

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
        self._finished = True
        connection = self.request.connection
        close = getattr(connection, "close", None)
        if close is not None:
            close()
        else:
            stream = getattr(connection, "stream", None)
            if stream is not None:
                stream.close()
        self.application.log_request(self)
        self.on_finish()

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

    # ------------------------------------------------------------------
    # Cookies

    @property
    def cookies(self) -> dict[str, http.cookies.Morsel[str]]:
        """The request's cookies (alias of ``self.request.cookies``)."""
        return self.request.cookies

    def get_cookie(self, name: str, default: str | None = None) -> str | None:
        """The value of the request cookie ``name``, or ``default``."""
        cookies = self.request.cookies
        if name in cookies:
            morsel = cookies[name]
            return cast(str, getattr(morsel, "value", morsel))
        return default

    def set_cookie(
        self,
        name: str,
        value: str | bytes,
        domain: str | None = None,
        expires: float | datetime.datetime | None = None,
        path: str = "/",
        expires_days: float | None = None,
        max_age: int | None = None,
        httponly: bool = False,
        secure: bool = False,
        samesite: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Set a cookie on the response.

        Args:
            name: the cookie name (a token).
            value: the value; bytes are decoded as Latin-1.
            domain: the ``Domain`` attribute.
            expires: an absolute expiry (timestamp or datetime).
            path: the ``Path`` attribute (default ``/``).
            expires_days: expiry in days from now (if ``expires`` is unset).
            max_age: the ``Max-Age`` attribute, in seconds.
            httponly: hide the cookie from scripts.
            secure: send the cookie only over HTTPS.
            samesite: ``"Strict"``, ``"Lax"`` or ``"None"``.
            **kwargs: attribute names in any case (``HttpOnly=True``...) for
                compatibility with Morsel-style calls.

        Raises:
            ValueError: a name, value or attribute contains characters that
                could inject other attributes or headers (``;``, CR, LF,
                other control characters), or ``samesite`` is unknown.
        """
        for key, extra in kwargs.items():
            lowered = key.lower().replace("-", "_")
            if lowered == "httponly":
                httponly = bool(extra)
            elif lowered == "secure":
                secure = bool(extra)
            elif lowered == "samesite":
                samesite = extra
            elif lowered == "max_age":
                max_age = extra
            else:
                raise TypeError(f"set_cookie got an unknown attribute {key!r}")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        header = format_set_cookie(
            name,
            value,
            domain=domain,
            expires=expires,
            path=path,
            expires_days=expires_days,
            max_age=max_age,
            httponly=httponly,
            secure=secure,
            samesite=samesite,
        )
        if self._new_cookies is None:
            self._new_cookies = {}
        self._new_cookies[name] = header

    def clear_cookie(self, name: str, path: str = "/", domain: str | None = None, **kwargs: Any) -> None:
        """Delete a cookie by sending it expired.

        ``path`` and ``domain`` (and e.g. ``secure``/``samesite``) must match
        the ones it was set with.
        """
        kwargs.pop("expires", None)
        kwargs.pop("expires_days", None)
        kwargs.pop("max_age", None)
        self.set_cookie(
            name, "", path=path, domain=domain, expires=0, max_age=0, **kwargs
        )

    def clear_all_cookies(self, path: str = "/", domain: str | None = None, **kwargs: Any) -> None:
        """Delete every cookie the request sent (same ``path``/``domain`` caveat)."""
        for name in list(self.request.cookies):
            self.clear_cookie(name, path=path, domain=domain, **kwargs)

    def require_setting(self, name: str, feature: str = "this feature") -> None:
        """Raise `ConfigurationError` if the application setting ``name`` is missing."""
        if not self.settings.get(name):
            raise ConfigurationError(
                f"you must define the '{name}' setting in your application to use {feature}"
            )

    def _cookie_secret(self) -> tuple[_signing.SecretType, int | None]:
        self.require_setting("cookie_secret", "signed cookies")
        secret = self.settings["cookie_secret"]
        key_version = self.settings.get("key_version")
        if isinstance(secret, dict) and key_version is None:
            raise ConfigurationError(
                "cookie_secret is a dict of key versions: add the 'key_version' "
                "setting to choose the key that signs new cookies"
            )
        return secret, key_version

    def create_signed_value(self, name: str, value: str | bytes, version: int | None = None) -> bytes:
        """Sign ``value`` with the ``cookie_secret`` setting (see `create_signed_value`)."""
        secret, key_version = self._cookie_secret()
        return _signing.create_signed_value(
            secret, name, value, version=version, key_version=key_version
        )

    def set_signed_cookie(
        self,
        name: str,
        value: str | bytes,
        expires_days: float | None = 30,
        version: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Set a cookie signed (not encrypted) with ``cookie_secret``.

        Read it back with `get_signed_cookie`; clients can read but not
        forge it.

        Raises:
            ConfigurationError: the ``cookie_secret`` setting is missing.
        """
        self.set_cookie(
            name,
            self.create_signed_value(name, value, version=version),
            expires_days=expires_days,
            **kwargs,
        )

    set_secure_cookie = set_signed_cookie

    def get_signed_cookie(
        self,
        name: str,
        value: str | None = None,
        max_age_days: float = 31,
        min_version: int | None = None,
    ) -> bytes | None:
        """The verified value of a signed cookie, or ``None``.

        Returns ``None`` when the cookie is missing, tampered with, signed for
        another name or key, or older than ``max_age_days``.

        Raises:
            ConfigurationError: the ``cookie_secret`` setting is missing.
        """
        self.require_setting("cookie_secret", "signed cookies")
        if value is None:
            value = self.get_cookie(name)
        return _signing.decode_signed_value(
            self.settings["cookie_secret"],
            name,
            value,
            max_age_days=max_age_days,
            min_version=min_version,
        )

    get_secure_cookie = get_signed_cookie

    def get_signed_cookie_key_version(self, name: str, value: str | None = None) -> int | None:
        """The key version of a signed cookie (unverified), or ``None``."""
        self.require_setting("cookie_secret", "signed cookies")
        if value is None:
            value = self.get_cookie(name)
        return _signing.get_signature_key_version(value)

    get_secure_cookie_key_version = get_signed_cookie_key_version

    # ------------------------------------------------------------------
    # Authentication and locale

    @property
    def current_user(self) -> Any:
        """The authenticated user (from `get_current_user`, computed once).

        It can be assigned, e.g. in an ``async def prepare`` that looks the
        user up asynchronously.
        """
        try:
            return self.__dict__["_current_user"]
        except KeyError:
            user = self.__dict__["_current_user"] = self.get_current_user()
            return user

    @current_user.setter
    def current_user(self, value: Any) -> None:
        self.__dict__["_current_user"] = value

    def get_current_user(self) -> Any:
        """Override to determine the current user (e.g. from a signed cookie)."""
        return None

    def get_login_url(self) -> str:
        """The URL `authenticated` redirects to (``login_url`` setting).

        Raises:
            ConfigurationError: the ``login_url`` setting is missing.
        """
        self.require_setting("login_url", "@squall.web.authenticated")
        return cast(str, self.settings["login_url"])

    @property
    def locale(self) -> _locale_mod.Locale:
        """The user's locale: `get_user_locale`, else `get_browser_locale`."""
        try:
            return cast(_locale_mod.Locale, self.__dict__["_locale"])
        except KeyError:
            found: Any = self.get_user_locale()
            if isinstance(found, str):
                found = _locale_mod.get(found)
            if not found:
                found = self.get_browser_locale()
            self.__dict__["_locale"] = found
            return cast(_locale_mod.Locale, found)

    @locale.setter
    def locale(self, value: _locale_mod.Locale) -> None:
        self.__dict__["_locale"] = value

    def get_user_locale(self) -> _locale_mod.Locale | None:
        """Override to pick the locale from e.g. user preferences.

        Return ``None`` to fall back on the ``Accept-Language`` header; a
        locale code string is also accepted.
        """
        return None

    def get_browser_locale(self, default: str = "en_US") -> _locale_mod.Locale:
        """The closest supported locale to the ``Accept-Language`` header."""
        header = self.request.headers.get("Accept-Language")
        if header:
            codes = _locale_mod.parse_accept_language(header)
            if codes:
                return _locale_mod.get(*codes)
        return _locale_mod.get(default)

    # ------------------------------------------------------------------
    # XSRF

    @property
    def xsrf_token(self) -> bytes:
        """The XSRF token for this page, freshly masked (set the cookie if needed).

        Each access to a new handler gives different bytes for the same secret,
        so the token cannot be learned through response-compression side
        channels (BREACH).
        """
        token = self.__dict__.get("_xsrf_token")
        if token is None:
            found = self._get_raw_xsrf_token()
            version = self.settings.get("xsrf_cookie_version", 2)
            token = _xsrf.encode_token(found[0], found[1], version=version)
            self.__dict__["_xsrf_token"] = token
            if not found[2]:
                cookie_kwargs = dict(self.settings.get("xsrf_cookie_kwargs") or {})
                if "expires_days" not in cookie_kwargs and "expires" not in cookie_kwargs:
                    cookie_kwargs["expires_days"] = 30
                self.set_cookie(self._xsrf_cookie_name(), token.decode("ascii"), **cookie_kwargs)
        return cast(bytes, token)

    def _xsrf_cookie_name(self) -> str:
        return cast(str, self.settings.get("xsrf_cookie_name", "_xsrf"))

    def _get_raw_xsrf_token(self) -> tuple[bytes, float, bool]:
        """``(token, timestamp, from_cookie)``; a new token if the cookie is bad."""
        raw = self.__dict__.get("_raw_xsrf_token")
        if raw is None:
            decoded = _xsrf.decode_token(self.get_cookie(self._xsrf_cookie_name()))
            if decoded is None:
                raw = (_xsrf.new_token(), time.time(), False)
            else:
                raw = (decoded[0], decoded[1], True)
            self.__dict__["_raw_xsrf_token"] = raw
        return cast("tuple[bytes, float, bool]", raw)

    def check_xsrf_cookie(self) -> None:
        """Refuse the request (403) unless its XSRF token matches the cookie.

        The token is read from the ``_xsrf`` argument or the ``X-XSRFToken``
        / ``X-CSRFToken`` header. With the ``xsrf_origin_check`` setting,
        cross-site requests (by ``Sec-Fetch-Site`` or ``Origin``) are refused
        too. Override to change the policy per handler.

        Raises:
            HTTPError: 403 when the check fails.
        """
        if self.settings.get("xsrf_origin_check"):
            self._check_xsrf_origin()
        headers = self.request.headers
        token = (
            self.get_argument("_xsrf", None)
            or headers.get("X-Xsrftoken")
            or headers.get("X-Csrftoken")
        )
        if not token:
            raise HTTPError(403, "'_xsrf' argument missing from %s", self.request.method)
        decoded = _xsrf.decode_token(token)
        if decoded is None:
            raise HTTPError(403, "'_xsrf' argument has an invalid format")
        expected, _, from_cookie = self._get_raw_xsrf_token()
        if not from_cookie:
            raise HTTPError(403, "'_xsrf' cookie missing or malformed")
        if not _xsrf.tokens_match(decoded[0], expected):
            raise HTTPError(403, "XSRF cookie does not match the %s argument", self.request.method)

    def _check_xsrf_origin(self) -> None:
        headers = self.request.headers
        site = headers.get("Sec-Fetch-Site")
        if site is not None:
            if site.lower() not in ("same-origin", "none"):
                raise HTTPError(403, "cross-site request refused (Sec-Fetch-Site: %s)", site[:40])
            return
        origin = headers.get("Origin")
        if origin is not None:
            expected = f"{self.request.protocol}://{self.request.host}".lower()
            if origin.lower() != expected:
                raise HTTPError(403, "cross-origin request refused (Origin: %s)", origin[:100])

    def xsrf_form_html(self) -> str:
        """A hidden ``<input>`` carrying the XSRF token, for forms."""
        return (
            '<input type="hidden" name="_xsrf" value="'
            + escape.xhtml_escape(self.xsrf_token)
            + '"/>'
        )

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
        self._transforms = transforms
        try:
            method = self.request.method
            if method not in self.SUPPORTED_METHODS:
                raise HTTPError(405)
            if args:
                self.path_args = [self.decode_argument(a) if a is not None else None for a in args]
            if kwargs:
                self.path_kwargs = {
                    k: self.decode_argument(v, name=k) if v is not None else None
                    for k, v in kwargs.items()
                }
            settings = self.application.settings
            if settings.get("xsrf_cookies"):
                if method in ("GET", "HEAD", "OPTIONS"):
                    if self._xsrf_cookie_name() not in self.request.cookies:
                        self.xsrf_token  # sets the cookie for every user
                else:
                    self.check_xsrf_cookie()
            result = self.prepare()
            if result is not None and inspect.isawaitable(result):
                return self._spawn(self._continue_after_prepare(result, run_method))
            if self._finished or not run_method:
                return None
            return self._run_method()
        except Exception as error:
            self._handle_request_exception(error)
            return None

    def _method_function(self) -> Callable[..., Any]:
        method = self.request.method or ""
        func = getattr(self, method.lower(), None)
        if func is None or getattr(func, "__func__", None) is RequestHandler._unimplemented_method:
            error = HTTPError(405)
            error._allow = _allowed_methods(type(self))  # type: ignore[attr-defined]
            raise error
        return cast("Callable[..., Any]", func)

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
        if not self._finished and not self.__dict__.get("_watching_close"):
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
        if self._finished:
            return
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


class _ObjectDict(dict):  # type: ignore[type-arg]
    """A dict whose keys are also attributes (``handler.ui.modules``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


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


_WEB_DIR = os.path.dirname(os.path.abspath(__file__))


def _caller_directory() -> str:
    """The directory of the first stack frame outside squall.web."""
    frame = sys._getframe(1)
    while frame.f_back is not None and os.path.dirname(
        os.path.abspath(frame.f_code.co_filename)
    ) == _WEB_DIR:
        frame = frame.f_back
    return os.path.dirname(os.path.abspath(frame.f_code.co_filename))
