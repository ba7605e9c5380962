"""HTTPServerRequest: one HTTP request as the server received it."""

from __future__ import annotations

import http.cookies
import time
from typing import TYPE_CHECKING, Any

from ._body import parse_body_arguments
from ._cookies import parse_cookie
from ._headers import HTTPHeaders
from ._startline import RequestStartLine
from ._util import _parse_qs_bytes, split_host_and_port

if TYPE_CHECKING:
    import asyncio

    from ._file import HTTPFile
    from ._interfaces import HTTPConnection

__all__ = ["HTTPServerRequest"]

_new_object = object.__new__


class HTTPServerRequest:
    """A single HTTP request.

    Every attribute is public and may be read by the application;
    ``squall.httpserver.HTTPRequest`` is the same class.

    Attributes:
        method: The request method, e.g. ``"GET"``.
        uri: The request target as sent, e.g. ``"/a/b?x=1"`` (or
            ``"http://example.com/a/b?x=1"`` in the absolute form).
        path: The part of ``uri`` before ``?``; for an absolute-form target
            only the path (``"/a/b"``, ``"/"`` if empty).
        query: The part of ``uri`` after ``?`` (``""`` if none).
        version: ``"HTTP/1.0"`` or ``"HTTP/1.1"``.
        headers: The request's `HTTPHeaders`.
        body: The request body as bytes (``b""`` while streaming).
        remote_ip: The client's IP address (see the server's ``xheaders``).
        protocol: ``"http"`` or ``"https"``.
        host: The requested host: the authority of an absolute-form target,
            else the ``Host`` header, else ``"127.0.0.1"``.
        host_name: ``host`` in lower case without the port.
        arguments: Query and body arguments: ``{name: [bytes, ...]}``.
        query_arguments: The query string's arguments only.
        body_arguments: The form body's arguments only.
        files: Uploaded files: ``{field name: [HTTPFile, ...]}``.
        connection: The `HTTPConnection` the request came on, or ``None``.
        server_connection: An opaque object identifying the client connection.
        start_time: When the request object was made (``time.time()``).
        finish_time: When `finish` was called, or ``None`` before; frameworks
            that finish through the connection set it themselves.
            (``_start_time`` and ``_finish_time`` are read-only aliases, the
            names older code reads.)

    Args:
        method: The request method (or take it from ``start_line``).
        uri: The request target.
        version: The HTTP version.
        headers: Header fields (a new empty `HTTPHeaders` if ``None``).
        body: The body (``b""`` if ``None``).
        host: Override the host (else from the ``Host`` header).
        files: Pre-parsed uploaded files.
        connection: The connection to answer on.
        start_line: A `RequestStartLine` giving method, uri and version.
        server_connection: An opaque connection identity.
    """

    path: str
    query: str
    _body_future: asyncio.Future[None] | None
    # Computed on first access (see __getattr__), then plain attributes.
    remote_ip: str | None
    protocol: str
    host: str
    host_name: str
    query_arguments: dict[str, list[bytes]]
    arguments: dict[str, list[bytes]]

    def __init__(
        self,
        method: str | None = None,
        uri: str | None = None,
        version: str = "HTTP/1.0",
        headers: HTTPHeaders | None = None,
        body: bytes | None = None,
        host: str | None = None,
        files: dict[str, list[HTTPFile]] | None = None,
        connection: HTTPConnection | None = None,
        start_line: RequestStartLine | None = None,
        server_connection: object | None = None,
    ) -> None:
        if start_line is not None:
            method, uri, version = start_line
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers if headers is not None else HTTPHeaders()
        self.body = body or b""
        # remote_ip, protocol and host are computed on first use (see
        # __getattr__) unless given here: most requests never read them.
        if host:
            self.host = host
        self.files: dict[str, list[HTTPFile]] = files or {}
        self.connection = connection
        self.server_connection = server_connection
        self.start_time = time.time()
        self.finish_time: float | None = None
        self._body_future = None

        if uri is not None:
            self.path, _, self.query = uri.partition("?")
            if uri[:1] != "/" and "://" in uri:
                self._absolute_form(uri, host)
        else:
            self.path = self.query = ""
        self.body_arguments: dict[str, list[bytes]] = {}

    @classmethod
    def _for_server(
        cls,
        headers: HTTPHeaders,
        start_line: RequestStartLine,
        connection: HTTPConnection,
        server_connection: object,
    ) -> HTTPServerRequest:
        """What ``__init__`` makes of a server's arguments, built directly.

        For the server's per-request path: the same attributes, in the same
        states, without ``__init__``'s ten optional parameters.
        """
        method, uri, version = start_line
        self = _new_object(cls)
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.body = b""
        self.files = {}
        self.connection = connection
        self.server_connection = server_connection
        self.start_time = time.time()
        self.finish_time = None
        self._body_future = None
        self.path, _, self.query = uri.partition("?")
        if uri[:1] != "/" and "://" in uri:
            self._absolute_form(uri, None)
        self.body_arguments = {}
        return self

    def _absolute_form(self, uri: str, host: str | None) -> None:
        """Split an absolute-form target (``http://a/t?q``) into host, path and query.

        RFC 9112 section 3.2.2: a server must accept the absolute form, and
        its authority takes the place of ``Host`` (the server's codec has
        already refused one that disagrees with the ``Host`` header). An
        empty path means ``/``. ``uri`` keeps the target as it was sent.
        """
        rest = uri.partition("://")[2]
        cut = len(rest)
        for sep in "/?":
            i = rest.find(sep)
            if i != -1 and i < cut:
                cut = i
        authority, tail = rest[:cut], rest[cut:]
        path, _, self.query = tail.partition("?")
        self.path = path or "/"
        if not host and authority:
            self.host = authority

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: ``host``, ``host_name``,
        # ``remote_ip``, ``protocol``, ``query_arguments`` and ``arguments``
        # are computed on first use (most requests never read them all) and
        # stored as plain attributes, which the application may also set.
        if name == "remote_ip" or name == "protocol":
            context = getattr(self.__dict__.get("connection"), "context", None)
            remote_ip = getattr(context, "remote_ip", None)
            protocol = getattr(context, "protocol", None) or "http"
            self.__dict__.setdefault("remote_ip", remote_ip)
            self.__dict__.setdefault("protocol", protocol)
            return self.__dict__[name]
        value: Any
        if name == "host":
            value = self.headers.get("Host") or "127.0.0.1"
        elif name == "query_arguments":
            value = _parse_qs_bytes(self.query) if self.query else {}
        elif name == "arguments":
            value = {k: list(v) for k, v in self.query_arguments.items()}
        elif name == "host_name":
            value = split_host_and_port(self.host.lower())[0]
        else:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.__dict__[name] = value
        return value

    @property
    def cookies(self) -> dict[str, http.cookies.Morsel[str]]:
        """The request's cookies as ``{name: Morsel}`` (use ``.value``).

        Parsed from the ``Cookie`` header on first access (see
        `parse_cookie`); names that are not valid cookie names are skipped.
        """
        cached: dict[str, http.cookies.Morsel[str]] | None = self.__dict__.get(
            "_cookies"
        )
        if cached is not None:
            return cached
        cookies: dict[str, http.cookies.Morsel[str]] = {}
        header = self.headers.get("Cookie")
        if header:
            for name, value in parse_cookie(header).items():
                morsel: http.cookies.Morsel[str] = http.cookies.Morsel()
                try:
                    morsel.set(name, value, value)
                except http.cookies.CookieError:
                    continue  # a reserved or illegal name: not a cookie we can expose
                cookies[name] = morsel
        self.__dict__["_cookies"] = cookies
        return cookies

    def full_url(self) -> str:
        """Return the reconstructed URL, e.g. ``http://example.com/a?b=c``."""
        uri = self.uri or ""
        if uri[:1] != "/" and "://" in uri:  # absolute form: host and path are split
            uri = f"{self.path}?{self.query}" if self.query else self.path
        return f"{self.protocol}://{self.host}{uri}"

    @property
    def _start_time(self) -> float:
        return self.start_time

    @property
    def _finish_time(self) -> float | None:
        return self.finish_time

    def request_time(self) -> float:
        """Return the seconds this request took (so far, if not finished)."""
        if self.finish_time is None:
            return time.time() - self.start_time
        return self.finish_time - self.start_time

    def write(self, chunk: bytes) -> asyncio.Future[None]:
        """Write ``chunk`` to the connection (legacy helper).

        Before any headers were written through ``connection.write_headers``,
        the bytes are sent as-is, so a callback may write a complete raw
        response (status line, headers and body), as early servers did; the
        connection then closes after `finish`.

        Raises:
            HTTPOutputError: If the connection rejects the write.
        """
        if self.connection is None:
            raise RuntimeError("this request has no connection to write to")
        return self.connection.write(chunk)

    def finish(self) -> None:
        """Finish the response on the connection (legacy helper)."""
        if self.connection is None:
            raise RuntimeError("this request has no connection to finish")
        self.connection.finish()
        self.finish_time = time.time()

    def _parse_body(self) -> None:
        """Parse a form or multipart body into ``body_arguments`` and ``files``.

        Raises:
            HTTPInputError: If the body is malformed.
        """
        headers = self.headers
        if (
            type(headers) is HTTPHeaders
            and "Content-Type" not in headers._dict
            and "Content-Encoding" not in headers._dict
        ):
            return  # nothing to parse, nothing to warn about (the common case)
        content_type = headers.get("Content-Type")
        if content_type is None and "Content-Encoding" not in headers:
            return
        parse_body_arguments(
            content_type or "",
            self.body,
            self.body_arguments,
            self.files,
            self.headers,
        )
        if self.body_arguments:
            arguments = self.arguments
            for name, values in self.body_arguments.items():
                arguments.setdefault(name, []).extend(values)

    def __repr__(self) -> str:
        fields = ("protocol", "host", "method", "uri", "version", "remote_ip")
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in fields)
        return f"{type(self).__name__}({args})"
