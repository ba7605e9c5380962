"""SimpleAsyncHTTPClient: the pure-Python back end, with a keep-alive connection pool.

How this works: `fetch_impl` turns the request into an `_Exchange` (the
head's fields are computed once, before any connection is touched, so a bad
option fails without network traffic). The exchange then takes an idle
connection from the pool for its key, or opens one: happy eyeballs through
``loop.create_connection``, TLS with SNI and verification, optionally through
an HTTP proxy (absolute-form requests for http, a CONNECT tunnel for https).

The pool key is (scheme, host, port, TLS settings including the server
name, proxy, local address, IPv6 choice): a connection is only reused for a
request that would have opened exactly the same one. Idle connections are
kept for at most ``idle_timeout`` seconds (checked by one sweeper timer,
not a timer per connection), and only after a response was read completely
with keep-alive semantics (see ``_connection``).
"""

from __future__ import annotations

import asyncio
import base64
import errno
import socket
import ssl
from collections.abc import Callable
from typing import Any

from squall.httpclient import AsyncHTTPClient, HTTPClientError, HTTPResponse
from squall.httpclient._errors import HTTPStreamClosedError
from squall.httpclient._request import _DEFAULTS
from squall.httputil import (
    HTTP1Codec,
    HTTPHeaders,
    HTTPInputError,
    RequestStartLine,
    encode_username_password,
)
from squall.netutil import Resolver, ssl_options_to_context

from ._connection import _CONNECTING, _Connection, _Exchange

__all__ = ["SimpleAsyncHTTPClient"]

_USER_AGENT = "squall/0.1"
_REFUSED = f"[Errno {errno.ECONNREFUSED}]"


