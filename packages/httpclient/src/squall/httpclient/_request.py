"""HTTPRequest: one request's URL, method, headers, body and options.

Every option left as ``None`` takes the client's default (the ``defaults``
given to `AsyncHTTPClient`, then the built-in ones in `_DEFAULTS`); the
back ends read options through `_RequestProxy`, which applies that rule.
"""

from __future__ import annotations

import datetime
import functools
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from squall.httputil import HTTPHeaders, encode_username_password, format_timestamp

__all__ = ["HTTPRequest"]

_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 20.0,
    "request_timeout": 20.0,
    "follow_redirects": True,
    "max_redirects": 5,
    "decompress_response": True,
    "proxy_password": "",
    "allow_nonstandard_methods": False,
    "validate_cert": True,
    "allow_ipv6": True,
}

_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# CR, LF, NUL and the other controls (HTAB allowed in values only).
_BAD_VALUE_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_URL_RE = re.compile(r"[\x00-\x20\x7f]")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
# A label the C library's inet_aton() reads as a number: decimal, octal or 0x hex.
_NUMERIC_LABEL_RE = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)\Z")
_CANONICAL_OCTET_RE = re.compile(r"(?:0|[1-9][0-9]{0,2})\Z")
# Methods whose requests normally have a body, and those that normally don't.
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
_NO_BODY_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "DELETE", "TRACE", "CONNECT"))

BodyProducer = Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]]


class _URL(NamedTuple):
    """The parts of a request URL the back ends need."""

    url: str
    scheme: str  # "http" or "https"
    host: str  # without brackets; IDNA-encoded
    port: int
    netloc: str  # the Host header value: host[:port], no userinfo
    target: str  # path?query, never empty
    username: str | None
    password: str | None


