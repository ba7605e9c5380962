"""Local servers for the client suite: the stdlib's http.server (HTTP and HTTPS
with a trustme certificate), a raw socket server for malformed answers, and a
small HTTP proxy. Every server runs in threads, on 127.0.0.1 only, and is shut
down at the end of the session. None of them uses squall."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import http.server
import json
import select
import socket
import socketserver
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

from squall.httpclient import AsyncHTTPClient

BACKENDS = {
    "simple": "squall.simple_httpclient.SimpleAsyncHTTPClient",
    "curl": "squall.curl_httpclient.CurlAsyncHTTPClient",
}

DIGEST_REALM = "squall-test"
DIGEST_NONCE = "0123456789abcdef"


class AppHandler(http.server.BaseHTTPRequestHandler):
    """Routes on the path; see each _route_* method."""

    protocol_version = "HTTP/1.1"
    server_version = "TestServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size_line = self.rfile.readline()
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:  # the client gave up mid-body
                    self.close_connection = True
                    return b"".join(parts)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(parts)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        self.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.body = self._read_body()
        route = getattr(self, "_route_" + parts.path.strip("/").replace("-", "_"), None)
        if route is None:
            self._send(404, b"not found")
        else:
            route()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_FOO = _dispatch

    def _route_hello(self) -> None:
        self._send(200, b"Hello, world", {"Content-Type": "text/plain"})

    def _route_echo(self) -> None:
        data = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": self.body.decode("latin-1"),
            "client": list(self.client_address),
        }
        self._send(200, json.dumps(data).encode(), {"Content-Type": "application/json"})

    def _route_feed(self) -> None:
        self._send(200, json.dumps({"entries": [{"id": 1}, {"id": 2}, {"id": 3}]}).encode())

    def _route_status(self) -> None:
        self._send(int(self.query["code"]), b"status body")

    def _route_redirect(self) -> None:
        code = int(self.query.get("code", "302"))
        self._send(code, b"", {"Location": self.query["to"]})

    def _route_countdown(self) -> None:
        n = int(self.query["n"])
        if n == 0:
            self._send(200, b"done")
        else:
            self._send(302, b"", {"Location": f"/countdown?n={n - 1}"})

    def _route_gzip(self) -> None:
        self._send(200, gzip.compress(b"compressed " * 100), {"Content-Encoding": "gzip"})

    def _route_gzip_members(self) -> None:
        body = gzip.compress(b"first member;") + gzip.compress(b"second member")
        self._send(200, body, {"Content-Encoding": "gzip"})

    def _route_deflate(self) -> None:
        self._send(200, zlib.compress(b"deflated " * 50), {"Content-Encoding": "deflate"})

    def _route_raw_deflate(self) -> None:
        c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        self._send(200, c.compress(b"raw deflate " * 20) + c.flush(), {"Content-Encoding": "deflate"})

    def _route_bomb(self) -> None:
        # 10 MB of zeros, about 10 KB compressed.
        self._send(200, gzip.compress(b"\0" * 10_000_000), {"Content-Encoding": "gzip"})

    def _route_big(self) -> None:
        self._send(200, b"x" * int(self.query["n"]))

    def _route_big_header(self) -> None:
        self._send(200, b"ok", {"X-Big": "y" * int(self.query["n"])})

    def _route_chunked(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(5):
            piece = f"chunk{i};".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            time.sleep(0.01)
        self.wfile.write(b"0\r\n\r\n")

    def _route_slow(self) -> None:
        time.sleep(float(self.query.get("delay", "1")))
        self._send(200, b"slow")

    def _route_close(self) -> None:
        self._send(200, b"closing", {"Connection": "close"})
        self.close_connection = True

    def _route_basic(self) -> None:
        expected = "Basic " + base64.b64encode(b"user:p\xc3\xa4ss").decode()
        if self.headers.get("Authorization") == expected:
            self._send(200, b"authorized")
        else:
            self._send(401, b"no", {"WWW-Authenticate": 'Basic realm="x"'})

    def _route_digest(self) -> None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Digest "):
            fields = {}
            for item in auth[7:].split(","):
                key, _, value = item.strip().partition("=")
                fields[key] = value.strip('"')

            def md5(s: str) -> str:
                return hashlib.md5(s.encode()).hexdigest()  # noqa: S324 - the protocol's hash

            ha1 = md5(f"{fields['username']}:{DIGEST_REALM}:secret")
            ha2 = md5(f"{self.command}:{fields['uri']}")
            want = md5(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}")
            if fields.get("response") == want:
                self._send(200, b"digest ok")
                return
        challenge = f'Digest realm="{DIGEST_REALM}", nonce="{DIGEST_NONCE}", qop="auth", algorithm=MD5'
        self._send(401, b"no", {"WWW-Authenticate": challenge})

    def _route_ims(self) -> None:
        if self.headers.get("If-Modified-Since"):
            self._send(304, b"", {"X-IMS": self.headers["If-Modified-Since"]})
        else:
            self._send(200, b"fresh")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class Servers:
    """The running servers and their URLs."""

    def __init__(self, tmp: Any) -> None:
        ca = trustme.CA()
        self.ca = ca
        self.ca_file = str(tmp / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_file)
        server_cert = ca.issue_cert("localhost", "127.0.0.1")
        self.http = _Server(("127.0.0.1", 0), AppHandler)
        self.http2 = _Server(("127.0.0.1", 0), AppHandler)  # another origin
        self.https = _Server(("127.0.0.1", 0), AppHandler)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(ctx)
        self.https.socket = ctx.wrap_socket(self.https.socket, server_side=True)
        # A server whose certificate names another host.
        other_cert = ca.issue_cert("other.example")
        self.https_other = _Server(("127.0.0.1", 0), AppHandler)
        ctx2 = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        other_cert.configure_cert(ctx2)
        self.https_other.socket = ctx2.wrap_socket(self.https_other.socket, server_side=True)
        # A server that requires a client certificate.
        client_cert = ca.issue_cert("client@example")
        self.client_cert = str(tmp / "client.pem")
        self.client_key = str(tmp / "client.key")
        client_cert.cert_chain_pems[0].write_to_path(self.client_cert)
        client_cert.private_key_pem.write_to_path(self.client_key)
        self.https_mtls = _Server(("127.0.0.1", 0), AppHandler)
        ctx3 = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(ctx3)
        ca.configure_trust(ctx3)
        ctx3.verify_mode = ssl.CERT_REQUIRED
        self.https_mtls.socket = ctx3.wrap_socket(self.https_mtls.socket, server_side=True)
        self._all = [self.http, self.http2, self.https, self.https_other, self.https_mtls]
        for server in self._all:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, path: str, which: str = "http") -> str:
        server = getattr(self, which)
        scheme = "http" if which in ("http", "http2") else "https"
        return f"{scheme}://127.0.0.1:{server.server_address[1]}{path}"

    def close(self) -> None:
        for server in self._all:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    s = Servers(tmp_path_factory.mktemp("tls"))
    yield s
    s.close()


# --- a raw server for hand-written answers ---------------------------------


class RawServer:
    """Answers each connection with ``answer(request_head) -> bytes | None``, then closes.

    ``connections`` counts accepted connections; ``heads`` keeps what arrived.
    """

    def __init__(self, answer: Callable[[bytes], bytes | None], keep_open: float = 0.0) -> None:
        self.answer = answer
        self.keep_open = keep_open
        self.connections = 0
        self.heads: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            conn.settimeout(5)
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
            except OSError:
                return
            self.heads.append(data)
            reply = self.answer(data)
            if reply:
                try:
                    conn.sendall(reply)
                except OSError:
                    return
            if self.keep_open:
                time.sleep(self.keep_open)

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.closed = True
        self.sock.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    made: list[RawServer] = []

    def make(answer: Callable[[bytes], bytes | None] | bytes | None, keep_open: float = 0.0) -> RawServer:
        fn = answer if callable(answer) else (lambda _head: answer)
        server = RawServer(fn, keep_open)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


# --- a small HTTP proxy ------------------------------------------------------


class _ProxyHandler(socketserver.BaseRequestHandler):
    server: ProxyServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self.server.seen.append((method, target, headers))
        if self.server.require_auth and headers.get("proxy-authorization") != self.server.require_auth:
            sock.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n"
                         b"Proxy-Authenticate: Basic realm=\"p\"\r\n\r\n")
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host, int(port)))
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._pipe(sock, upstream, rest)
            return
        parts = urlsplit(target)
        upstream = socket.create_connection((parts.hostname, parts.port or 80))
        origin_form = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        out = [f"{method} {origin_form} HTTP/1.1"]
        for line in lines[1:]:
            if not line.lower().startswith(("proxy-authorization:", "connection:")):
                out.append(line)
        out.append("Connection: close")
        upstream.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rest)
        self._pipe(sock, upstream, b"")

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket, pending: bytes) -> None:
        if pending:
            b.sendall(pending)
        with b:
            while True:
                readable, _, _ = select.select([a, b], [], [], 5)
                if not readable:
                    return
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.require_auth: str | None = None
        self.port = self.server_address[1]


@pytest.fixture
def proxy() -> Iterator[ProxyServer]:
    server = ProxyServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


# --- back ends and running coroutines ----------------------------------------


@pytest.fixture(params=["simple", "curl"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client_class(backend: str) -> type[AsyncHTTPClient]:
    module, _, name = BACKENDS[backend].rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)  # type: ignore[no-any-return]


def run(coro_fn: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Run ``coro_fn()`` on a fresh event loop, bounded by ``timeout`` seconds."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(bounded())


@pytest.fixture
def fetch(client_class: type[AsyncHTTPClient]) -> Callable[..., Any]:
    """Fetch one URL with a new client of the back end under test; returns the response."""

    def do_fetch(url: Any, client_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        async def go() -> Any:
            client = client_class(force_instance=True, **(client_kwargs or {}))
            try:
                return await client.fetch(url, **kwargs)
            finally:
                client.close()

        return run(go)

    return do_fetch


@pytest.fixture
def restore_configuration() -> Iterator[None]:
    saved = (AsyncHTTPClient._impl_class, dict(AsyncHTTPClient._impl_kwargs))
    yield
    AsyncHTTPClient._impl_class, AsyncHTTPClient._impl_kwargs = saved