class SimpleAsyncHTTPClient(AsyncHTTPClient):
    """The pure-Python HTTP/1.1 client (the default back end).

    Built on squall's sans-IO HTTP/1.1 codec and asyncio transports. It keeps
    connections alive and reuses them, pooled per (scheme, host, port, TLS
    settings, proxy); connects with happy eyeballs; verifies TLS
    certificates and sends SNI; follows redirects safely; decodes gzip and
    deflate within ``max_body_size``; and supports HTTP proxies (CONNECT
    for https). Digest authentication needs the curl back end.

    Compatibility: Tornado's simple client opens a new connection for each
    request and has no proxy support; this one pools connections and
    supports proxies.
    """

    _resolver: Resolver | None
    _own_resolver: bool
    _hostname_mapping: dict[str, str]
    _idle: dict[tuple[Any, ...], list[_Connection]]
    _busy: set[_Connection]
    _ssl_contexts: dict[tuple[Any, ...], ssl.SSLContext]
    _sweeper: asyncio.TimerHandle | None
    idle_timeout: float

    def initialize(  # type: ignore[override]
        self,
        max_clients: int = 10,
        hostname_mapping: dict[str, str] | None = None,
        max_buffer_size: int | None = None,
        resolver: Resolver | None = None,
        defaults: dict[str, Any] | None = None,
        max_header_size: int | None = None,
        max_body_size: int | None = None,
        idle_timeout: float = 30.0,
    ) -> None:
        """Set up the client (called once, by the constructor).

        Args:
            max_clients: The most requests in progress at once (and so the
                most connections in use); more wait in a queue.
            hostname_mapping: Host names to connect to another host instead
                (``{"example.com": "127.0.0.1"}``); TLS and ``Host`` still use
                the original name.
            max_buffer_size: Accepted for compatibility (see ``max_body_size``).
            resolver: A `squall.netutil.Resolver` to resolve host names with
                (the loop's ``getaddrinfo`` by default).
            defaults: Default `HTTPRequest` options.
            max_header_size: The largest response head (64 KiB by default).
            max_body_size: The largest response body after decompression
                (100 MiB by default).
            idle_timeout: Seconds an idle pooled connection is kept.
        """
        super().initialize(
            defaults=defaults,
            max_clients=max_clients,
            max_body_size=max_body_size,
            max_header_size=max_header_size,
            max_buffer_size=max_buffer_size,
        )
        self._resolver = resolver
        self._own_resolver = False
        self._hostname_mapping = dict(hostname_mapping or {})
        self._idle = {}
        self._busy = set()
        self._ssl_contexts = {}
        self._sweeper = None
        self.idle_timeout = idle_timeout

    def close(self) -> None:
        """Close every pooled and in-use connection; the client cannot be used afterwards."""
        super().close()
        for conns in list(self._idle.values()):
            for conn in list(conns):
                conn.close()
        self._idle.clear()
        for conn in list(self._busy):
            ex = conn.exchange
            if ex is not None:
                ex.fail(HTTPStreamClosedError("the client was closed during the request"))
            conn.close()
        self._busy.clear()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    # -- one exchange --------------------------------------------------------

    def fetch_impl(
        self, request: Any, callback: Callable[[HTTPResponse], None]
    ) -> Callable[[], None] | None:
        """Perform one exchange (see `AsyncHTTPClient.fetch_impl`).

        Args:
            request: The request, read through the defaults proxy.
            callback: Called once with the response.

        Returns:
            A function that aborts the exchange and closes its connection.
        """
        ex = _Exchange(self, request, callback)
        try:
            key = self._prepare(ex, request)
        except (ValueError, TypeError) as exc:
            callback(HTTPResponse(request.request, 599, error=exc, effective_url=request.url))
            return None
        ex.key = key
        idle = self._idle.get(key)
        if idle:
            now = self._loop.time()
            while idle:
                conn = idle.pop()
                if not conn.closed and now - conn.idle_since < self.idle_timeout:
                    self._busy.add(conn)
                    ex.begin(conn)
                    return ex.cancel
                conn.close()
        self._connect_new(ex)
        return ex.cancel

    def _effective_defaults(self) -> dict[str, Any]:
        """The built-in option defaults overridden by the client's ``defaults``."""
        defaults = self.defaults
        if not defaults:
            return _DEFAULTS
        return {**_DEFAULTS, **defaults}

    def _prepare(self, ex: _Exchange, request: Any) -> tuple[Any, ...]:
        """Compute the exchange's head and limits; return the pool key."""
        req = request.request
        eff = self._effective_defaults()
        parts = req._url_parts
        scheme = parts.scheme
        host = parts.host
        port = parts.port
        ex.origin = f"{host}:{port}"
        ex.effective_url = parts.url
        method = req.method
        ex.method = method
        headers = req.headers
        ex.headers = headers
        extra: list[tuple[str, str]] = []
        if "Host" not in headers:
            extra.append(("Host", parts.netloc))
        user_agent = _get(req, "user_agent", eff)
        if user_agent is not None:
            if "User-Agent" in headers:
                headers = ex.headers = HTTPHeaders(headers)  # never change the caller's
                del headers["User-Agent"]
            extra.append(("User-Agent", user_agent))
        elif "User-Agent" not in headers:
            extra.append(("User-Agent", _USER_AGENT))
        decompress = bool(_get(req, "decompress_response", eff))
        ex.decompress = decompress
        if decompress and "Accept-Encoding" not in headers:
            extra.append(("Accept-Encoding", "gzip, deflate"))
        username = _get(req, "auth_username", eff)
        password = _get(req, "auth_password", eff)
        if username is None and parts.username is not None:
            username, password = parts.username, parts.password
        if username is not None:
            if (_get(req, "auth_mode", eff) or "basic") != "basic":
                raise ValueError(
                    f"auth_mode {_get(req, 'auth_mode', eff)!r} is not supported by the simple client; "
                    "use auth_mode='basic' or the curl back end "
                    "(AsyncHTTPClient.configure('squall.curl_httpclient.CurlAsyncHTTPClient'))"
                )
            if "Authorization" in headers:
                headers = ex.headers = HTTPHeaders(headers)
                del headers["Authorization"]
            extra.append(("Authorization", _basic(username, password or "")))
        body = req.body
        producer = req.body_producer
        ex.body = body
        ex.body_producer = producer
        if body is not None:
            length = str(len(body))
            declared = headers.get("Content-Length")
            if declared is None:
                extra.append(("Content-Length", length))
            elif declared != length:
                raise ValueError(
                    f"the Content-Length header ({declared}) does not match the body ({length} bytes)"
                )
        elif producer is not None:
            if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                extra.append(("Transfer-Encoding", "chunked"))
        if method == "POST" and "Content-Type" not in headers and (body is not None or producer is not None):
            extra.append(("Content-Type", "application/x-www-form-urlencoded"))
        expect = bool(req.expect_100_continue) and (body is not None or producer is not None)
        ex.expect_continue = expect
        if expect:
            extra.append(("Expect", "100-continue"))
        if body is not None or producer is not None:
            # The codec chooses the body framing from ``headers`` alone (not
            # ``extra``), so a request with a body sends one merged copy.
            merged = HTTPHeaders(headers)
            for name, value in extra:
                merged.add(name, value)
            ex.headers = merged
            extra = []
        ex.streaming_callback = req.streaming_callback
        ex.header_callback = req.header_callback
        max_body = _get(req, "max_body_size", eff)
        ex.max_body_size = max_body if max_body is not None else self.max_body_size
        max_header = _get(req, "max_header_size", eff)
        ex.max_header_size = max_header if max_header is not None else self.max_header_size
        ex.extra = extra

        # Timeouts: connect_deadline bounds connecting, deadline the whole exchange.
        now = ex.start_mono
        request_timeout = _get(req, "request_timeout", eff)
        connect_timeout = _get(req, "connect_timeout", eff)
        ex.deadline = now + float(request_timeout) if request_timeout else 0.0
        ex.connect_deadline = now + float(connect_timeout) if connect_timeout else 0.0

        proxy_host = _get(req, "proxy_host", eff)
        target = parts.target
        proxy_key: tuple[Any, ...] | None = None
        if proxy_host is not None:
            proxy_port = int(_get(req, "proxy_port", eff))
            proxy_auth = None
            if _get(req, "proxy_username", eff) is not None:
                if (_get(req, "proxy_auth_mode", eff) or "basic") != "basic":
                    raise ValueError(
                        "proxy_auth_mode 'digest' needs the curl back end; the simple client "
                        "supports 'basic'"
                    )
                proxy_auth = _basic(_get(req, "proxy_username", eff), _get(req, "proxy_password", eff) or "")
            proxy_key = (proxy_host, proxy_port, proxy_auth)
            if scheme == "http":
                # Through the proxy: absolute-form target (RFC 9112 section 3.2.2).
                target = parts.url.split("#", 1)[0]
                if proxy_auth is not None:
                    extra.append(("Proxy-Authorization", proxy_auth))
        ex.target = target

        ssl_key: tuple[Any, ...] | None = None
        if scheme == "https":
            ssl_key = self._ssl_key(req, eff)
        return (
            scheme,
            host,
            port,
            ssl_key,
            proxy_key,
            _get(req, "network_interface", eff),
            bool(_get(req, "allow_ipv6", eff)),
        )

    @staticmethod
    def _ssl_key(req: Any, eff: dict[str, Any]) -> tuple[Any, ...]:
        options = _get(req, "ssl_options", eff)
        if isinstance(options, ssl.SSLContext):
            options_key: Any = ("context", id(options))
        elif isinstance(options, dict):
            options_key = tuple(sorted((k, repr(v)) for k, v in options.items()))
        elif options is None:
            options_key = None
        else:
            raise TypeError(
                f"ssl_options must be a dict or an ssl.SSLContext, not {type(options).__name__}"
            )
        return (
            bool(_get(req, "validate_cert", eff)),
            _get(req, "ca_certs", eff),
            _get(req, "client_cert", eff),
            _get(req, "client_key", eff),
            options_key,
        )

    def _ssl_context(self, request: Any, ssl_key: tuple[Any, ...]) -> ssl.SSLContext:
        ctx = self._ssl_contexts.get(ssl_key)
        if ctx is not None:
            return ctx
        options = request.ssl_options
        if options is not None:
            ctx = ssl_options_to_context(options, server_side=False)
        else:
            if request.validate_cert:
                ctx = ssl.create_default_context(cafile=request.ca_certs)
            else:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                if request.ca_certs is not None:
                    ctx.load_verify_locations(request.ca_certs)
            if request.client_cert is not None:
                ctx.load_cert_chain(request.client_cert, request.client_key)
            ctx.set_alpn_protocols(["http/1.1"])
        if len(self._ssl_contexts) > 64:
            self._ssl_contexts.clear()
        self._ssl_contexts[ssl_key] = ctx
        return ctx

    # -- connecting -----------------------------------------------------------

    def _connect_new(self, ex: _Exchange) -> None:
        ex.phase = _CONNECTING
        when = min(
            d for d in (ex.connect_deadline, ex.deadline) if d
        ) if (ex.connect_deadline or ex.deadline) else 0.0
        if when:
            ex.arm(when)
        ex.connect_task = self._loop.create_task(self._open(ex))

    async def _open(self, ex: _Exchange) -> None:
        request = ex.request
        req = request.request
        parts = req._url_parts
        host = parts.host
        port = parts.port
        conn: _Connection | None = None
        try:
            conn = await self._open_connection(request, parts, ex.key)
        except asyncio.CancelledError:
            if conn is not None:
                conn.close()
            return
        except HTTPClientError as exc:
            ex.fail(exc)
            return
        except Exception as exc:
            ex.fail(_connect_error(exc, host, port, request))
            return
        finally:
            ex.connect_task = None
        if ex.finished:  # timed out or the client closed meanwhile
            conn.close()
            return
        if self._closed:
            conn.close()
            ex.fail(HTTPStreamClosedError("the client was closed during the request"))
            return
        self._busy.add(conn)
        ex.begin(conn)

    async def _open_connection(self, request: Any, parts: Any, key: tuple[Any, ...]) -> _Connection:
        loop = self._loop
        host, port = parts.host, parts.port
        ssl_key = key[3]
        proxy_key = key[4]
        ctx = self._ssl_context(request, ssl_key) if ssl_key is not None else None
        family = socket.AF_UNSPEC if request.allow_ipv6 else socket.AF_INET
        local_addr = (request.network_interface, 0) if request.network_interface else None

        def factory() -> _Connection:
            return _Connection(self, key)

        if proxy_key is not None:
            proxy_host, proxy_port, proxy_auth = proxy_key
            _, conn = await self._create(
                factory, proxy_host, proxy_port, None, None, family, local_addr
            )
            if ctx is None:
                return conn
            try:
                await self._tunnel(conn, host, port, proxy_auth)
                transport = await loop.start_tls(
                    conn.transport,  # type: ignore[arg-type]
                    conn,
                    ctx,
                    server_hostname=host,
                )
            except BaseException:
                conn.close()
                raise
            conn.transport = transport
            # The CONNECT exchange is over; the tunnel starts a fresh HTTP stream.
            conn.codec = HTTP1Codec("client")
            return conn
        connect_host = self._hostname_mapping.get(host, host)
        _, conn = await self._create(
            factory, connect_host, port, ctx, host if ctx is not None else None, family, local_addr
        )
        return conn

    async def _create(
        self,
        factory: Callable[[], _Connection],
        host: str,
        port: int,
        ctx: ssl.SSLContext | None,
        server_hostname: str | None,
        family: int,
        local_addr: tuple[str, int] | None,
    ) -> tuple[asyncio.BaseTransport, _Connection]:
        loop = self._loop
        if self._resolver is not None:
            addrs = await self._resolver.resolve(host, port, socket.AddressFamily(family))
            if not addrs:
                raise socket.gaierror(socket.EAI_NONAME, f"no addresses for {host!r}")
            last: Exception | None = None
            for af, sockaddr in addrs:
                try:
                    return await loop.create_connection(
                        factory,
                        sockaddr[0],
                        sockaddr[1],
                        ssl=ctx,
                        server_hostname=server_hostname,
                        family=af,
                        local_addr=local_addr,
                    )
                except (ssl.SSLError, ssl.CertificateError):
                    raise
                except OSError as exc:
                    last = exc
            assert last is not None  # noqa: S101 - addrs was not empty
            raise last
        return await loop.create_connection(
            factory,
            host,
            port,
            ssl=ctx,
            server_hostname=server_hostname,
            family=family,
            local_addr=local_addr,
            happy_eyeballs_delay=0.25,
            interleave=1,
        )

    async def _tunnel(self, conn: _Connection, host: str, port: int, proxy_auth: str | None) -> None:
        """Ask the proxy to open a tunnel to ``host``:``port`` (RFC 9110 section 9.3.6)."""
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        headers = HTTPHeaders({"Host": authority})
        if proxy_auth is not None:
            headers["Proxy-Authorization"] = proxy_auth
        codec = conn.codec
        out = codec.send_head(RequestStartLine("CONNECT", authority, "HTTP/1.1"), headers)
        out += codec.send_end()
        conn.tunnel = self._loop.create_future()
        conn.write(out)
        head = await conn.tunnel
        code = head.start_line.code
        if not 200 <= code < 300:
            raise HTTPClientError(
                599,
                f"the proxy refused to open a tunnel to {authority}: "
                f"{code} {head.start_line.reason}",
            )
        if codec.buffered_size:
            raise HTTPClientError(599, "the proxy sent data before the TLS handshake")

    # -- the pool ---------------------------------------------------------------

    def _release(self, conn: _Connection) -> None:
        """Put a connection whose exchange completed cleanly back into the pool."""
        self._busy.discard(conn)
        if self._closed:
            conn.close()
            return
        conn.idle_since = self._loop.time()
        idle = self._idle.get(conn.key)
        if idle is None:
            self._idle[conn.key] = [conn]
        elif len(idle) >= self.max_clients:
            conn.close()
            return
        else:
            idle.append(conn)
        if self._sweeper is None:
            self._sweeper = self._loop.call_later(self._sweep_interval(), self._sweep)

    def _forget(self, conn: _Connection) -> None:
        """Drop a closed connection from the pool (called by the connection)."""
        self._busy.discard(conn)
        idle = self._idle.get(conn.key)
        if idle is not None and conn in idle:
            idle.remove(conn)
            if not idle:
                del self._idle[conn.key]

    def _sweep_interval(self) -> float:
        return max(0.05, min(self.idle_timeout / 2, 5.0))

    def _sweep(self) -> None:
        self._sweeper = None
        limit = self._loop.time() - self.idle_timeout
        for key in list(self._idle):
            for conn in list(self._idle.get(key, ())):
                if conn.idle_since <= limit:
                    conn.close()
        if self._idle and not self._closed:
            self._sweeper = self._loop.call_later(self._sweep_interval(), self._sweep)