@functools.lru_cache(maxsize=512)
def _split_url(url: str) -> _URL:
    """Check and split an http(s) URL.

    Raises:
        ValueError: Not an http or https URL, no host, a bad port, or a
            control character or space in it.
    """
    if not isinstance(url, str):
        raise TypeError(f"the URL must be a str, not {type(url).__name__}")
    bad = _BAD_URL_RE.search(url)
    if bad is not None:
        raise ValueError(
            f"the URL contains {bad.group()!r} (a space or control character); "
            f"percent-encode it (e.g. %20 for a space): {url[:100]!r}"
        )
    if _NON_ASCII_RE.search(url) is not None:
        url = _encode_iri(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    # ws:// and wss:// describe WebSocket requests (squall.websocket builds
    # them from an HTTPRequest); fetch() itself refuses them.
    if scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(
            f"unsupported URL scheme {parts.scheme!r} in {url[:100]!r}; "
            "only http:// and https:// URLs can be fetched"
        )
    host = parts.hostname
    if not host:
        raise ValueError(f"the URL {url[:100]!r} has no host")
    labels = host.split(".")
    if len(labels) <= 4 and all(_NUMERIC_LABEL_RE.match(label) for label in labels):
        # getaddrinfo would accept 127.1, 0x7f.0.0.1 or 0177.0.0.1 as
        # addresses; refuse them so allow-lists see one spelling only.
        if len(labels) != 4 or not all(
            _CANONICAL_OCTET_RE.match(label) and int(label) <= 255 for label in labels
        ):
            raise ValueError(
                f"non-canonical IPv4 address {host[:100]!r} in the URL; write it as four "
                "decimal numbers (e.g. 127.0.0.1)"
            )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the URL {url[:100]!r} has an invalid port") from None
    if port is None:
        port = 443 if scheme in ("https", "wss") else 80
    elif port == 0:
        raise ValueError(f"the URL {url[:100]!r} has port 0")
    netloc = parts.netloc.rpartition("@")[2]
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return _URL(url, scheme, host, port, netloc, target, username, password)


def _encode_iri(url: str) -> str:
    """Turn a URL with non-ASCII characters into an ASCII one (IDNA host, UTF-8 %-escapes)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.hostname and _NON_ASCII_RE.search(parts.hostname):
        try:
            ascii_host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"invalid international host name {parts.hostname!r}: {exc}") from None
        userinfo, at, hostport = netloc.rpartition("@")
        port = hostport.rpartition(":")[2] if ":" in hostport else ""
        netloc = userinfo + at + ascii_host + (":" + port if port else "")
    safe = "/?#[]@!$&'()*+,;=:%~-._"
    rest = quote(url[len(parts.scheme) + 3 + len(parts.netloc):], safe=safe)
    return f"{parts.scheme}://{netloc}{rest}"


def _check_header_fields(headers: HTTPHeaders) -> None:
    """Refuse header names that are not tokens and values with CR, LF, NUL or controls.

    Raises:
        ValueError: Naming the offending header.
    """
    for name, values in headers._dict.items():
        if _TOKEN_RE.match(name) is None:
            raise ValueError(
                f"invalid header name {name[:100]!r}: it must be an HTTP token "
                "(no spaces, colons or control characters)"
            )
        for value in values:
            if not isinstance(value, str):
                raise TypeError(f"header {name!r} has a {type(value).__name__} value; use str")
            if _BAD_VALUE_RE.search(value) is not None:
                raise ValueError(
                    f"header {name!r} has a CR, LF, NUL or other control character in "
                    "its value; remove it (it would let the value inject headers)"
                )


def _check_method(method: str) -> None:
    if not isinstance(method, str) or _TOKEN_RE.match(method) is None:
        raise ValueError(
            f"invalid HTTP method {str(method)[:100]!r}: it must be a token such as "
            "GET or POST (no spaces, CR, LF or NUL)"
        )


class HTTPRequest:
    """An HTTP request: the URL, the method, headers, a body and the options.

    Options left as ``None`` take the client's defaults (the ``defaults``
    dict given to `AsyncHTTPClient`, else the built-in default noted here).

    Args:
        url: The ``http://`` or ``https://`` URL to fetch. User info in it
            (``http://user:pass@host/``) is used for basic auth.
        method: The HTTP method (``"GET"`` by default).
        headers: Extra request headers (a dict or `HTTPHeaders`).
        body: The request body (a str is encoded as UTF-8).
        auth_username: Username for HTTP authentication.
        auth_password: Password for HTTP authentication.
        auth_mode: ``"basic"`` (default) or ``"digest"`` (curl back end only).
        connect_timeout: Seconds to connect, TLS handshake included (20).
        request_timeout: Seconds for the exchange, connecting included; also
            the longest wait for a free slot when ``max_clients`` are busy (20).
        if_modified_since: A `datetime.datetime` or a timestamp for the
            ``If-Modified-Since`` header.
        follow_redirects: Follow 3xx redirects (True).
        max_redirects: The most redirects followed for one fetch (5).
        user_agent: The ``User-Agent`` header.
        use_gzip: Old name of ``decompress_response``.
        network_interface: The local address (or, with curl, interface name)
            to connect from.
        streaming_callback: Called with each piece of the (decompressed)
            body instead of collecting it in ``response.body``.
        header_callback: Called with each response header line, the status
            line first and ``"\\r\\n"`` last.
        prepare_curl_callback: Called with the ``pycurl.Curl`` object before
            the transfer (curl back end only).
        proxy_host: An HTTP proxy's host name.
        proxy_port: The proxy's port.
        proxy_username: Username for the proxy (basic auth).
        proxy_password: Password for the proxy ("").
        proxy_auth_mode: ``"basic"`` (default) or ``"digest"`` (curl only).
        allow_nonstandard_methods: Allow unusual combinations, such as a
            body on GET or a POST without a body (False).
        validate_cert: Verify the server's TLS certificate and host name (True).
        ca_certs: A PEM file of CA certificates to verify against.
        allow_ipv6: Connect over IPv6 when available (True).
        client_key: A PEM file with the client certificate's private key.
        client_cert: A PEM file with a client certificate.
        body_producer: An async function called with a ``write`` coroutine
            function, to stream the body (chunked unless a
            ``Content-Length`` header is given).
        expect_100_continue: Send ``Expect: 100-continue`` and wait for the
            server's go-ahead before sending the body.
        decompress_response: Ask for and decode gzip/deflate bodies (True).
        ssl_options: An `ssl.SSLContext` or an ``ssl_options`` dict (simple
            back end; curl understands the dict keys ``certfile``, ``keyfile``,
            ``ca_certs``, ``cert_reqs`` and ``ciphers``).
        max_body_size: The largest body accepted, counted after
            decompression (the client's setting by default).
        max_header_size: The largest response head accepted.

    Raises:
        ValueError: An invalid URL, method or header, or a combination that
            makes no sense (a body on GET or none on POST unless
            ``allow_nonstandard_methods``; ``body`` with ``body_producer``;
            ``proxy_host`` without ``proxy_port``; an unknown ``auth_mode``).

    Compatibility: squall checks the URL, the method and the body/method
    combination here, when the request is made, as well as when it is fetched.
    """

    def __init__(
        self,
        url: str,
        method: str = "GET",
        headers: dict[str, str] | HTTPHeaders | None = None,
        body: bytes | str | None = None,
        auth_username: str | None = None,
        auth_password: str | None = None,
        auth_mode: str | None = None,
        connect_timeout: float | None = None,
        request_timeout: float | None = None,
        if_modified_since: datetime.datetime | float | None = None,
        follow_redirects: bool | None = None,
        max_redirects: int | None = None,
        user_agent: str | None = None,
        use_gzip: bool | None = None,
        network_interface: str | None = None,
        streaming_callback: Callable[[bytes], None] | None = None,
        header_callback: Callable[[str], None] | None = None,
        prepare_curl_callback: Callable[[Any], None] | None = None,
        proxy_host: str | None = None,
        proxy_port: int | None = None,
        proxy_username: str | None = None,
        proxy_password: str | None = None,
        proxy_auth_mode: str | None = None,
        allow_nonstandard_methods: bool | None = None,
        validate_cert: bool | None = None,
        ca_certs: str | None = None,
        allow_ipv6: bool | None = None,
        client_key: str | None = None,
        client_cert: str | None = None,
        body_producer: BodyProducer | None = None,
        expect_100_continue: bool = False,
        decompress_response: bool | None = None,
        ssl_options: dict[str, Any] | ssl.SSLContext | None = None,
        max_body_size: int | None = None,
        max_header_size: int | None = None,
    ) -> None:
        self.url = url
        _check_method(method)
        self.method = method
        self.headers = headers
        if if_modified_since is not None:
            self.headers["If-Modified-Since"] = format_timestamp(if_modified_since)
        self.body = body
        self.body_producer = body_producer
        self.auth_username = auth_username
        self.auth_password = auth_password
        self.auth_mode = auth_mode
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.decompress_response = decompress_response if decompress_response is not None else use_gzip
        self.network_interface = network_interface
        self.streaming_callback = streaming_callback
        self.header_callback = header_callback
        self.prepare_curl_callback = prepare_curl_callback
        self.proxy_host = proxy_host
        self.proxy_port = proxy_port
        self.proxy_username = proxy_username
        self.proxy_password = proxy_password
        self.proxy_auth_mode = proxy_auth_mode
        self.allow_nonstandard_methods = allow_nonstandard_methods
        self.validate_cert = validate_cert
        self.ca_certs = ca_certs
        self.allow_ipv6 = allow_ipv6
        self.client_key = client_key
        self.client_cert = client_cert
        self.expect_100_continue = expect_100_continue
        self.ssl_options = ssl_options
        self.max_body_size = max_body_size
        self.max_header_size = max_header_size
        self.start_time = time.time()
        self.original_request: HTTPRequest | None = None
        _check_combinations(self, bool(allow_nonstandard_methods))

    @property
    def url(self) -> str:
        """The URL to fetch (checked on assignment)."""
        return self._url_parts.url

    @url.setter
    def url(self, value: str) -> None:
        self._url_parts = _split_url(value)

    # ``headers`` and ``body`` convert on assignment, as Tornado's do.
    @property
    def headers(self) -> HTTPHeaders:
        """The request headers (an `HTTPHeaders`; a dict is converted on assignment)."""
        return self._headers

    @headers.setter
    def headers(self, value: dict[str, str] | HTTPHeaders | None) -> None:
        if value is None:
            self._headers = HTTPHeaders()
        elif isinstance(value, HTTPHeaders):
            self._headers = value
        else:
            self._headers = HTTPHeaders(value)

    @property
    def body(self) -> bytes | None:
        """The request body as bytes (a str is encoded as UTF-8 on assignment)."""
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        if isinstance(value, str):
            value = value.encode("utf-8")
        elif value is not None and not isinstance(value, bytes):
            if isinstance(value, (bytearray, memoryview)):
                value = bytes(value)
            else:
                raise TypeError(f"body must be bytes or str, not {type(value).__name__}")
        self._body: bytes | None = value

    def __repr__(self) -> str:
        return f"HTTPRequest(method={self.method!r}, url={self.url!r})"


def _check_combinations(request: HTTPRequest, allow_nonstandard: bool) -> None:
    """Refuse option combinations that make no sense.

    Raises:
        ValueError: Explaining the combination and how to allow it if it is
            deliberate.
    """
    body_given = request.body is not None or request.body_producer is not None
    if request.body is not None and request.body_producer is not None:
        raise ValueError("give either body or body_producer, not both")
    if not allow_nonstandard:
        method = request.method
        if method in _BODY_METHODS and not body_given:
            raise ValueError(
                f"a {method} request needs a body (body=b'' for an empty one), "
                "or pass allow_nonstandard_methods=True"
            )
        if method in _NO_BODY_METHODS and body_given:
            raise ValueError(
                f"a {method} request must not have a body; "
                "pass allow_nonstandard_methods=True to send one anyway"
            )
    for name in ("auth_mode", "proxy_auth_mode"):
        mode = getattr(request, name)
        if mode not in (None, "basic", "digest"):
            raise ValueError(f"unsupported {name} {mode!r}; use 'basic' or 'digest'")
    if request.proxy_host is not None and request.proxy_port is None:
        raise ValueError("proxy_host needs proxy_port too")
    if request.proxy_host is None and (request.proxy_username is not None or request.proxy_port is not None):
        raise ValueError("proxy_username and proxy_port need proxy_host too")
    if request.client_key is not None and request.client_cert is None:
        raise ValueError("client_key needs client_cert too")
    if request.auth_password is not None and request.auth_username is None:
        raise ValueError("auth_password needs auth_username too")
    if request.auth_username is not None and request.auth_mode in (None, "basic"):
        # Refuse what a server would split differently (RFC 7617), on both back ends.
        encode_username_password(request.auth_username, request.auth_password or "")


class _RequestProxy:
    """Reads a request's options, falling back to the client defaults, then built-ins."""

    __slots__ = ("request", "defaults")

    def __init__(self, request: HTTPRequest, defaults: dict[str, Any] | None) -> None:
        self.request = request
        self.defaults = defaults

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.request, name)
        if value is not None:
            return value
        defaults = self.defaults
        if defaults is not None and name in defaults:
            return defaults[name]
        return _DEFAULTS.get(name)