def _get(req: Any, name: str, eff: dict[str, Any]) -> Any:
    """An option of ``req``, or its default when left as None (cheaper than the proxy)."""
    value = getattr(req, name)
    return eff.get(name) if value is None else value


def _basic(username: str, password: str) -> str:
    token = base64.b64encode(encode_username_password(username, password)).decode("ascii")
    return f"Basic {token}"


def _connect_error(exc: BaseException, host: str, port: int, request: Any) -> HTTPClientError:
    """Turn a connection failure into a 599 error whose message says what happened."""
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        error = HTTPClientError(599, f"DNS lookup failed for {host!r}: {exc.strerror or exc}")
    elif isinstance(exc, ssl.SSLCertVerificationError):
        error = HTTPClientError(
            599,
            f"TLS certificate verification failed for {host!r}: "
            f"{exc.verify_message or exc.reason or exc}",
        )
    elif isinstance(exc, ssl.CertificateError):
        error = HTTPClientError(599, f"TLS certificate verification failed for {host!r}: {exc}")
    elif isinstance(exc, ssl.SSLError):
        error = HTTPClientError(599, f"TLS handshake with {where} failed: {exc.reason or exc}")
    elif isinstance(exc, ConnectionRefusedError) or (
        isinstance(exc, OSError) and exc.errno is None and _REFUSED in str(exc)
        and str(exc).count("[Errno") == str(exc).count(_REFUSED)
    ):
        error = HTTPClientError(
            599, f"connection refused by {where} (is a server listening there?)"
        )
    elif isinstance(exc, HTTPInputError):
        error = HTTPClientError(599, f"malformed answer from the proxy: {exc}")
    elif isinstance(exc, OSError):
        error = HTTPClientError(599, f"could not connect to {where}: {exc}")
    else:
        error = HTTPClientError(599, f"could not connect to {where}: {exc!r}")
    error.__cause__ = exc
    return error
